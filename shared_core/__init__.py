"""lambda-layer-build's core: pin, install for the Lambda runtime, exclude, slim and zip.

Imports neither Poetry nor Hatchling. Everything the adapters in ``poetry_lambda_layer`` and
``hatch_lambda_layer`` use is exported here, so they never reach into the subpackages:
``pins`` (Step 1a), ``install`` (Step 1b), ``pack`` (Step 2).
"""

from shared_core.config import (
    DEFAULT_EXCLUDES,
    HATCH_TARGET_TABLE,
    SHARED_TABLE,
    LayerConfig,
    apply_options,
    config_from_tables,
    load_config,
    read_pyproject,
    split_option_values,
    validate_table,
)
from shared_core.errors import (
    BuildLockError,
    ConfigError,
    EmptyLayerError,
    IncompleteLayerError,
    InstallError,
    InvalidPythonError,
    LayerError,
    LayoutError,
    LockError,
    MissingWheelError,
    PackageTestsError,
    PlatformMismatchError,
    PublishError,
    SizeLimitError,
    SymlinkEscapeError,
    UnsupportedTargetError,
    user_error,
)
from shared_core.fingerprint import fingerprint_path, read_fingerprint
from shared_core.indexes import mask_credentials
from shared_core.install.staging import LambdaLayerBuilder, LambdaLayerInstaller, LayerInstallResult
from shared_core.lambda_runtime import LambdaTarget
from shared_core.pack.layer_zip import LambdaLayerZipper, LayerZipResult
from shared_core.paths import LayerBuildToolEnum, LayerPaths, clean_layer
from shared_core.pins.dependency_list import DependencyListSource, requirements_with_extras
from shared_core.pins.extras import check_extras, chosen_extras
from shared_core.pins.poetry_lock import PoetryLockSource, check_poetry_lock, poetry_sources, select_groups
from shared_core.pins.source import PinSource
from shared_core.pins.uv_lock import UvLockSource
from shared_core.pins.uv_lock import lock_root as uv_lock_root
from shared_core.pipeline import LayerBuildOutcome, build_layer
from shared_core.publish import (
    HATCH_PUBLISH_TABLE,
    PUBLISH_KEYS,
    PUBLISH_TABLE,
    LambdaLayerPublisher,
    PublishResult,
    PublishSettings,
    apply_publish_options,
    build_and_publish,
    load_boto3,
    publish_built_layer,
    publish_layer,
    publish_table,
    settings_from_tables,
    with_layer_name,
)
from shared_core.reporting import PrintReporter, TerminalBar, terminal_bar
from shared_core.requires_python import RequiresPython, allowed_minors, from_poetry_constraint, from_specifier
from shared_core.target_selection import TargetChoice, choose_target
from shared_core.version import __version__

__all__ = [
    "DEFAULT_EXCLUDES",
    "HATCH_PUBLISH_TABLE",
    "HATCH_TARGET_TABLE",
    "PUBLISH_KEYS",
    "PUBLISH_TABLE",
    "SHARED_TABLE",
    "BuildLockError",
    "ConfigError",
    "DependencyListSource",
    "EmptyLayerError",
    "IncompleteLayerError",
    "InstallError",
    "InvalidPythonError",
    "LambdaLayerBuilder",
    "LambdaLayerInstaller",
    "LambdaLayerPublisher",
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
    "PrintReporter",
    "PublishError",
    "PublishResult",
    "PublishSettings",
    "RequiresPython",
    "SizeLimitError",
    "SymlinkEscapeError",
    "TargetChoice",
    "TerminalBar",
    "UnsupportedTargetError",
    "UvLockSource",
    "__version__",
    "allowed_minors",
    "apply_options",
    "apply_publish_options",
    "build_and_publish",
    "build_layer",
    "check_extras",
    "check_poetry_lock",
    "choose_target",
    "chosen_extras",
    "clean_layer",
    "config_from_tables",
    "fingerprint_path",
    "from_poetry_constraint",
    "from_specifier",
    "load_boto3",
    "load_config",
    "mask_credentials",
    "poetry_sources",
    "publish_built_layer",
    "publish_layer",
    "publish_table",
    "read_fingerprint",
    "read_pyproject",
    "requirements_with_extras",
    "select_groups",
    "settings_from_tables",
    "split_option_values",
    "terminal_bar",
    "user_error",
    "uv_lock_root",
    "validate_table",
    "with_layer_name",
]
