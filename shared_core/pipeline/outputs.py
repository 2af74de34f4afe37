"""Where a build may put its zip and record: never over something it did not write.

The zip is renamed over ``output`` and its record over ``<output>.fingerprint.json``, so whatever
stands there is gone. :func:`check_output_ownership` runs before the build takes its locks or
installs anything, and refuses with one paragraph naming the path and the fix:

- the project's inputs: pyproject.toml, poetry.lock, uv.lock and the requirements file, compared
  as resolved paths and, when both exist, as the same file (a hard link, a symlink, another case
  of the name on a case-insensitive file system);
- the build's own files: the staging folders every build deletes and swaps, the lock files, the
  build folder's ``.gitignore``, a name the next build deletes as a crash leftover, a record's name;
- anything at the zip's path that is not a layer zip (:func:`zip_kinds.is_layer_zip`; for a function zip,
  :func:`zip_kinds.is_function_zip`), anything at the record's path that is not our record
  (:func:`fingerprint.is_own_record`) or at the manifest's that is not our manifest, and with
  ``--report`` anything at the report's path that is not our report (:func:`is_own_report`):
  another file, a directory, a FIFO, a socket, a device, or a symbolic link. The tool writes no
  links, so a link there is never ours: it is neither replaced nor written through.
"""

from __future__ import annotations

import fnmatch
import os
import shutil
import stat
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, List, Optional, Sequence, Tuple

from shared_core.errors import OutputError
from shared_core.layout import IGNORE_FILE_NAME, IGNORE_FILE_TEXT, LayerPaths
from shared_core.pack.manifest import is_own_manifest, manifest_path
from shared_core.pack.report_file import is_own_report, report_path
from shared_core.pack.zip_kinds import is_function_zip, is_layer_zip
from shared_core.pipeline.fingerprint import RECORD_SUFFIX, fingerprint_path, is_own_record
from shared_core.pipeline.lock import LOCK_NAME, STAGING_PATTERN, TEMPORARY_PATTERNS
from shared_core.support.atomic_file import write_atomically
from shared_core.support.user_files import file_kind

#: What may stand at the zip's path, and at the record's, in messages.
LAYER_ZIP = "a layer zip (a zip whose every member is under python/)"
OWN_RECORD = "a record this tool wrote (a JSON object with inputs, sha256 and size)"
OWN_MANIFEST = "a manifest this tool wrote (a JSON object with manifest and kind)"
FUNCTION_ZIP = "a function zip this tool wrote (its archive comment says so)"
OWN_REPORT = "a report this tool wrote (an HTML file that begins with the lambda-layer-build report comment)"


@dataclass(frozen=True)
class ProjectInput:
    """One of the project's own files, which an output must never replace."""

    role: str  # "pyproject.toml", "lock file", "requirements file"
    path: Path


def project_inputs(paths: LayerPaths, requirements: str) -> Tuple[ProjectInput, ...]:
    """The files a build reads from the project; ``requirements`` is the configured requirements file."""
    root = paths.project_root
    return (
        ProjectInput("pyproject.toml", paths.pyproject),
        ProjectInput("lock file", root / "poetry.lock"),
        ProjectInput("lock file", root / "uv.lock"),
        ProjectInput("requirements file", root / requirements),
    )


def _located(path: Path) -> Path:
    """``path`` with its folder resolved and its own name kept, as outputs are located."""
    absolute = Path(os.path.abspath(path))
    return absolute.parent.resolve() / absolute.name


def same_file(path: Path, other: Path) -> bool:
    """One file under two names: the same located path, or (both existing) the same inode."""
    if _located(path) == _located(other):
        return True
    try:
        return os.path.samefile(path, other)
    except OSError:  # either is missing (or unreadable): nothing there to replace
        return False


def _build_file_reason(paths: LayerPaths, output: Path) -> Optional[str]:
    """Why ``output`` is one of the build's own files (which the build deletes or needs), or None."""
    for folder in (output, *output.parents):
        if folder == paths.artifacts_dir or (folder.parent == paths.build_dir and fnmatch.fnmatch(folder.name, STAGING_PATTERN)):
            return f"{folder} is a staging folder that every build deletes and replaces"
    if output.name == LOCK_NAME:
        return f"{LOCK_NAME} is the lock file every build holds in its folders"
    if output == paths.build_dir / IGNORE_FILE_NAME:
        return f"it is the {IGNORE_FILE_NAME} that keeps {paths.build_dir} out of git"
    if output.name.endswith(RECORD_SUFFIX):
        return f"names ending in {RECORD_SUFFIX} are the records a build keeps beside each zip"
    for pattern in TEMPORARY_PATTERNS:
        if fnmatch.fnmatch(output.name, pattern):
            return f"the next build would delete it as a leftover of an interrupted build (the name matches {pattern})"
    return None


def _standing_reason(path: Path, ours: Callable[[Path], bool], what: str) -> Optional[str]:
    """Why what stands at ``path`` may not be replaced, or None when nothing is there or it is ``what``."""
    try:
        mode = os.lstat(path).st_mode
    except OSError:  # nothing there; a file in the way of its folder is check_output_path's to say
        return None
    if stat.S_ISLNK(mode):
        return (f"it is a symbolic link (to {os.readlink(path)}): the build writes no links, so it neither "
                "replaces one nor writes through it")
    if not stat.S_ISREG(mode):
        return f"it is {file_kind(mode)}, not {what}: the build replaces only what it wrote"
    if ours(path):  # a file this user cannot read is not known to be ours
        return None
    return f"it is a file that is not {what}: the build replaces only what it wrote"


