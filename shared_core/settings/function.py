"""``[tool.lambda-layer.function]``: the function zip built beside the layer, declared like the build settings.

The function's target, installer, bytecode and compression are the layer's (``[tool.lambda-layer]``):
one project, one runtime. What is its own: which files go in (a packaged project ships its wheel),
the handler to check, where the zip goes, the other layers it is deployed with, and whether it may
hold what a layer holds. Hatch reads the same keys from ``[tool.hatch.build.targets.lambda-function]``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Optional, Tuple

from shared_core.errors import ConfigError
from shared_core.layout import DEFAULT_FUNCTION_OUTPUT, TARGET_PLACEHOLDER
from shared_core.settings import validators
from shared_core.settings.declaration import Action, Settings, setting

FUNCTION_TABLE = "tool.lambda-layer.function"
HATCH_FUNCTION_TABLE = "tool.hatch.build.targets.lambda-function"
#: What a project without packaging ships when ``include`` is not set: its top-level modules.
DEFAULT_INCLUDE: Tuple[str, ...] = ("*.py",)
#: Lambda's limit of layers per function.
MAX_LAYERS = 5
#: The publish settings an upload of the function zip uses (the others name a layer version).
UPLOAD_SETTINGS: Tuple[str, ...] = ("s3_bucket", "s3_prefix", "region", "profile", "timeout")

_HANDLER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)+")
_LAYER_ARN = re.compile(r"arn:aws[a-zA-Z-]*:lambda:[a-z]{2}(-[a-z]+)+-\d{1,2}:\d{12}:layer:[a-zA-Z0-9_-]+:\d+")


def _handler(value: Any, name: str) -> str:
    handler = validators.string(value, name)
    if not _HANDLER.fullmatch(handler):
        raise ConfigError(f"{name} must be the handler as Lambda takes it, module.attribute (app.main.handler), "
                          f"got {value!r}.")
    return handler


def _globs(value: Any, name: str) -> Tuple[str, ...]:
    patterns = validators.string_list(value, name)
    for pattern in patterns:
        if pattern.startswith(("/", "\\")) or ".." in pattern.replace("\\", "/").split("/"):
            raise ConfigError(f"{name} must hold globs relative to the project, inside it, got {pattern!r}.")
    return patterns


def _layers(value: Any, name: str) -> Tuple[str, ...]:
    layers = validators.string_list(value, name)
    for layer in layers:
        if layer.startswith("arn:") and not _LAYER_ARN.fullmatch(layer):
            raise ConfigError(f"{name} must hold layer zips (paths) or layer version ARNs "
                              f"(arn:aws:lambda:REGION:ACCOUNT:layer:NAME:VERSION), got {layer!r}.")
    if len(layers) > MAX_LAYERS - 1:
        raise ConfigError(f"{name} names {len(layers)} layers; with the project's own layer that is over Lambda's limit "
                          f"of {MAX_LAYERS} layers per function.")
    return layers


@dataclass(frozen=True)
class FunctionSettings(Settings):
    """Every setting of the function zip; ``None`` means "decide" (the default output)."""

    DEFAULT_TABLE = FUNCTION_TABLE

    include: Tuple[str, ...] = setting(
        (), _globs, "the files of a project without packaging, as globs relative to it (default for such a project: "
        "*.py at its root); a packaged project ships the wheel its own build backend makes", flag="--include",
        metavar="GLOB", action=Action.LIST, shown_default='(its wheel, else `["*.py"]`)')
    handler: Optional[str] = setting(
        None, _handler, "the handler, module.attribute (app.main.handler): imported and checked callable with the "
        "layer, where this machine can run the target", flag="--handler", metavar="MODULE.ATTR",
        shown_default="(none: not checked)")
    output: Optional[str] = setting(
        None, validators.string, f"path of the function zip, relative to the project, or a directory ({TARGET_PLACEHOLDER} "
        f"as for the layer; default: {DEFAULT_FUNCTION_OUTPUT})", flag="--function-output", metavar="PATH")
    layers: Tuple[str, ...] = setting(
        (), _layers, "other layers the function is deployed with, as zips or layer version ARNs (repeatable): their "
        "unzipped size counts against Lambda's limit, their contents against overlaps", flag="--with-layer",
        metavar="ZIP|ARN", action=Action.EXTEND)
    allow_overlap: bool = setting(
        False, validators.boolean, "let the function hold a distribution or top-level module that a layer (or the "
        "runtime) holds too", flag="--allow-overlap", action=Action.ENABLE)
