"""lambda-layer-build's core: pin, install for the Lambda runtime, exclude, slim and zip.

Imports neither Poetry nor Hatchling. Everything the adapters in ``poetry_lambda_layer`` and
``hatch_lambda_layer`` use is exported here, so they never reach into the subpackages:
``pins`` (Step 1a), ``install`` (Step 1b), ``pack`` (Step 2).
"""

from .config import (
    DEFAULT_EXCLUDES,
    HATCH_TARGET_TABLE,
    SHARED_TABLE,
    LayerConfig,
    apply_options,
    config_from_tables,
    load_config,
    split_option_values,
    validate_table,
)
from .errors import (
    ConfigError,
    InstallError,
    LayerError,
    LayoutError,
    LockError,
    MissingWheelError,
    PackageTestsError,
    PlatformMismatchError,
    SizeLimitError,
    SymlinkEscapeError,
    UnsupportedTargetError,
)
from .indexes import mask_credentials
from .install.staging import LambdaLayerBuilder, LambdaLayerInstaller, LayerInstallResult, resolve_target
from .lambda_runtime import LambdaTarget
from .pack.layer_zip import LambdaLayerZipper, LayerZipResult
from .paths import LayerBuildToolEnum, LayerPaths, clean_layer
from .pins.dependency_list import DependencyListSource, requirements_with_extras
from .pins.extras import check_extras
from .pins.poetry_lock import PoetryLockSource, check_poetry_lock, poetry_sources, select_groups
from .pins.source import PinSource
from .pins.uv_lock import UvLockSource
from .pipeline import LayerBuildOutcome, build_layer
from .version import __version__

__all__ = [
    "DEFAULT_EXCLUDES",
    "HATCH_TARGET_TABLE",
    "SHARED_TABLE",
    "ConfigError",
    "DependencyListSource",
    "InstallError",
    "LambdaLayerBuilder",
    "LambdaLayerInstaller",
    "LambdaLayerZipper",
    "LambdaTarget",
    "LayerBuildOutcome",
    "LayerBuildToolEnum",
    "LayerConfig",
    "LayerError",
    "LayerInstallResult",
    "LayerPaths",
    "LayerZipResult",
    "LayoutError",
    "LockError",
    "MissingWheelError",
    "PackageTestsError",
    "PinSource",
    "PlatformMismatchError",
    "PoetryLockSource",
    "SizeLimitError",
    "SymlinkEscapeError",
    "UnsupportedTargetError",
    "UvLockSource",
    "__version__",
    "apply_options",
    "build_layer",
    "check_extras",
    "check_poetry_lock",
    "clean_layer",
    "config_from_tables",
    "load_config",
    "mask_credentials",
    "poetry_sources",
    "requirements_with_extras",
    "resolve_target",
    "select_groups",
    "split_option_values",
    "validate_table",
]
