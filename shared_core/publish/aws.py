"""The boto3 calls of a publish, and their failures as one-paragraph :class:`PublishError` s.

boto3 is imported here only, on first use: building a layer never needs it. Credentials and the
Region come from boto3's standard chain (environment, ``profile``, SSO, config files, container or
instance roles); none is ever printed, and any that an AWS message might echo is masked, as is a
password in an endpoint URL (``AWS_ENDPOINT_URL*``).

Every call has bounded connect and read timeouts (``timeout``). Reads are retried by botocore
(5xx, throttling, broken connections). PublishLayerVersion is not: a retry after a 5xx that came
*after* Lambda created the version would create a second one. It is tried by :meth:`LayerApi.publish`,
which first looks for the version a failed try may have created.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, Callable, Dict, Iterator, List, Mapping, Optional, Set, Tuple

from shared_core.errors import PublishError
from shared_core.publish.aws_failures import NOT_FOUND_CODES, FailureTranslator, Reach, error_code, reach
from shared_core.settings.publish import CONSOLE_TERMS, DEFAULT_TIMEOUT, OptionTerms
from shared_core.version import __version__

BOTO3_MISSING = (
    "Publishing needs boto3, which is not installed in this environment. Install the publish extra into the "
    'same environment as this tool: `pip install "lambda-layer-build[publish]"` (from a checkout: `pip install '
    '"/path/to/lambda-layer-build[publish]"`); for the Poetry plugin `poetry self add '
    '"lambda-layer-build[poetry,publish]"` (from a checkout: `poetry self add "/path/to/lambda-layer-build[poetry,publish]"`); '
    'for Hatch `pipx inject hatch "lambda-layer-build[publish]"` (from a checkout: `pipx inject hatch '
    '"/path/to/lambda-layer-build[publish]"`).'
)

ProgressCallback = Callable[[int, int], None]
Notify = Callable[[str], None]

#: Tries of each read, botocore's standard retry mode (the first try included).
READ_ATTEMPTS = 3
#: Our own tries of PublishLayerVersion, and the pause before each further one (seconds).
PUBLISH_ATTEMPTS = 3
PUBLISH_PAUSES = (0.5, 1.0)

def load_boto3() -> Any:
    """``import boto3``, or the error that says how to install it."""
    try:
        import boto3
        import botocore  # noqa: F401
    except ImportError:
        raise PublishError(BOTO3_MISSING) from None
    return boto3


@dataclass(frozen=True)
class LayerSpec:
    """What a version is published with; two versions with equal specs are the same layer."""

    code_sha256: str
    runtimes: Tuple[str, ...]
    architectures: Tuple[str, ...]
    description: str
    license_info: Optional[str] = None

    def request_fields(self) -> Dict[str, Any]:
        """PublishLayerVersion's arguments besides the name and the content."""
        fields: Dict[str, Any] = {"Description": self.description, "CompatibleRuntimes": list(self.runtimes),
                                  "CompatibleArchitectures": list(self.architectures)}
        if self.license_info:
            fields["LicenseInfo"] = self.license_info
        return fields


def spec_of(version: Mapping[str, Any]) -> LayerSpec:
    """The spec of a GetLayerVersion or PublishLayerVersion answer (an absent licence is None, as ours)."""
    return LayerSpec(
        str(version.get("Content", {}).get("CodeSha256") or ""),
        tuple(sorted(version.get("CompatibleRuntimes") or ())),
        tuple(sorted(version.get("CompatibleArchitectures") or ())),
        str(version.get("Description") or ""),
        version.get("LicenseInfo") or None,
    )


@dataclass(frozen=True)
class LayerVersionInfo:
    version: int
    arn: str
    spec: LayerSpec
    #: The zip's size as Lambda keeps it (``Content.CodeSize``), and when the version was created (ISO 8601).
    code_size: int = 0
    created: str = ""


