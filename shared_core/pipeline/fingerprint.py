"""Skip a build whose inputs have not changed: a fingerprint of the inputs beside the zip.

The fingerprint covers what decides the zip's bytes (the inputs ``pipeline`` lists: lock content,
groups and extras, target, exclusions, SOURCE_DATE_EPOCH, compression, bytecode interpreter, our
version) and the zip's own sha256, so an edited zip is rebuilt too, even when its size is unchanged.
The zip is hashed again only when its file may have changed since the record was written: the record
keeps the file's identity and times (device, inode, size, modification and change times), and a
change time, which no tool can set back, that is older than the record itself proves the bytes are
the recorded ones; otherwise (another filesystem's copy, a touch, a coarse clock) the sha256 decides.

It also says which record the build may replace (:func:`is_own_record`), reading nothing but a
regular file, so a FIFO there never blocks.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
from pathlib import Path
from typing import Any, Dict, List, Optional

from shared_core.pack.manifest import manifest_path
from shared_core.support.atomic_file import write_atomically
from shared_core.support.digests import file_sha256
from shared_core.support.user_files import read_own_json

#: The record's name is the zip's plus this.
RECORD_SUFFIX = ".fingerprint.json"
#: The keys every record of ours holds: a JSON object with them is ours to replace.
RECORD_KEYS = frozenset({"inputs", "sha256", "size"})


def fingerprint_path(zip_path: Path) -> Path:
    return zip_path.with_name(zip_path.name + RECORD_SUFFIX)


def inputs_digest(inputs: Dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(inputs, sort_keys=True, default=str).encode()).hexdigest()


def _recorded(zip_path: Path) -> Dict[str, Any]:
    """The record beside ``zip_path``; empty when there is none or it is not one of ours."""
    recorded = read_own_json(fingerprint_path(zip_path))
    return recorded if isinstance(recorded, dict) else {}


def is_own_record(path: Path) -> bool:
    """True when ``path`` is a record this tool writes: a regular file holding a JSON object with :data:`RECORD_KEYS`."""
    recorded = read_own_json(path)
    return isinstance(recorded, dict) and RECORD_KEYS <= recorded.keys()


def read_fingerprint(zip_path: Path) -> Optional[str]:
    """The build's input digest recorded beside the zip (None for a zip we did not build)."""
    inputs = _recorded(zip_path).get("inputs")
    return None if inputs is None else str(inputs)


def recorded_sha256(zip_path: Path) -> Optional[str]:
    """The zip's hex sha256 as its build recorded it (None for a zip we did not build, or not completely)."""
    digest = _recorded(zip_path).get("sha256")
    return None if digest is None else str(digest)


def _is_regular(path: Path) -> bool:
    """A regular file itself, not through a symlink (hashing a FIFO would wait forever)."""
    try:
        return stat.S_ISREG(os.lstat(path).st_mode)
    except OSError:
        return False


def is_up_to_date(zip_path: Path, inputs: Dict[str, Any]) -> bool:
    """True when the recorded inputs equal ``inputs`` and the zip and its manifest on disk are the
    ones recorded (a deleted or edited manifest is rebuilt like an edited zip)."""
    recorded = _recorded(zip_path)
    if recorded.get("inputs") != inputs_digest(inputs) or not _is_regular(zip_path):
        return False
    manifest = manifest_path(zip_path)
    if not _is_regular(manifest) or recorded.get("manifest") != file_sha256(manifest):
        return False
    if _unchanged_since_recorded(zip_path, recorded):
        return True
    # Otherwise the hash is what recognises the zip; the size is only a cheap first filter.
    return recorded.get("size") == zip_path.stat().st_size and recorded.get("sha256") == file_sha256(zip_path)


def _file_state(path: Path) -> List[int]:
    """What changes whenever a file's bytes do: device, inode, size, modification and change times (ns)."""
    info = os.lstat(path)
    return [info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns, info.st_ctime_ns]


def _unchanged_since_recorded(zip_path: Path, recorded: Dict[str, Any]) -> bool:
    """The zip is the file the record describes and has not been written since: the same state, and a change
    time strictly older than the record's own write (so a write after the record, even within one tick of a
    coarse clock, cannot leave the state as recorded)."""
    try:
        record_written = os.lstat(fingerprint_path(zip_path)).st_mtime_ns
        state = _file_state(zip_path)
    except OSError:
        return False
    return recorded.get("state") == state and state[4] < record_written


def write_fingerprint(zip_path: Path, inputs: Dict[str, Any], zip_sha256: str, manifest_sha256: str) -> None:
    """Write the record beside the zip (atomically, like every small file of ours): the inputs' digest,
    the zip's digest and size as its build hashed them, its manifest's digest, and the zip file's state
    (which lets the next build skip hashing a file that has not been written since)."""
    state = _file_state(zip_path)
    record = {"inputs": inputs_digest(inputs), "sha256": zip_sha256, "size": state[2], "manifest": manifest_sha256,
              "state": state}
    write_atomically(fingerprint_path(zip_path), json.dumps(record, indent=2).encode(), prefix=".fingerprint-")