def _lowercase_first(sentence: str) -> str:
    return sentence[:1].lower() + sentence[1:]


def check_output_ownership(paths: LayerPaths, requirements: str, output: Path, how_to_change: str,
                           report: bool = False) -> None:
    """Refuse an ``output`` whose zip, record, manifest (or report) would replace something this build did not write.

    Writes nothing, so it runs before the locks are taken. ``paths``: the build's (its artifact, a
    layer or a function, says what zip it writes); ``requirements``: the configured requirements
    file; ``how_to_change`` says which setting to change (``Change --output.``); ``report``: the
    build writes the HTML report too (without it, whatever stands there is not its business).
    """
    what = "the layer" if paths.artifact == "layer" else f"the {paths.artifact} zip"
    for project_input in project_inputs(paths, requirements):
        if same_file(output, project_input.path):
            raise OutputError(
                f"Cannot write {what} to {output}: it is the project's {project_input.role} {project_input.path}, "
                f"which the zip would replace. {how_to_change}"
            )
    reason = _build_file_reason(paths, output)
    if reason is not None:
        raise OutputError(f"Cannot write {what} to {output}: {reason}. {how_to_change}")
    for path, ours, kind, written in _outputs(output, paths.artifact, report):
        reason = _standing_reason(path, ours, kind)
        if reason is not None:
            raise OutputError(f"Cannot write {written} to {path}: {reason}. Move it away or {_lowercase_first(how_to_change)}")


def _outputs(output: Path, artifact: str = "layer", report: bool = True) -> Tuple[Tuple[Path, Callable[[Path], bool], str, str], ...]:
    """What a build writes for ``output``: (path, how to recognise ours, what ours is, its name in messages);
    ``report``: with the HTML report (a layer's)."""
    zip_kind = (output, is_layer_zip, LAYER_ZIP, "the layer") if artifact == "layer" else (
        output, is_function_zip, FUNCTION_ZIP, f"the {artifact} zip")
    name = "the layer's" if artifact == "layer" else f"the {artifact} zip's"
    written = (zip_kind,
               (fingerprint_path(output), is_own_record, OWN_RECORD, f"{name} record"),
               (manifest_path(output), is_own_manifest, OWN_MANIFEST, f"{name} manifest"))
    if report and artifact == "layer":
        return (*written, (report_path(output), is_own_report, OWN_REPORT, "the layer's report"))
    return written


def check_output_path(path: Path, how_to_change: str) -> None:
    """Refuse an output whose folder cannot exist because a file stands in its way; writes nothing,
    so it runs before the build takes its lock or creates a folder.

    ``how_to_change`` says, in the surface's terms, which setting to change (``Change --output.``).
    """
    parent = path.parent
    blocking = next((ancestor for ancestor in (parent, *parent.parents) if ancestor.exists()), None)
    if blocking is not None and not blocking.is_dir():
        raise OutputError(f"Cannot write the layer to {path}: {blocking} is a file, not a directory. {how_to_change}")


def prepare_output(path: Path, how_to_change: str) -> None:
    """Create the zip's directory and prove it writable (a real temporary file: permissions, read-only
    mounts, root), before any time is spent installing."""
    check_output_path(path, how_to_change)
    parent = path.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=parent, prefix=".layer-probe-"):
            pass
    except OSError as error:
        reason = error.strerror or str(error)
        raise OutputError(f"Cannot write the layer to {path}: {parent} is not writable ({reason}). {how_to_change}") from None


def ensure_ignore_file(build_dir: Path) -> None:
    """Create ``build_dir`` and, once, its ``.gitignore`` of ``*``."""
    build_dir.mkdir(parents=True, exist_ok=True)
    ignore = build_dir / IGNORE_FILE_NAME
    if not ignore.exists():
        write_atomically(ignore, IGNORE_FILE_TEXT.encode(), prefix=".gitignore-")


def clean_layer(project_root: Path, outputs: Sequence[Path], artifact: str = "layer") -> List[Path]:
    """Remove what a layer (or, ``artifact="function"``, a function) build wrote, nothing else; returns
    the removed paths.

    That is ``build/lambda/<artifact>/`` (staging, default zips, records, manifests, reports) and, for
    each of ``outputs`` elsewhere, that zip, its record, its manifest and its report, each only if it
    is what a build writes there (our zip, record, manifest or report: never a link or another file);
    ``build/lambda`` goes too once empty, since it holds only our files.
    """
    paths = LayerPaths(Path(project_root).resolve(), artifact)
    removed: List[Path] = []
    if paths.build_dir.is_dir():
        shutil.rmtree(paths.build_dir)
        removed.append(paths.build_dir)
    for output in outputs:
        if paths.build_dir in output.parents:
            continue
        for path, ours, _, _ in _outputs(output, artifact):
            if ours(path):
                path.unlink()
                removed.append(path)
    lambda_dir = paths.build_dir.parent
    if lambda_dir.is_dir() and not any(lambda_dir.iterdir()):
        lambda_dir.rmdir()
        removed.append(lambda_dir)
    return removed
