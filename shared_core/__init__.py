"""lambda-layer-build's core: pin, install for the Lambda runtime, exclude, slim and zip.

Imports neither Poetry nor Hatchling; the adapters in ``poetry_lambda_layer`` and
``hatch_lambda_layer`` are thin layers over :func:`build_layer`.
"""

from .builder import LambdaLayerBuilder, LayerInstallResult
from .config import DEFAULT_EXCLUDES, LayerConfig, load_config
from .errors import (
    ConfigError,
    InstallError,
    LayerError,
    LayoutError,
    LockError,
    MissingWheelError,
    PlatformMismatchError,
    PublishError,
    SizeLimitError,
    SymlinkEscapeError,
    UnsupportedTargetError,
)
from .layout import LayerBuildToolEnum, LayerPaths
from .pipeline import LayerBuildOutcome, build_layer
from .publish import LambdaLayerPublisher, PublishResult, publish_layer
from .target import LambdaTarget
from .version import __version__
from .zipper import LambdaLayerZipper, LayerZipResult

__all__ = [
    "ConfigError",
    "DEFAULT_EXCLUDES",
    "InstallError",
    "LambdaLayerBuilder",
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
    "PlatformMismatchError",
    "PublishError",
    "PublishResult",
    "SizeLimitError",
    "SymlinkEscapeError",
    "UnsupportedTargetError",
    "__version__",
    "build_layer",
    "load_config",
    "publish_layer",
]
