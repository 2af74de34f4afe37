"""The AWS side of a function zip: its upload to a content-addressed key, and the layers it names by ARN.

The upload puts the zip at ``PREFIX/FUNCTION/<sha256>.zip`` the way a layer's zip goes up (one
PutObject carrying its SHA-256, skipped when S3 already keeps exactly it there), so SAM, CDK or
Terraform can point at an object whose key changes exactly when the code does. A layer named by
ARN is read from Lambda (GetLayerVersion), downloaded from the location Lambda gives, and checked
against its ``CodeSha256`` before its contents count.
"""

from __future__ import annotations

import base64
import hashlib
import re
import shutil
import urllib.request
from pathlib import Path
from typing import Optional, Tuple

from shared_core.errors import ConfigError, PublishError
from shared_core.pack.layer_contents import LayerContents, read_layer_contents
from shared_core.publish.aws import LayerApi
from shared_core.publish.layer_version import upload_snapshot
from shared_core.publish.snapshot import take_snapshot
from shared_core.settings.publish import PublishSettings
from shared_core.support.names import normalize_name
from shared_core.support.reporting import Reporter

_NOT_IN_KEY = re.compile(r"[^a-z0-9_-]+")


def function_key(settings: PublishSettings, function_name: str, sha256_hex: str) -> str:
    """``<s3-prefix><function>/<sha256>.zip``: the key changes exactly when the zip does."""
    name = _NOT_IN_KEY.sub("-", normalize_name(function_name)).strip("-") or "function"
    return f"{settings.s3_prefix}{name}/{sha256_hex}.zip"


def upload_function(zip_path: Path, recorded: Optional[str], settings: PublishSettings, function_name: str,
                    reporter: Reporter, *, dry_run: bool = False, api: Optional[LayerApi] = None) -> str:
    """Upload the function zip (a snapshot of it, checked against the sha256 its build ``recorded``);
    returns its ``s3://`` URI."""
    if not settings.s3_bucket:
        raise ConfigError(
            "Uploading the function zip needs an S3 bucket: set `s3-bucket` in [tool.lambda-layer.publish] or pass "
            "--s3-bucket (the zip goes to <s3-prefix><function>/<sha256>.zip there)."
        )
    api = api or LayerApi(settings.region, settings.profile, settings.timeout)
    api.check_bucket(settings.s3_bucket)
    snapshot = take_snapshot(zip_path, recorded)
    try:
        key = function_key(settings, function_name, snapshot.sha256_hex)
        upload_snapshot(api, snapshot, settings.s3_bucket, key, reporter, dry_run)
    finally:
        snapshot.remove()
    return f"s3://{settings.s3_bucket}/{key}"


def fetch_layer(arn: str, settings: PublishSettings, into: Path) -> Tuple[LayerContents, Path]:
    """The layer version ``arn``: its zip downloaded into ``into`` (checked against its CodeSha256), read;
    and the zip's path there (the handler check unpacks it)."""
    region = arn.split(":")[3]
    api = LayerApi(region, settings.profile, settings.timeout)
    layer, _, number = arn.rpartition(":")
    with api.call("lambda:GetLayerVersion", arn):
        version = api.lambda_client.get_layer_version(LayerName=layer, VersionNumber=int(number))
    content = version.get("Content", {})
    location = str(content.get("Location", ""))
    if not location.startswith(("https://", "http://")):
        raise PublishError(
            f"Lambda gives no download location for {arn} (got {location!r}), so its size and contents cannot be read. "
            "Pass the layer's zip in `layers` instead of its ARN."
        )
    path = into / f"{hashlib.sha256(arn.encode()).hexdigest()[:16]}.zip"
    try:
        with urllib.request.urlopen(location, timeout=settings.timeout) as response, open(path, "wb") as out:
            shutil.copyfileobj(response, out)
    except OSError as error:
        raise PublishError(f"Could not download {arn} from the location Lambda gave ({error}). Check the network, "
                           "or pass the layer's zip in `layers` instead of its ARN.") from None
    digest = base64.b64encode(hashlib.sha256(path.read_bytes()).digest()).decode("ascii")
    if digest != content.get("CodeSha256"):
        raise PublishError(f"What was downloaded for {arn} is not its content (SHA-256 {digest}, Lambda says "
                           f"{content.get('CodeSha256')}). Try again, or pass the layer's zip in `layers`.")
    return read_layer_contents(path, label=arn), path
