"""The boto3 calls of a publish, and their failures as one-paragraph :class:`PublishError` s.

boto3 is imported here only, on first use: building a layer never needs it. Credentials and the
Region come from boto3's standard chain (environment, ``profile``, SSO, config files, container or
instance roles); none is ever printed, and any that an AWS message might echo is masked.
"""

from __future__ import annotations

import json
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, Optional, Set

from ..errors import PublishError
from ..indexes import mask_credentials
from ..version import __version__

BOTO3_MISSING = (
    "Publishing needs boto3, which is not installed in this environment. Install the publish extra: "
    'pip install "lambda-layer-build[publish]" (into the same environment as this tool: for the Poetry '
    'plugin `poetry self add "lambda-layer-build[poetry,publish]"`, for Hatch `pipx inject hatch '
    '"lambda-layer-build[publish]"`).'
)

ProgressCallback = Callable[[int, int], None]

_ACCESS_DENIED = {"AccessDenied", "AccessDeniedException", "Forbidden", "403"}
_BAD_CREDENTIALS = {
    "UnrecognizedClientException", "InvalidClientTokenId", "InvalidAccessKeyId", "SignatureDoesNotMatch",
    "ExpiredToken", "ExpiredTokenException", "InvalidToken",
}
_NOT_FOUND = {"ResourceNotFoundException", "NoSuchKey", "404", "NotFound"}


def load_boto3() -> Any:
    """``import boto3``, or the error that says how to install it."""
    try:
        import boto3
        import botocore  # noqa: F401
    except ImportError:
        raise PublishError(BOTO3_MISSING) from None
    return boto3


@dataclass(frozen=True)
class LayerVersionInfo:
    version: int
    arn: str
    code_sha256: str


def _error_code(error: Any) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


