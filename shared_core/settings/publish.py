"""``[tool.lambda-layer.publish]``: where and how the layer is published, declared like the build settings.

A bad value is a :class:`ConfigError` naming the full dotted key
(``tool.lambda-layer.publish.<key>``, ``tool.hatch.publish.lambda-layer.<key>``) or the option
(``--layer-name``, Hatch's ``-o layer-name=``). Nothing here talks to AWS or imports boto3.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping, Optional, Tuple

from shared_core.errors import ConfigError
from shared_core.layout import TARGET_PLACEHOLDER
from shared_core.settings import validators
from shared_core.settings.declaration import Action, Settings, setting
from shared_core.support.names import normalize_name

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


#: The longest target name ``{target}`` stands for (``py314-x86_64``).
_LONGEST_TARGET = "py314-x86_64"


def _layer_name(value: Any, name: str) -> str:
    """A Lambda layer name, where ``{target}`` (``py312-arm64``) names each target's own layer."""
    layer_name = validators.string(value, name)
    if TARGET_PLACEHOLDER not in layer_name:
        layer_name = validators.text(layer_name, name, MAX_LAYER_NAME)
    elif len(layer_name.replace(TARGET_PLACEHOLDER, _LONGEST_TARGET)) > MAX_LAYER_NAME:
        longest = len(layer_name.replace(TARGET_PLACEHOLDER, _LONGEST_TARGET))
        raise ConfigError(f"{name} must be at most {MAX_LAYER_NAME} characters (Lambda's limit) with "
                          f"{TARGET_PLACEHOLDER} filled in ({_LONGEST_TARGET}), got {longest}.")
    if not _LAYER_NAME.fullmatch(layer_name.replace(TARGET_PLACEHOLDER, "x")):
        placeholder = f" (and {TARGET_PLACEHOLDER} for each target's name)" if "{" in layer_name else ""
        raise ConfigError(
            f"{name} must be a Lambda layer name: 1-{MAX_LAYER_NAME} letters, digits, hyphens or "
            f"underscores{placeholder}, got {value!r}."
        )
    return layer_name


def bucket_name(value: Any, name: str) -> str:
    bucket = validators.text(value, name, 63)
    if bucket.startswith("s3://") or not _BUCKET.fullmatch(bucket) or ".." in bucket:
        raise ConfigError(
            f"{name} must be an S3 bucket name (3-63 lowercase letters, digits, dots or hyphens, "
            f'without "s3://"), got {value!r}.'
        )
    return bucket


def key_prefix(value: Any, name: str) -> str:
    if not isinstance(value, str) or any(part in (".", "..") for part in value.split("/")) or "\\" in value:
        raise ConfigError(f'{name} must be an S3 key prefix such as "lambda-layer/", got {value!r}.')
    prefix = value.strip().strip("/")
    return f"{prefix}/" if prefix else ""


def _region(value: Any, name: str) -> str:
    region = validators.text(value, name, 32)
    if not _REGION.fullmatch(region):
        raise ConfigError(f'{name} must be an AWS Region such as "eu-west-1", got {value!r}.')
    return region


def _profile(value: Any, name: str) -> str:
    return validators.text(value, name, 128)


def _description(value: Any, name: str) -> str:
    return validators.text(value, name, MAX_DESCRIPTION)


def _license_info(value: Any, name: str) -> str:
    return validators.text(value, name, MAX_LICENSE_INFO)


def _share_with(value: Any, name: str) -> Tuple[str, ...]:
    if isinstance(value, tuple):  # a command line's values, already split
        value = list(value)
    if not isinstance(value, list):
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
    return validators.seconds(value, name, MAX_TIMEOUT)


@dataclass(frozen=True)
class OptionTerms:
    """How an entry point's user sets a publish setting, for the messages that say how: its table, and
    its option (``{key}``: the setting's key, ``{attribute}``: its Python name)."""

    table: str = PUBLISH_TABLE
    option: str = "--{key}"

    def option_for(self, key: str) -> str:
        """``--s3-bucket`` (console, Poetry), ``-o s3-bucket=...`` (Hatch), ``s3_bucket=`` (Python API)."""
        return self.option.format(key=key, attribute=key.replace("-", "_"))

    def named(self, key: str) -> str:
        """Where a value came from, when any of the ways may have set it: ```s3-bucket` / --s3-bucket``."""
        return f"`{key}` / {self.option_for(key)}"

    def how_to_set(self, key: str) -> str:
        """``set `s3-bucket` in [tool.lambda-layer.publish] or pass --s3-bucket``."""
        return f"set `{key}` in [{self.table}] or pass {self.option_for(key)}"


