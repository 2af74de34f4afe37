"""AWS's failures, in the user's terms: one paragraph naming the operation, the resource and the fix.

Every botocore failure of a publish (no credentials, an expired SSO session, no connection, no
answer within ``timeout``, a closed connection, an invalid Region, an AWS error code) is turned
into a :class:`PublishError` here; anything else keeps its traceback (a bug). Credentials and
passwords in ``AWS_ENDPOINT_URL*`` are masked in every message.
"""

from __future__ import annotations

import enum
import os
from dataclasses import dataclass
from typing import Any, Callable, Mapping, Optional, Set
from urllib.parse import unquote, urlsplit

from shared_core.errors import PublishError
from shared_core.settings.publish import CONSOLE_TERMS, OptionTerms
from shared_core.support.reporting import mask_credentials

_ACCESS_DENIED = {"AccessDenied", "AccessDeniedException", "Forbidden", "403"}
_BAD_CREDENTIALS = {
    "UnrecognizedClientException", "InvalidClientTokenId", "InvalidAccessKeyId", "SignatureDoesNotMatch",
    "ExpiredToken", "ExpiredTokenException", "InvalidToken",
}
NOT_FOUND_CODES = {"ResourceNotFoundException", "NoSuchKey", "404", "NotFound"}
_THROTTLED = {"TooManyRequestsException", "ThrottlingException", "Throttling", "RequestLimitExceeded", "SlowDown"}
_NETWORK_FIX = "Check the network (a proxy, a firewall, AWS_ENDPOINT_URL)"


class Reach(enum.Enum):
    """How far a failed PublishLayerVersion may have got."""

    REFUSED = "refused"      # Lambda answered no (4xx): nothing created, trying again changes nothing
    NOT_SENT = "not sent"    # never reached Lambda (no connection) or throttled: nothing created
    UNKNOWN = "unknown"      # 5xx, no answer, connection closed: the version may exist


def error_code(error: Any) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def http_status(error: Any) -> int:
    return int(error.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)


def reach(error: Exception) -> Reach:
    from botocore import exceptions as aws

    if isinstance(error, aws.ClientError):
        if error_code(error) in _THROTTLED or http_status(error) == 429:
            return Reach.NOT_SENT
        return Reach.UNKNOWN if http_status(error) >= 500 else Reach.REFUSED
    if isinstance(error, aws.ConnectionError):  # no connection (refused, connect timeout, TLS, proxy): never sent
        return Reach.NOT_SENT
    if isinstance(error, aws.HTTPClientError):  # sent, but no answer: read timeout, connection closed, ...
        return Reach.UNKNOWN
    return Reach.REFUSED


def endpoint_secrets(environ: Mapping[str, str]) -> Set[str]:
    """Passwords in ``AWS_ENDPOINT_URL`` / ``AWS_ENDPOINT_URL_<SERVICE>``: masked wherever they might appear."""
    secrets = set()
    for key, value in environ.items():
        if key.startswith("AWS_ENDPOINT_URL"):
            try:
                password = urlsplit(value.strip()).password
            except ValueError:  # not a URL at all: botocore says so, and the regex masks what looks like one
                continue
            if password:
                secrets |= {password, unquote(password)}
    return secrets



