"""Typed errors: each carries the one paragraph a user should read, never a traceback."""

from __future__ import annotations


class LayerError(Exception):
    """Base of every error the pipeline raises on purpose.

    ``str(error)`` is the complete user-facing message: what went wrong, where (file, key or
    package) and how to fix it. Adapters print it as-is and exit 1.
    """


class ConfigError(LayerError):
    """A key of ``[tool.lambda-layer]`` (or the Hatch target table) or an option is invalid."""


class SourceDateEpochError(ConfigError, ValueError):
    """``SOURCE_DATE_EPOCH`` is set but is not a whole number of seconds."""


class LockError(LayerError):
    """The pin source (poetry.lock, uv.lock, requirements.txt) is missing, stale or unreadable."""


class UnsupportedTargetError(ConfigError):
    """The Python version or architecture is not a Lambda runtime."""


class InstallError(LayerError):
    """The installer (uv or pip) failed for a reason other than a missing wheel."""


class MissingWheelError(InstallError):
    """Some pinned distributions have no wheel for the target runtime."""


class PlatformMismatchError(LayerError):
    """An installed wheel tag or shared object does not match the target runtime."""


class LayoutError(LayerError):
    """The staged packages are not where the build tool's layout says they are."""


class SymlinkEscapeError(LayerError):
    """A symbolic link in the staged tree points outside it."""


class SizeLimitError(LayerError):
    """The layer is larger than Lambda accepts."""


class PackageTestsError(LayerError):
    """Leaving out the packages' test suites (drop-package-tests) would break an import."""
