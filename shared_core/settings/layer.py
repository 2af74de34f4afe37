"""``[tool.lambda-layer]``: the build settings, each declared once (see :mod:`.declaration`).

The same keys are valid in Hatch's target table, ``[tool.hatch.build.targets.lambda-layer]``,
which wins over the shared table key by key; the console script and Poetry take the flags.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional, Tuple

from shared_core.errors import ConfigError
from shared_core.lambda_runtime import (
    ARCHITECTURE_ALIASES,
    ARCHITECTURES,
    RUNTIME_PROVIDED,
    SUPPORTED_PYTHON_VERSIONS,
    normalize_architecture,
    normalize_python_version,
)
from shared_core.layout import TARGET_PLACEHOLDER, zip_output_path
from shared_core.settings import validators
from shared_core.settings.declaration import Action, Settings, setting
from shared_core.settings.function import FunctionSettings
from shared_core.settings.publish import PublishSettings, bucket_name, key_prefix
from shared_core.support.deflate import MAX_COMPRESSION_LEVEL, MIN_COMPRESSION_LEVEL

SHARED_TABLE = "tool.lambda-layer"
HATCH_TARGET_TABLE = "tool.hatch.build.targets.lambda-layer"

#: Keys Hatch reads from every ``[tool.hatch.build.targets.<name>]`` table (hatchling's
#: BuilderConfig and hatch's BuildTargetConfig). They are Hatch's, so the layer ignores them in
#: the target table, whichever entry point reads it.
HATCH_GENERIC_KEYS: Tuple[str, ...] = (
    "artifacts", "dependencies", "dev-mode-dirs", "dev-mode-exact", "directory", "exclude", "force-include", "hooks",
    "ignore-vcs", "include", "only-include", "only-packages", "packages", "reproducible",
    "require-runtime-dependencies", "require-runtime-features", "skip-excluded-dirs", "sources", "versions",
)

#: Distributions dropped unless ``default-excludes = false``: provided by the Lambda runtime,
#: or build and test tools that have no business in a layer.
DEFAULT_EXCLUDES: Tuple[str, ...] = (*RUNTIME_PROVIDED, "setuptools", "pip", "wheel", "twine", "pytest", "_pytest")

DEFAULT_COMPRESSION_LEVEL = 9
INSTALLERS = ("uv", "pip")


def _python_version(value: Any, name: str) -> str:
    if isinstance(value, float):
        raise ConfigError(f'{name} must be a string such as "3.12" (quoted), got the number {value!r}.')
    return normalize_python_version(validators.string(value, name), name)


def _architecture(value: Any, name: str) -> str:
    return normalize_architecture(validators.string(value, name), name)


def _python_versions(value: Any, name: str) -> Tuple[str, ...]:
    return validators.one_or_more(value, name, _python_version)


def _architectures(value: Any, name: str) -> Tuple[str, ...]:
    return validators.one_or_more(value, name, _architecture)


def _compression_level(value: Any, name: str) -> int:
    return validators.integer(value, name, MIN_COMPRESSION_LEVEL, MAX_COMPRESSION_LEVEL)


def _installer(value: Any, name: str) -> str:
    return validators.one_of(value, name, INSTALLERS)


CACHE_SCHEME = "s3://"


def cache_location(value: Any, name: str) -> str:
    """``s3://BUCKET/PREFIX``, as ``s3://BUCKET/PREFIX/`` (or ``s3://BUCKET/`` without a prefix)."""
    text = validators.string(value, name)
    if not text.startswith(CACHE_SCHEME):
        raise ConfigError(f'{name} must be an S3 location such as "s3://my-bucket/layer-cache", got {value!r}.')
    bucket, _, prefix = text[len(CACHE_SCHEME):].partition("/")
    return f"{CACHE_SCHEME}{bucket_name(bucket, name)}/{key_prefix(prefix, name)}"


def split_cache_location(location: str) -> Tuple[str, str]:
    """``("my-bucket", "layer-cache/")`` of a validated :func:`cache_location`."""
    bucket, _, prefix = location[len(CACHE_SCHEME):].partition("/")
    return bucket, prefix


_VERSIONS = f"{SUPPORTED_PYTHON_VERSIONS[0]}-{SUPPORTED_PYTHON_VERSIONS[-1]}"
_ALIASES = ", ".join(sorted(ARCHITECTURE_ALIASES))


