"""shared_core.errors: an operating-system failure becomes one paragraph naming the path and the fix; a bug stays a bug."""

from __future__ import annotations

import errno

import pytest

from shared_core.errors import ConfigError, LayerError, user_error


@pytest.mark.parametrize("error, message", [
    (OSError(errno.EACCES, "Permission denied", "/p/build"),
     "Permission denied: /p/build. Give this user access to it and its folder (the project's build/ folder and the "
     "output's folder must be writable), or point `output` (--output) at a writable place."),
    (OSError(errno.EROFS, "Read-only file system", "/p/build"),
     "Read-only file system: /p/build. That file system is read-only: build from a writable copy of the project, "
     "or point `output` (--output) elsewhere."),
    (OSError(errno.ENOSPC, "No space left on device"),
     "No space left on device: a file of the build. Free space on that disk or raise the file size limit (or point "
     "`output` / --output at another disk) and build again; a zip that could not be written leaves the previous "
     "one as it was."),
    (OSError(errno.EISDIR, "Is a directory", "/p/pyproject.toml"),
     "Is a directory: /p/pyproject.toml. A directory is in the way of a file the build reads or writes: remove or "
     "rename it."),
    (OSError(errno.ELOOP, "Too many levels of symbolic links", "/p/a", None, "/p/b"),
     "Too many levels of symbolic links: /p/a -> /p/b. Check that path and build again."),
])
def test_file_system_errors_become_one_paragraph(error, message):
    translated = user_error(error)
    assert type(translated) is LayerError and str(translated) == message


def test_a_bug_is_not_translated():
    assert user_error(KeyError("version")) is None
    original = ConfigError("already one paragraph")
    assert user_error(original) is original