@dataclass
class FailureTranslator:
    """Turns one session's AWS failures into paragraphs (its Region, profile and timeout named in them)."""

    region: Optional[str]
    region_source: str
    profile: Optional[str]
    timeout: float
    #: The session's credentials, for masking (``None``: none resolved).
    credentials: Callable[[], Set[str]]
    #: How the entry point names the settings a fix changes.
    terms: OptionTerms = CONSOLE_TERMS

    def setting(self, key: str) -> str:
        """```timeout` in [tool.lambda-layer.publish] (--timeout)``, in the entry point's terms."""
        return f"`{key}` in [{self.terms.table}] ({self.terms.option_for(key)})"

    def secrets(self) -> Set[str]:
        return endpoint_secrets(os.environ) | self.credentials()

    def mask(self, text: str) -> str:
        return mask_credentials(text, self.secrets())

    def endpoint(self, error: Any) -> str:
        return self.mask(str(getattr(error, "kwargs", {}).get("endpoint_url") or "the AWS endpoint"))

    def setup_error(self, error: Exception) -> PublishError:
        from botocore.exceptions import InvalidRegionError

        if isinstance(error, InvalidRegionError):
            return PublishError(
                f"The AWS Region {self.region!r} (from {self.region_source}) is not a Region name, so no AWS client "
                f'can be created. Set it to a Region such as "eu-west-1", or set {self.setting("region")}.'
            )
        return PublishError(
            f"boto3 could not create its AWS clients ({self.mask(str(error))}). Check the AWS configuration in use: "
            "the AWS_* environment variables (AWS_ENDPOINT_URL, AWS_REGION, ...), the profile and the AWS config files."
        )

    def translate(self, error: Exception, action: str, resource: str) -> Optional[PublishError]:
        """The paragraph for an AWS or network failure; None for anything else (a bug keeps its traceback)."""
        from botocore import exceptions as aws

        if isinstance(error, aws.NoCredentialsError):
            where = f"profile {self.profile!r}" if self.profile else "the environment, AWS_PROFILE or the AWS config files"
            return PublishError(
                f"No AWS credentials found (looked in {where}, SSO and instance or container roles), so "
                f"{action} cannot be called. Configure credentials for boto3: `aws configure`, `aws sso login`, "
                f"AWS_PROFILE / {self.terms.option_for('profile')}, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY."
            )
        if isinstance(error, aws.PartialCredentialsError):
            return PublishError(
                f"The AWS credentials are incomplete ({error.kwargs.get('cred_var', 'a value')} is missing, from "
                f"{error.kwargs.get('provider', 'a provider')}). Complete them or use a profile."
            )
        if isinstance(error, (aws.SSOTokenLoadError, aws.UnauthorizedSSOTokenError, aws.TokenRetrievalError)):
            profile = f" --profile {self.profile}" if self.profile else ""
            return PublishError(
                f"The AWS SSO session has expired or was never started, so {action} cannot be called. "
                f"Run `aws sso login{profile}` and try again."
            )
        if isinstance(error, aws.ConnectTimeoutError):
            return PublishError(
                f"Could not connect to AWS to call {action} on {resource} within {self.timeout:g} s ({self.endpoint(error)}). "
                f"{_NETWORK_FIX} and that Region {self.region!r} is right; {self.setting('timeout')} "
                "sets how long to wait."
            )
        if isinstance(error, aws.EndpointConnectionError):
            return PublishError(
                f"Could not connect to AWS to call {action} on {resource} ({self.endpoint(error)}). "
                f"{_NETWORK_FIX} and that Region {self.region!r} is right."
            )
        if isinstance(error, aws.ReadTimeoutError):
            return PublishError(
                f"AWS did not answer {action} on {resource} within {self.timeout:g} s ({self.endpoint(error)}). "
                f"{_NETWORK_FIX}, or raise {self.setting('timeout')} for a slow link, and run again."
            )
        if isinstance(error, aws.ConnectionClosedError):
            return PublishError(
                f"The connection to AWS was closed before {action} on {resource} was answered ({self.endpoint(error)}). "
                f"{_NETWORK_FIX} and run again."
            )
        if isinstance(error, aws.InvalidRegionError):
            return self.setup_error(error)
        if isinstance(error, aws.ClientError):
            return self.client_error(error, action, resource)
        if isinstance(error, (aws.HTTPClientError, aws.ConnectionError)):
            return PublishError(
                f"The connection to AWS failed during {action} on {resource} ({self.mask(str(error))}). "
                f"{_NETWORK_FIX} and run again."
            )
        if isinstance(error, aws.BotoCoreError):
            return PublishError(
                f"boto3 could not call {action} on {resource} ({self.mask(str(error))}). Check the AWS configuration "
                "in use (the AWS_* environment variables, the profile, the AWS config files) and run again."
            )
        return None

    def client_error(self, error: Any, action: str, resource: str) -> PublishError:
        code = error_code(error)
        message = self.mask(str(error.response.get("Error", {}).get("Message", "") or error))
        if code in _ACCESS_DENIED:
            return PublishError(
                f"Access denied: AWS refused {action} on {resource} ({code}: {message}). Allow `{action}` on "
                f"that resource in the IAM policy of the identity in use (check AWS_PROFILE / {self.terms.option_for('profile')})."
            )
        if code in _BAD_CREDENTIALS:
            return PublishError(
                f"AWS rejected the credentials in use when calling {action} ({code}: {message}). They are invalid "
                "or expired: refresh them (`aws sso login`, new access keys) or choose another profile."
            )
        if http_status(error) >= 500:
            return PublishError(
                f"{action} on {resource} failed on AWS's side (HTTP {http_status(error)}, {code}: {message}). Run again "
                "later: a version published meanwhile is found, not published twice."
            )
        return PublishError(f"{action} on {resource} failed ({code}: {message}).")

    def reason(self, error: Exception) -> str:
        """A failure in a few words, for the line that says a try is repeated."""
        from botocore.exceptions import ClientError

        if isinstance(error, ClientError):
            return f"HTTP {http_status(error)} {error_code(error)}".rstrip()
        return self.mask(str(error))

