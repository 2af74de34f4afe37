"""lambda-layer-build's core: pin, install for the Lambda runtime, exclude, slim, zip and publish.

Imports neither Poetry nor Hatchling. The names below are the whole public surface, each loaded
on first use (so ``lambda-layer build`` on an up-to-date layer imports only what it needs):

- the Python API: :class:`LambdaLayerBuilder` (Step 1), :class:`LambdaLayerZipper` (Step 2),
  :class:`LambdaLayerPublisher` (Steps 3-4), :class:`LayerBuildToolEnum`, :class:`LayerConfig`,
  :class:`PublishSettings`, :func:`build_layer`, :func:`build_and_publish`, :func:`publish_layer`,
  the results they return and the errors they raise (:class:`LayerError` and its subclasses);
- what the build tools' plugins (``poetry_lambda_layer``, ``hatch_lambda_layer``) need besides:
  :class:`Project` and its surfaces, :class:`ReporterBase`, :func:`failure_of`, the settings'
  declarations, and the pin sources a tool hands over itself.
"""

from __future__ import annotations

import importlib
from typing import Any, Dict

_EXPORTS: Dict[str, str] = {
    # the Python API
    "LambdaLayerBuilder": "shared_core.api",
    "LambdaLayerZipper": "shared_core.api",
    "LambdaLayerPublisher": "shared_core.api",
    "LayerBuildToolEnum": "shared_core.layout",
    "LayerConfig": "shared_core.settings.layer",
    "PublishSettings": "shared_core.settings.publish",
    "build_layer": "shared_core.pipeline.layer_build",
    "build_layers": "shared_core.pipeline.layer_build",
    "layer_outputs": "shared_core.pipeline.layer_build",
    "LayerBuildOutcome": "shared_core.pipeline.outcome",
    "LayerBuilds": "shared_core.pipeline.outcome",
    "LayerManifest": "shared_core.pack.manifest",
    "read_manifest": "shared_core.pack.manifest",
    "build_and_publish": "shared_core.pipeline.layer_publish",
    "publish_layer": "shared_core.pipeline.layer_publish",
    "PublishResult": "shared_core.publish.layer_version",
    "LayerInstallResult": "shared_core.install.staging",
    "LayerZipResult": "shared_core.pack.layer_zip",
    "LambdaTarget": "shared_core.lambda_runtime",
    "__version__": "shared_core.version",
    # errors
    "LayerError": "shared_core.errors",
    "BuildLockError": "shared_core.errors",
    "ConfigError": "shared_core.errors",
    "EmptyLayerError": "shared_core.errors",
    "IncompleteLayerError": "shared_core.errors",
    "InstallError": "shared_core.errors",
    "InvalidPythonError": "shared_core.errors",
    "LayoutError": "shared_core.errors",
    "LockError": "shared_core.errors",
    "MissingWheelError": "shared_core.errors",
    "OutputError": "shared_core.errors",
    "PackageTestsError": "shared_core.errors",
    "PlatformMismatchError": "shared_core.errors",
    "PublishError": "shared_core.errors",
    "SizeLimitError": "shared_core.errors",
    "SymlinkEscapeError": "shared_core.errors",
    "TargetsFailedError": "shared_core.errors",
    "UnsupportedTargetError": "shared_core.errors",
    # for the build tools' plugins
    "Project": "shared_core.pipeline.project",
    "POETRY": "shared_core.pipeline.project",
    "HATCH": "shared_core.pipeline.project",
    "RequiresPython": "shared_core.pipeline.requires_python",
    "allowed_minors": "shared_core.pipeline.requires_python",
    "from_specifier": "shared_core.pipeline.requires_python",
    "publish_built_layer": "shared_core.pipeline.layer_publish",
    "publish_builds": "shared_core.pipeline.layer_publish",
    "build_functions": "shared_core.pipeline.function_build",
    "FunctionOutcome": "shared_core.pipeline.function_build",
    "function_outputs": "shared_core.pipeline.function_build",
    "FunctionSettings": "shared_core.settings.function",
    "UPLOAD_SETTINGS": "shared_core.settings.function",
    "HATCH_FUNCTION": "shared_core.pipeline.project",
    "check_layer_names": "shared_core.pipeline.layer_publish",
    "diff_layers": "shared_core.pipeline.version_commands",
    "version_tables": "shared_core.pipeline.version_commands",
    "prune_layers": "shared_core.pipeline.version_commands",
    "clean_layer": "shared_core.pipeline.outputs",
    "LayerPaths": "shared_core.layout",
    "fingerprint_path": "shared_core.pipeline.fingerprint",
    "ReporterBase": "shared_core.support.reporting",
    "terminal_bar": "shared_core.support.reporting",
    "failure_of": "shared_core.errors",
    "load_boto3": "shared_core.publish.aws",
    "Action": "shared_core.settings.declaration",
    "SHARED_TABLE": "shared_core.settings.layer",
    "HATCH_TARGET_TABLE": "shared_core.settings.layer",
    "HATCH_PUBLISH_TABLE": "shared_core.settings.publish",
    "poetry_lock_source": "shared_core.pins.detect",
    "hatch_pin_source": "shared_core.pins.detect",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    """Load a public name from its module on first use (PEP 562)."""
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'shared_core' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list:
    return __all__