#: The console script's and Poetry's terms (their options are the settings' flags).
CONSOLE_TERMS = OptionTerms()
HATCH_TERMS = OptionTerms(HATCH_PUBLISH_TABLE, "-o {key}=...")
API_TERMS = OptionTerms(PUBLISH_TABLE, "{attribute}=")


@dataclass(frozen=True)
class PublishSettings(Settings):
    """Every publish setting; ``None`` means "decide" (layer name from the project, Region from boto3)."""

    DEFAULT_TABLE = PUBLISH_TABLE

    layer_name: Optional[str] = setting(
        None, _layer_name, f"layer name; {TARGET_PLACEHOLDER} in it is each target's name, needed when several targets "
        "are published (default: <project>-py<XY>-<arch>)", flag="--layer-name", metavar="NAME")
    s3_bucket: Optional[str] = setting(
        None, bucket_name, "upload through this S3 bucket (needed over 50 MB zipped)", flag="--s3-bucket", metavar="BUCKET")
    s3_prefix: str = setting(
        DEFAULT_S3_PREFIX, key_prefix, f"key prefix in the bucket (default: {DEFAULT_S3_PREFIX})", flag="--s3-prefix",
        metavar="PREFIX")
    region: Optional[str] = setting(
        None, _region, "AWS Region (default: AWS_REGION, then boto3's, e.g. AWS_DEFAULT_REGION)", flag="--region",
        metavar="REGION")
    profile: Optional[str] = setting(
        None, _profile, "AWS profile (default: boto3's, e.g. AWS_PROFILE)", flag="--profile", metavar="PROFILE")
    description: Optional[str] = setting(
        None, _description, "layer version description (tool version and build fingerprint are appended)",
        flag="--description", metavar="TEXT")
    license_info: Optional[str] = setting(
        None, _license_info, "layer version license info", flag="--license-info", metavar="TEXT")
    share_with: Tuple[str, ...] = setting(
        (), _share_with, "AWS account ID or organization ID (o-...) allowed to use the version (repeatable; comma "
        "or space separated)", flag="--share-with", metavar="ID", action=Action.LIST)
    timeout: float = setting(
        DEFAULT_TIMEOUT, _timeout, f"seconds to wait for AWS to connect and for each answer (default: "
        f"{DEFAULT_TIMEOUT:g})", flag="--timeout", metavar="SECONDS")
    #: How the entry point that made these settings names them in messages (not a setting).
    terms: OptionTerms = field(default=CONSOLE_TERMS, compare=False)


def capitalized(sentence: str) -> str:
    return sentence[:1].upper() + sentence[1:]


# -- the default layer name ----------------------------------------------------------------------

def project_name(pyproject: Mapping[str, Any], project_root: Path) -> str:
    """``[project].name``, else ``[tool.poetry].name``, else the project directory's name."""
    for table in (pyproject.get("project", {}), pyproject.get("tool", {}).get("poetry", {})):
        if isinstance(table, Mapping) and isinstance(table.get("name"), str) and table["name"].strip():
            return table["name"]
    return project_root.name


def default_layer_name(name: str, python_version: str, architecture: str, terms: OptionTerms = CONSOLE_TERMS) -> str:
    """``<project>-py<XY>-<arch>``: one layer per target, so each target's "unchanged" check compares
    like with like (``my_app`` for 3.12 on arm64 -> ``my-app-py312-arm64``)."""
    suffix = f"-py{python_version.replace('.', '')}-{architecture}"
    base = _NOT_IN_NAME.sub("-", normalize_name(name)).strip("-_")[: MAX_LAYER_NAME - len(suffix)].rstrip("-_")
    if not base:
        raise ConfigError(
            f"Cannot derive a layer name from the project name {name!r}. {capitalized(terms.how_to_set('layer-name'))}."
        )
    return base + suffix