class LayerApi:
    """Lambda and S3 clients of one session, with every call's failure translated."""

    def __init__(self, region: Optional[str] = None, profile: Optional[str] = None) -> None:
        boto3 = load_boto3()
        from botocore.config import Config
        from botocore.exceptions import ProfileNotFound

        try:
            self._session = boto3.session.Session(profile_name=profile, region_name=region)
        except ProfileNotFound:
            raise PublishError(
                f"The AWS profile {profile!r} (from `profile` / --profile) is not in the AWS config files. "
                "Create it (`aws configure --profile NAME` or `aws configure sso`) or name an existing one."
            ) from None
        self.profile = profile
        if not self._session.region_name:
            raise PublishError(
                "No AWS Region is set, so the layer's Region is unknown. Set `region` in "
                "[tool.lambda-layer.publish], pass --region, or set AWS_REGION / AWS_DEFAULT_REGION "
                "(or `region` in the profile)."
            )
        self.region: str = self._session.region_name
        self._config = Config(retries={"max_attempts": 4, "mode": "standard"},
                              user_agent_extra=f"lambda-layer-build/{__version__}")
        self.lambda_client = self._session.client("lambda", config=self._config)
        self._s3: Any = None

    @property
    def s3(self) -> Any:
        if self._s3 is None:
            self._s3 = self._session.client("s3", config=self._config)
        return self._s3

    # -- error translation ---------------------------------------------------------------------

    def _secrets(self) -> Set[str]:
        try:
            credentials = self._session.get_credentials()
            frozen = credentials.get_frozen_credentials() if credentials else None
        except Exception:
            return set()
        return {value for value in (getattr(frozen, "access_key", None), getattr(frozen, "secret_key", None),
                                    getattr(frozen, "token", None)) if value}

    def _mask(self, text: str) -> str:
        return mask_credentials(text, self._secrets())

    @contextmanager
    def call(self, action: str, resource: str) -> Iterator[None]:
        """Run AWS calls; any failure becomes one PublishError naming ``action`` and ``resource``."""
        from boto3.exceptions import S3UploadFailedError
        from botocore import exceptions as aws

        try:
            yield
        except aws.NoCredentialsError:
            where = f"profile {self.profile!r}" if self.profile else "the environment, AWS_PROFILE or the AWS config files"
            raise PublishError(
                f"No AWS credentials found (looked in {where}, SSO and instance or container roles), so "
                f"{action} cannot be called. Configure credentials for boto3: `aws configure`, `aws sso login`, "
                "AWS_PROFILE / --profile, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY."
            ) from None
        except aws.PartialCredentialsError as error:
            raise PublishError(
                f"The AWS credentials are incomplete ({error.kwargs.get('cred_var', 'a value')} is missing, from "
                f"{error.kwargs.get('provider', 'a provider')}). Complete them or use a profile."
            ) from None
        except (aws.SSOTokenLoadError, aws.UnauthorizedSSOTokenError, aws.TokenRetrievalError):
            profile = f" --profile {self.profile}" if self.profile else ""
            raise PublishError(
                f"The AWS SSO session has expired or was never started, so {action} cannot be called. "
                f"Run `aws sso login{profile}` and try again."
            ) from None
        except aws.EndpointConnectionError as error:
            raise PublishError(
                f"Could not connect to AWS to call {action} ({error.kwargs.get('endpoint_url', 'endpoint')}). "
                f"Check the network and that Region {self.region!r} is right."
            ) from None
        except aws.ClientError as error:
            raise self._client_error(error, action, resource) from None
        except S3UploadFailedError as error:
            cause = error.__context__
            if isinstance(cause, aws.ClientError):
                raise self._client_error(cause, action, resource) from None
            raise PublishError(f"Uploading to {resource} failed: {self._mask(str(error))}") from None

    def _client_error(self, error: Any, action: str, resource: str) -> PublishError:
        code = _error_code(error)
        message = self._mask(str(error.response.get("Error", {}).get("Message", "") or error))
        if code in _ACCESS_DENIED:
            return PublishError(
                f"Access denied: AWS refused {action} on {resource} ({code}: {message}). Allow `{action}` on "
                "that resource in the IAM policy of the identity in use (check AWS_PROFILE / --profile)."
            )
        if code in _BAD_CREDENTIALS:
            return PublishError(
                f"AWS rejected the credentials in use when calling {action} ({code}: {message}). They are invalid "
                "or expired: refresh them (`aws sso login`, new access keys) or choose another profile."
            )
        return PublishError(f"{action} on {resource} failed ({code}: {message}).")

    # -- Lambda ----------------------------------------------------------------------------------

    def layer_resource(self, layer_name: str) -> str:
        return f"layer {layer_name!r} in {self.region}"

    def latest_version(self, layer_name: str) -> Optional[LayerVersionInfo]:
        """The newest version (ListLayerVersions is newest first) with its CodeSha256 (GetLayerVersion)."""
        with self.call("lambda:ListLayerVersions", self.layer_resource(layer_name)):
            versions = self.lambda_client.list_layer_versions(LayerName=layer_name, MaxItems=1).get("LayerVersions", [])
        if not versions:
            return None
        number = int(versions[0]["Version"])
        with self.call("lambda:GetLayerVersion", f"version {number} of {self.layer_resource(layer_name)}"):
            version = self.lambda_client.get_layer_version(LayerName=layer_name, VersionNumber=number)
        return LayerVersionInfo(number, version["LayerVersionArn"], version.get("Content", {}).get("CodeSha256", ""))

    def publish(self, layer_name: str, content: Dict[str, Any], **fields: Any) -> Dict[str, Any]:
        given = {key: value for key, value in fields.items() if value}
        with self.call("lambda:PublishLayerVersion", self.layer_resource(layer_name)):
            return self.lambda_client.publish_layer_version(LayerName=layer_name, Content=content, **given)

    def policy_statement_ids(self, layer_name: str, version: int) -> Set[str]:
        from botocore.exceptions import ClientError

        with self.call("lambda:GetLayerVersionPolicy", f"version {version} of {self.layer_resource(layer_name)}"):
            try:
                policy = self.lambda_client.get_layer_version_policy(LayerName=layer_name, VersionNumber=version)
            except ClientError as error:
                if _error_code(error) in _NOT_FOUND:  # no policy yet
                    return set()
                raise
        statements = json.loads(policy.get("Policy") or "{}").get("Statement", [])
        return {statement.get("Sid", "") for statement in statements}

    def add_permission(self, layer_name: str, version: int, statement_id: str, principal: str,
                       organization_id: Optional[str]) -> bool:
        """Add one statement; False when a statement with that id already exists."""
        from botocore.exceptions import ClientError

        extra = {"OrganizationId": organization_id} if organization_id else {}
        with self.call("lambda:AddLayerVersionPermission", f"version {version} of {self.layer_resource(layer_name)}"):
            try:
                self.lambda_client.add_layer_version_permission(
                    LayerName=layer_name, VersionNumber=version, StatementId=statement_id,
                    Action="lambda:GetLayerVersion", Principal=principal, **extra,
                )
            except ClientError as error:
                if _error_code(error) == "ResourceConflictException":
                    return False
                raise
        return True

    # -- S3 --------------------------------------------------------------------------------------

    def check_bucket(self, bucket: str) -> None:
        """The bucket exists, is reachable, and is in the layer's Region (Lambda reads it from there)."""
        from botocore.exceptions import ClientError

        with self.call("s3:ListBucket", f"bucket {bucket!r}"):
            try:
                response = self.s3.head_bucket(Bucket=bucket)
                headers = response.get("ResponseMetadata", {}).get("HTTPHeaders", {})
            except ClientError as error:
                code = _error_code(error)
                headers = error.response.get("ResponseMetadata", {}).get("HTTPHeaders", {})
                if code in ("404", "NoSuchBucket", "NotFound"):
                    raise PublishError(
                        f"The S3 bucket {bucket!r} (from `s3-bucket` / --s3-bucket) does not exist. Create it in "
                        f"{self.region} (the layer's Region) or name an existing bucket there."
                    ) from None
                if code not in ("301", "PermanentRedirect", "400") or not headers.get("x-amz-bucket-region"):
                    raise
        bucket_region = headers.get("x-amz-bucket-region")
        if bucket_region and bucket_region != self.region:
            raise PublishError(
                f"The S3 bucket {bucket!r} is in {bucket_region}, but the layer is published in {self.region}; "
                "Lambda reads a layer's zip only from a bucket in the layer's own Region. Use a bucket in "
                f"{self.region} (`s3-bucket`) or publish in {bucket_region} (`region` / --region)."
            )

    def object_size(self, bucket: str, key: str) -> Optional[int]:
        from botocore.exceptions import ClientError

        with self.call("s3:GetObject", f"s3://{bucket}/{key}"):
            try:
                return int(self.s3.head_object(Bucket=bucket, Key=key)["ContentLength"])
            except ClientError as error:
                if _error_code(error) in _NOT_FOUND:
                    return None
                raise

    def upload(self, path: Path, bucket: str, key: str, progress: Optional[ProgressCallback] = None) -> None:
        """boto3's managed (multipart, parallel) upload; ``progress(done, total)`` as bytes go out."""
        total = path.stat().st_size
        callback = None
        if progress is not None:
            lock = threading.Lock()
            sent = [0]

            def callback(amount: int) -> None:
                with lock:
                    sent[0] += amount
                    progress(min(sent[0], total), total)

        with self.call("s3:PutObject", f"s3://{bucket}/{key}"):
            self.s3.upload_file(str(path), bucket, key, ExtraArgs={"ContentType": "application/zip"}, Callback=callback)