@dataclass(frozen=True)
class LayerConfig(Settings):
    """Every setting of a layer build; ``None`` means "decide from the project or the machine"."""

    DEFAULT_TABLE = SHARED_TABLE
    NESTED = {SHARED_TABLE: {"publish": PublishSettings, "function": FunctionSettings}}  # noqa: RUF012 - a class-level declaration

    python_version: Optional[Tuple[str, ...]] = setting(
        None, _python_versions, f"Lambda Python version(s), X.Y ({_VERSIONS}); several build one layer each "
        "(a list, or comma separated and repeatable; default: the one requires-python allows, else this "
        "interpreter's)", flag="--python", metavar="X.Y", action=Action.LIST)
    architecture: Tuple[str, ...] = setting(
        ("x86_64",), _architectures, f"Lambda architecture(s): {' or '.join(ARCHITECTURES)}, aliases {_ALIASES}; "
        "several build one layer each", flag="--arch", metavar="ARCH", action=Action.LIST)
    exclude_packages: Tuple[str, ...] = setting(
        (), validators.string_list, "also leave out this distribution (name or glob; repeatable), on top of the "
        "defaults", flag="--exclude", metavar="NAME", action=Action.EXTEND)
    default_excludes: bool = setting(
        True, validators.boolean, "leave out what the runtime provides and build tools (boto3, botocore, s3transfer, "
        "urllib3, pip, setuptools, ...); --no-default-excludes keeps them", flag="--no-default-excludes",
        action=Action.DISABLE)
    output: Optional[str] = setting(
        None, validators.string, "path of the zip, relative to the project, or a directory (existing, or ending in /) "
        f"to put layer.zip in; {TARGET_PLACEHOLDER} in it is each target's name (py312-arm64), and a directory gets one "
        "folder per target when there are several (default: build/lambda/layer/layer.zip; with several targets "
        "build/lambda/layer/<target>/layer.zip)", flag="--output", short="-o", metavar="PATH")
    compression_level: int = setting(
        DEFAULT_COMPRESSION_LEVEL, _compression_level, f"deflate level, {MIN_COMPRESSION_LEVEL} (store) to {MAX_COMPRESSION_LEVEL} (default: "
        f"{DEFAULT_COMPRESSION_LEVEL}; above 9 needs libdeflate)", flag="--compression-level",
        metavar=f"0-{MAX_COMPRESSION_LEVEL}")
    compile_bytecode: bool = setting(
        True, validators.boolean, "ship unchecked-hash .pyc compiled for the target Python; --no-compile ships none",
        flag="--no-compile", action=Action.DISABLE)
    allow_sdist: Tuple[str, ...] = setting(
        (), validators.string_list, "pure-Python packages allowed to build from an sdist")
    installer: str = setting(
        "uv", _installer, "installer that unpacks the wheels: uv or pip (default: uv)", flag="--installer",
        metavar="uv|pip")
    extras: Tuple[str, ...] = setting(
        (), validators.string_list, "extras to include (repeatable; comma or space separated)", flag="--extras",
        short="-E", metavar="EXTRA", action=Action.LIST, group="extras")
    all_extras: bool = setting(
        False, validators.boolean, "include every extra", flag="--all-extras", action=Action.ENABLE, group="extras",
        excludes="extras")
    with_groups: Tuple[str, ...] = setting(
        (), validators.string_list, "also include these dependency groups", flag="--with", metavar="GROUP",
        action=Action.LIST, group="groups")
    without_groups: Tuple[str, ...] = setting(
        (), validators.string_list, "leave out these dependency groups", flag="--without", metavar="GROUP",
        action=Action.LIST, group="groups")
    only_groups: Tuple[str, ...] = setting(
        (), validators.string_list, "only these dependency groups", flag="--only", metavar="GROUP",
        action=Action.LIST, group="groups")
    all_groups: bool = setting(
        False, validators.boolean, "include every dependency group", flag="--all-groups", action=Action.ENABLE,
        group="groups")
    requirements: str = setting(
        "requirements.txt", validators.string, "the requirements file of a pip project")
    allow_oversize: bool = setting(
        False, validators.boolean, "write the layer even if it exceeds Lambda's 250 MB unzipped limit",
        flag="--allow-oversize", action=Action.ENABLE)
    drop_package_tests: bool = setting(
        False, validators.boolean, "leave out the test suites packages ship inside themselves (pandas/tests, ...)",
        flag="--drop-package-tests", action=Action.ENABLE)
    cache: Optional[str] = setting(
        None, cache_location, "share built layers through this S3 location (s3://BUCKET/PREFIX): a build whose "
        "inputs were built before, on any machine, downloads that zip instead of building it (default: off)",
        flag="--cache", metavar="s3://BUCKET/PREFIX")
    allow_invalid_python: bool = setting(
        False, validators.boolean, "ship modules the target Python cannot compile as source (a warning, and an "
        "incomplete layer) instead of failing", flag="--allow-invalid-python", action=Action.ENABLE)
    report: bool = setting(
        False, validators.boolean, "also write layer.zip.html (the zip's name + .html) beside each zip: a self-contained page with a treemap of "
        "what fills the layer, its size against Lambda's limit, what each fit measure would save and what was "
        "excluded (changes no byte of the zip)", flag="--report", action=Action.ENABLE)

    @property
    def excluded_patterns(self) -> Tuple[str, ...]:
        """The effective exclusion list: the defaults (unless turned off) plus ``exclude-packages``."""
        defaults = DEFAULT_EXCLUDES if self.default_excludes else ()
        return tuple(dict.fromkeys((*defaults, *self.exclude_packages)))

    def output_path(self, project_root: Path, target: str, several: bool = False) -> Path:
        """Where ``target``'s zip goes (``target``: its name, ``py312-arm64``): ``output`` (a directory
        gets ``layer.zip``) or the default; ``several``: the build makes more than one layer."""
        return zip_output_path(project_root, self.output, target, several)
