"""``[tool.lambda-layer.publish]``: where and how the layer is published, validated like the rest.

Keys (all optional): ``layer-name``, ``s3-bucket``, ``s3-prefix``, ``region``, ``profile``,
``description``, ``license-info``, ``share-with``, ``timeout``. A bad value is a :class:`ConfigError` naming the
full dotted key (``tool.lambda-layer.publish.<key>``, ``tool.hatch.publish.lambda-layer.<key>``)
or the option (``--layer-name``). Nothing here talks to AWS or imports boto3.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Callable, Dict, Mapping, Optional, Sequence, Tuple, Union

from shared_core.config import IgnoredKeys, validate_fields
from shared_core.errors import ConfigError
from shared_core.names import normalize_name

PUBLISH_TABLE = "tool.lambda-layer.publish"
HATCH_PUBLISH_TABLE = "tool.hatch.publish.lambda-layer"
DEFAULT_S3_PREFIX = "lambda-layer/"
#: Seconds boto3 waits to connect and for each answer (botocore's own default read timeout).
DEFAULT_TIMEOUT = 60.0
MAX_TIMEOUT = 3600.0

#: Lambda's limits (PublishLayerVersion, AddLayerVersionPermission).
MAX_LAYER_NAME = 140
MAX_DESCRIPTION = 256
MAX_LICENSE_INFO = 512

_LAYER_NAME = re.compile(r"[a-zA-Z0-9_-]+")
_BUCKET = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")
_REGION = re.compile(r"[a-z]{2}(-[a-z]+)+-\d{1,2}")
_ACCOUNT = re.compile(r"\d{12}")
_ORGANIZATION = re.compile(r"o-[a-z0-9]{10,32}")
_NOT_IN_NAME = re.compile(r"[^a-zA-Z0-9_-]+")


@dataclass(frozen=True)
class PublishSettings:
    """Every publish setting; ``None`` means "decide" (layer name from the project, Region from boto3)."""

    layer_name: Optional[str] = None
    s3_bucket: Optional[str] = None
    s3_prefix: str = DEFAULT_S3_PREFIX
    region: Optional[str] = None
    profile: Optional[str] = None
    description: Optional[str] = None
    license_info: Optional[str] = None
    share_with: Tuple[str, ...] = ()
    timeout: float = DEFAULT_TIMEOUT

    def with_overrides(self, **overrides: Any) -> "PublishSettings":
        """Given values win; ``None`` (option not given) keeps the configured value."""
        return replace(self, **{key: value for key, value in overrides.items() if value is not None})


# -- validation ----------------------------------------------------------------------------------

# Each validator gets the setting's name as the user wrote it (``Field `tool.lambda-layer.publish.x```
# or ``--x``), as the build settings' validators do, and puts it first in its message.


def _text(value: Any, name: str, limit: int) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"{name} must be a non-empty string, got {value!r}.")
    if len(value.strip()) > limit:
        raise ConfigError(f"{name} must be at most {limit} characters (Lambda's limit), got {len(value.strip())}.")
    return value.strip()


def _layer_name(value: Any, name: str) -> str:
    layer_name = _text(value, name, MAX_LAYER_NAME)
    if not _LAYER_NAME.fullmatch(layer_name):
        raise ConfigError(
            f"{name} must be a Lambda layer name: 1-{MAX_LAYER_NAME} letters, digits, hyphens or "
            f"underscores, got {value!r}."
        )
    return layer_name


def _bucket(value: Any, name: str) -> str:
    bucket = _text(value, name, 63)
    if bucket.startswith("s3://") or not _BUCKET.fullmatch(bucket) or ".." in bucket:
        raise ConfigError(
            f"{name} must be an S3 bucket name (3-63 lowercase letters, digits, dots or hyphens, "
            f'without "s3://"), got {value!r}.'
        )
    return bucket


def _prefix(value: Any, name: str) -> str:
    if not isinstance(value, str) or any(part in (".", "..") for part in value.split("/")) or "\\" in value:
        raise ConfigError(f'{name} must be an S3 key prefix such as "lambda-layer/", got {value!r}.')
    prefix = value.strip().strip("/")
    return f"{prefix}/" if prefix else ""


def _region(value: Any, name: str) -> str:
    region = _text(value, name, 32)
    if not _REGION.fullmatch(region):
        raise ConfigError(f'{name} must be an AWS Region such as "eu-west-1", got {value!r}.')
    return region


def _profile(value: Any, name: str) -> str:
    return _text(value, name, 128)


def _description(value: Any, name: str) -> str:
    return _text(value, name, MAX_DESCRIPTION)


def _license_info(value: Any, name: str) -> str:
    return _text(value, name, MAX_LICENSE_INFO)


def _share_with(value: Any, name: str) -> Tuple[str, ...]:
    if isinstance(value, str) or not isinstance(value, (list, tuple)):
        raise ConfigError(
            f'{name} must be an array of AWS account IDs and organization IDs, such as '
            f'["123456789012", "o-a1b2c3d4e5"], got {value!r}.'
        )
    entries = []
    for item in value:
        entry = item.strip() if isinstance(item, str) else item
        if not isinstance(entry, str) or not (_ACCOUNT.fullmatch(entry) or _ORGANIZATION.fullmatch(entry)):
            raise ConfigError(
                f"{name} must list 12-digit AWS account IDs or organization IDs (o-...), got {item!r}."
            )
        if entry not in entries:
            entries.append(entry)
    return tuple(entries)


def _timeout(value: Any, name: str) -> float:
    """Seconds, from TOML (a number) or a command line (text); a bounded, positive, finite number."""
    seconds: Optional[float] = None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        seconds = float(value)
    elif isinstance(value, str):
        try:
            seconds = float(value.strip())
        except ValueError:
            seconds = None
    if seconds is None or not math.isfinite(seconds) or not 0 < seconds <= MAX_TIMEOUT:
        raise ConfigError(f"{name} must be a number of seconds above 0 and at most {MAX_TIMEOUT:g}, got {value!r}.")
    return seconds


_VALIDATORS: Dict[str, Callable[[Any, str], Any]] = {
    "layer-name": _layer_name,
    "s3-bucket": _bucket,
    "s3-prefix": _prefix,
    "region": _region,
    "profile": _profile,
    "description": _description,
    "license-info": _license_info,
    "share-with": _share_with,
    "timeout": _timeout,
}

PUBLISH_KEYS: Tuple[str, ...] = tuple(_VALIDATORS)


def validate_publish_table(table: Any, name: str = PUBLISH_TABLE, *, ignore: Tuple[str, ...] = ()) -> Dict[str, Any]:
    """Validate a publish table; returns ``{python_attribute_name: value}`` for the keys present."""
    return validate_fields(table, name, _VALIDATORS, ignore=ignore)


def publish_table(pyproject: Mapping[str, Any]) -> Mapping[str, Any]:
    """``[tool.lambda-layer.publish]`` of a parsed pyproject.toml (empty when absent)."""
    shared = pyproject.get("tool", {}).get("lambda-layer", {})
    return shared.get("publish", {}) if isinstance(shared, Mapping) else {}


def settings_from_tables(*tables: Tuple[Any, str], ignore: Optional[IgnoredKeys] = None) -> PublishSettings:
    """Merge validated tables, later ones winning key by key (Hatch's publisher table over the shared one)."""
    merged: Dict[str, Any] = {}
    for table, name in tables:
        merged.update(validate_publish_table(table, name, ignore=(ignore or {}).get(name, ())))
    return PublishSettings(**merged)


def apply_publish_options(
    settings: PublishSettings,
    *,
    layer_name: Optional[str] = None,
    s3_bucket: Optional[str] = None,
    s3_prefix: Optional[str] = None,
    region: Optional[str] = None,
    profile: Optional[str] = None,
    description: Optional[str] = None,
    license_info: Optional[str] = None,
    share_with: Sequence[str] = (),
    timeout: Optional[Union[str, float]] = None,
) -> PublishSettings:
    """Command-line values over the tables, validated with the option's name in errors."""
    given = {
        "layer-name": layer_name, "s3-bucket": s3_bucket, "s3-prefix": s3_prefix, "region": region,
        "profile": profile, "description": description, "license-info": license_info,
        "share-with": list(share_with) if share_with else None, "timeout": timeout,
    }
    return settings.with_overrides(**{
        key.replace("-", "_"): _VALIDATORS[key](value, f"--{key}") for key, value in given.items() if value is not None
    })


# -- the default layer name ----------------------------------------------------------------------

def project_name(pyproject: Mapping[str, Any], project_root: Path) -> str:
    """``[project].name``, else ``[tool.poetry].name``, else the project directory's name."""
    for table in (pyproject.get("project", {}), pyproject.get("tool", {}).get("poetry", {})):
        if isinstance(table, Mapping) and isinstance(table.get("name"), str) and table["name"].strip():
            return table["name"]
    return project_root.name


def default_layer_name(name: str, python_version: str, architecture: str) -> str:
    """``<project>-py<XY>-<arch>``: one layer per target, so each target's "unchanged" check compares
    like with like (``my_app`` for 3.12 on arm64 -> ``my-app-py312-arm64``)."""
    suffix = f"-py{python_version.replace('.', '')}-{architecture}"
    base = _NOT_IN_NAME.sub("-", normalize_name(name)).strip("-_")[: MAX_LAYER_NAME - len(suffix)].rstrip("-_")
    if not base:
        raise ConfigError(
            f"Cannot derive a layer name from the project name {name!r}. Set `{PUBLISH_TABLE}.layer-name` "
            "in pyproject.toml or pass --layer-name."
        )
    return base + suffix