def version_info_of(version: Mapping[str, Any], number: int) -> LayerVersionInfo:
    """A GetLayerVersion answer as a :class:`LayerVersionInfo`."""
    return LayerVersionInfo(number, str(version["LayerVersionArn"]), spec_of(version),
                            int(version.get("Content", {}).get("CodeSize") or 0), str(version.get("CreatedDate") or ""))


class ProgressReader:
    """The zip as an upload body, calling ``progress(position, size)`` after each read.

    The position, not a running sum: over plain HTTP botocore reads the body once to sign it and
    again, from the start, to send it.
    """

    def __init__(self, handle: BinaryIO, size: int, progress: ProgressCallback) -> None:
        self._handle = handle
        self._size = size
        self._progress = progress

    def read(self, amount: int = -1) -> bytes:
        data = self._handle.read(amount)
        self._progress(min(self._handle.tell(), self._size), self._size)
        return data

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        return self._handle.seek(offset, whence)

    def tell(self) -> int:
        return self._handle.tell()


class LayerApi:
    """Lambda and S3 clients of one session, with every call's failure translated."""

    def __init__(self, region: Optional[str] = None, profile: Optional[str] = None,
                 timeout: float = DEFAULT_TIMEOUT, terms: OptionTerms = CONSOLE_TERMS, *, needs_region: bool = True) -> None:
        """``needs_region``: False for S3 alone (the build cache), which botocore sends to the bucket's Region."""
        boto3 = load_boto3()
        from botocore.config import Config
        from botocore.exceptions import BotoCoreError, ProfileNotFound

        self.profile = profile
        self.timeout = timeout
        self.terms = terms
        # boto3 reads AWS_DEFAULT_REGION only; AWS_REGION wins over it, as in the AWS CLI and the other SDKs.
        region_source = (terms.named("region") if region else "AWS_REGION" if os.environ.get("AWS_REGION")
                         else "AWS_DEFAULT_REGION or the profile's `region`")
        region = region or os.environ.get("AWS_REGION") or None
        self.region: str = region or ""
        self.failures = FailureTranslator(region, region_source, profile, timeout, self._credentials, terms)
        try:
            self._session = boto3.session.Session(profile_name=profile, region_name=region)
        except ProfileNotFound:
            raise PublishError(
                f"The AWS profile {profile!r} (from {terms.named('profile')}) is not in the AWS config files. "
                "Create it (`aws configure --profile NAME` or `aws configure sso`) or name an existing one."
            ) from None
        except BotoCoreError as error:  # an unreadable config file, ...
            raise self.failures.setup_error(error) from None
        if not self._session.region_name and needs_region:
            raise PublishError(
                f"No AWS Region is set, so the layer's Region is unknown. Set `region` in [{terms.table}], pass "
                f"{terms.option_for('region')}, or set AWS_REGION / AWS_DEFAULT_REGION (or `region` in the profile)."
            )
        self.region = self.failures.region = self._session.region_name or ""
        self._config = Config(connect_timeout=timeout, read_timeout=timeout,
                              retries={"total_max_attempts": READ_ATTEMPTS, "mode": "standard"},
                              user_agent_extra=f"lambda-layer-build/{__version__}")
        self._lambda: Any = None
        self._s3: Any = None
        self._publisher: Any = None

    def _client(self, service: str, config: Any) -> Any:
        from botocore.exceptions import BotoCoreError

        try:
            return self._session.client(service, config=config)
        except (BotoCoreError, ValueError) as error:  # a malformed Region; botocore's "Invalid endpoint: URL"
            raise self.failures.setup_error(error) from None

    @property
    def lambda_client(self) -> Any:
        if self._lambda is None:
            self._lambda = self._client("lambda", self._config)
        return self._lambda

    @property
    def s3(self) -> Any:
        if self._s3 is None:
            self._s3 = self._client("s3", self._config)
        return self._s3

    @property
    def publisher(self) -> Any:
        """A Lambda client that never retries by itself: :meth:`publish` decides."""
        from botocore.config import Config

        if self._publisher is None:
            self._publisher = self._client("lambda", self._config.merge(Config(retries={"total_max_attempts": 1})))
        return self._publisher

    def _credentials(self) -> Set[str]:
        """The session's credentials, masked wherever an AWS message might echo them."""
        try:
            credentials = self._session.get_credentials()
            frozen = credentials.get_frozen_credentials() if credentials else None
        except Exception:
            return set()
        return {value for value in (getattr(frozen, "access_key", None), getattr(frozen, "secret_key", None),
                                    getattr(frozen, "token", None)) if value}

    def _mask(self, text: str) -> str:
        return self.failures.mask(text)

    @contextmanager
    def call(self, action: str, resource: str) -> Iterator[None]:
        """Run AWS calls; any AWS or network failure becomes one PublishError naming ``action`` and ``resource``."""
        try:
            yield
        except Exception as error:
            translated = self.failures.translate(error, action, resource)
            if translated is None:
                raise
            raise translated from None

    # -- Lambda ----------------------------------------------------------------------------------

    def layer_resource(self, layer_name: str) -> str:
        return f"layer {layer_name!r} in {self.region}"

    def version_info(self, layer_name: str, number: int) -> LayerVersionInfo:
        with self.call("lambda:GetLayerVersion", f"version {number} of {self.layer_resource(layer_name)}"):
            version = self.lambda_client.get_layer_version(LayerName=layer_name, VersionNumber=number)
        return version_info_of(version, number)

    def latest_version(self, layer_name: str) -> Optional[LayerVersionInfo]:
        """The newest version (ListLayerVersions is newest first) with its spec (GetLayerVersion)."""
        with self.call("lambda:ListLayerVersions", self.layer_resource(layer_name)):
            versions = self.lambda_client.list_layer_versions(LayerName=layer_name, MaxItems=1).get("LayerVersions", [])
        return self.version_info(layer_name, int(versions[0]["Version"])) if versions else None

    def version_numbers(self, layer_name: str) -> List[int]:
        """Every version's number, newest first (ListLayerVersions, all pages)."""
        numbers: List[int] = []
        with self.call("lambda:ListLayerVersions", self.layer_resource(layer_name)):
            for page in self.lambda_client.get_paginator("list_layer_versions").paginate(LayerName=layer_name):
                numbers += [int(item["Version"]) for item in page.get("LayerVersions", [])]
        return sorted(numbers, reverse=True)

    def function_layers(self) -> Dict[str, List[str]]:
        """``{layer version ARN: the functions that use it}`` in this account and Region: every function's
        every published version and $LATEST (ListFunctions with FunctionVersion=ALL), as ``name:version``."""
        uses: Dict[str, List[str]] = {}
        with self.call("lambda:ListFunctions", f"the functions in {self.region}"):
            for page in self.lambda_client.get_paginator("list_functions").paginate(FunctionVersion="ALL"):
                for function in page.get("Functions", []):
                    user = f"{function.get('FunctionName')}:{function.get('Version') or '$LATEST'}"
                    for layer in function.get("Layers") or ():
                        uses.setdefault(str(layer.get("Arn")), []).append(user)
        return uses

    def versions_after(self, layer_name: str, number: int) -> List[int]:
        """The numbers of the versions newer than ``number``, oldest first."""
        newer: List[int] = []
        with self.call("lambda:ListLayerVersions", self.layer_resource(layer_name)):
            for page in self.lambda_client.get_paginator("list_layer_versions").paginate(LayerName=layer_name):
                numbers = [int(item["Version"]) for item in page.get("LayerVersions", [])]
                newer += [version for version in numbers if version > number]
                if any(version <= number for version in numbers):
                    break  # newest first: the rest are older
        return sorted(newer)

    def find_version(self, layer_name: str, spec: LayerSpec, newer_than: int) -> Optional[LayerVersionInfo]:
        """The first version after ``newer_than`` published with ``spec``: what a failed try may have created."""
        for number in self.versions_after(layer_name, newer_than):
            info = self.version_info(layer_name, number)
            if info.spec == spec:
                return info
        return None

    def publish(self, layer_name: str, content: Dict[str, Any], spec: LayerSpec, *, newer_than: int,
                notify: Notify) -> LayerVersionInfo:
        """PublishLayerVersion, up to :data:`PUBLISH_ATTEMPTS` tries, never creating two versions.

        After a try that may have reached Lambda (a 5xx, no answer, a closed connection), the versions
        newer than ``newer_than`` (the latest before publishing) are searched for one with this spec;
        found, it is the one published. ``notify`` tells the user about each failed try.
        """
        action, resource = "lambda:PublishLayerVersion", self.layer_resource(layer_name)
        client = self.publisher
        for attempt in range(1, PUBLISH_ATTEMPTS + 1):
            try:
                response = client.publish_layer_version(LayerName=layer_name, Content=content, **spec.request_fields())
                return LayerVersionInfo(int(response["Version"]), str(response["LayerVersionArn"]), spec_of(response))
            except Exception as error:
                failure = self.failures.translate(error, action, resource)
                reached = reach(error)
                if failure is None:
                    raise
                if reached is Reach.REFUSED:
                    raise failure from None
                if reached is Reach.UNKNOWN:
                    found = self.find_version(layer_name, spec, newer_than)
                    if found is not None:
                        notify(f"{action} on {resource} failed ({self.failures.reason(error)}), but it had created version "
                               f"{found.version} with this content and these settings: that version is the one "
                               "published, not published again.")
                        return found
                if attempt == PUBLISH_ATTEMPTS:
                    raise failure from None
                pause = PUBLISH_PAUSES[attempt - 1]
                notify(f"{action} on {resource} failed ({self.failures.reason(error)}) and created no version; trying again "
                       f"in {pause:g} s ({attempt + 1} of {PUBLISH_ATTEMPTS}).")
                time.sleep(pause)
        raise AssertionError("unreachable")  # pragma: no cover - the loop returns or raises

    def delete_version(self, layer_name: str, version: int) -> None:
        with self.call("lambda:DeleteLayerVersion", f"version {version} of {self.layer_resource(layer_name)}"):
            self.lambda_client.delete_layer_version(LayerName=layer_name, VersionNumber=version)

    def policy_statement_ids(self, layer_name: str, version: int) -> Set[str]:
        from botocore.exceptions import ClientError

        with self.call("lambda:GetLayerVersionPolicy", f"version {version} of {self.layer_resource(layer_name)}"):
            try:
                policy = self.lambda_client.get_layer_version_policy(LayerName=layer_name, VersionNumber=version)
            except ClientError as error:
                if error_code(error) in NOT_FOUND_CODES:  # no policy yet
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
                if error_code(error) == "ResourceConflictException":
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
                code = error_code(error)
                headers = error.response.get("ResponseMetadata", {}).get("HTTPHeaders", {})
                if code in ("404", "NoSuchBucket", "NotFound"):
                    raise PublishError(
                        f"The S3 bucket {bucket!r} (from {self.terms.named('s3-bucket')}) does not exist. Create it in "
                        f"{self.region} (the layer's Region) or name an existing bucket there."
                    ) from None
                if code not in ("301", "PermanentRedirect", "400") or not headers.get("x-amz-bucket-region"):
                    raise
        bucket_region = headers.get("x-amz-bucket-region")
        if bucket_region and bucket_region != self.region:
            raise PublishError(
                f"The S3 bucket {bucket!r} is in {bucket_region}, but the layer is published in {self.region}; "
                "Lambda reads a layer's zip only from a bucket in the layer's own Region. Use a bucket in "
                f"{self.region} (`s3-bucket`) or publish in {bucket_region} ({self.terms.named('region')})."
            )

    def object_checksum(self, bucket: str, key: str) -> Optional[str]:
        """The object's SHA-256 checksum as S3 keeps it: None when there is no object, "" when it has none.

        A multipart object's is a checksum of its parts' checksums (``...-N``), never equal to a zip's.
        """
        head = self.object_head(bucket, key)
        return None if head is None else str(head.get("ChecksumSHA256") or "")

    def object_head(self, bucket: str, key: str) -> Optional[Mapping[str, Any]]:
        """HeadObject with the SHA-256 checksum (None: no object there)."""
        from botocore.exceptions import ClientError

        with self.call("s3:GetObject", f"s3://{bucket}/{key}"):
            try:
                return dict(self.s3.head_object(Bucket=bucket, Key=key, ChecksumMode="ENABLED"))
            except ClientError as error:
                if error_code(error) in NOT_FOUND_CODES:
                    return None
                raise

    def _get_object(self, bucket: str, key: str) -> Optional[Dict[str, Any]]:
        """GetObject's response (inside :meth:`call`), or None when there is no object there."""
        from botocore.exceptions import ClientError

        try:
            return self.s3.get_object(Bucket=bucket, Key=key)
        except ClientError as error:
            if error_code(error) in NOT_FOUND_CODES:
                return None
            raise

    def read_object(self, bucket: str, key: str, limit: int) -> Optional[Tuple[bytes, Mapping[str, str]]]:
        """A small object's bytes and its metadata (None: no object there); more than ``limit`` bytes is not read."""
        with self.call("s3:GetObject", f"s3://{bucket}/{key}"):
            response = self._get_object(bucket, key)
            if response is None:
                return None
            body = response["Body"]
            try:
                data = body.read(limit + 1)
            finally:
                body.close()
        return data, dict(response.get("Metadata") or {})

    def download(self, bucket: str, key: str, handle: BinaryIO, limit: int) -> Optional[Tuple[int, Mapping[str, str]]]:
        """Copy an object into ``handle`` (at most ``limit`` bytes, then stop); its size read and its metadata
        (None: no object there)."""
        with self.call("s3:GetObject", f"s3://{bucket}/{key}"):
            response = self._get_object(bucket, key)
            if response is None:
                return None
            body, size = response["Body"], 0
            try:
                for chunk in iter(lambda: body.read(1 << 20), b""):
                    size += len(chunk)
                    if size > limit:
                        break
                    handle.write(chunk)
            finally:
                body.close()
        return size, dict(response.get("Metadata") or {})

    def put_bytes(self, bucket: str, key: str, data: bytes, content_type: str,
                  metadata: Optional[Mapping[str, str]] = None) -> None:
        """One PutObject of a small object, its SHA-256 checked by S3 and kept with it."""
        checksum = base64.b64encode(hashlib.sha256(data).digest()).decode("ascii")
        with self.call("s3:PutObject", f"s3://{bucket}/{key}"):
            self.s3.put_object(Bucket=bucket, Key=key, Body=data, ContentType=content_type, Metadata=dict(metadata or {}),
                               ChecksumAlgorithm="SHA256", ChecksumSHA256=checksum)

    def upload(self, path: Path, bucket: str, key: str, code_sha256: str,
               progress: Optional[ProgressCallback] = None, metadata: Optional[Mapping[str, str]] = None) -> None:
        """One PutObject carrying the zip's SHA-256: S3 refuses bytes that do not match it and keeps it with
        the object, for the next publish to compare. One part: S3 takes up to 5 GB so, and layers are far smaller.
        ``progress(done, total)`` as the bytes are read."""
        size = path.stat().st_size
        with open(path, "rb") as handle, self.call("s3:PutObject", f"s3://{bucket}/{key}"):
            body = handle if progress is None else ProgressReader(handle, size, progress)
            self.s3.put_object(Bucket=bucket, Key=key, Body=body, ContentType="application/zip",
                               Metadata=dict(metadata or {}), ChecksumAlgorithm="SHA256", ChecksumSHA256=code_sha256)
