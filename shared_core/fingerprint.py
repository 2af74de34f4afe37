"""Skip a build whose inputs have not changed: a fingerprint of the inputs beside the zip.

The fingerprint covers what decides the zip's bytes (the inputs ``pipeline`` lists: lock content,
groups and extras, target, exclusions, SOURCE_DATE_EPOCH, compression, bytecode interpreter, our
version) and the zip's own sha256, so an edited zip is rebuilt too, even when its size is unchanged.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any, Dict, Optional

from .atomic_file import write_atomically


def fingerprint_path(zip_path: Path) -> Path:
    return zip_path.with_name(zip_path.name + ".fingerprint.json")


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def inputs_digest(inputs: Dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(inputs, sort_keys=True, default=str).encode()).hexdigest()


def _recorded(zip_path: Path) -> Dict[str, Any]:
    """The record beside ``zip_path``; empty when there is none or it is not one of ours."""
    try:
        recorded = json.loads(fingerprint_path(zip_path).read_bytes())  # JSON is UTF-8, whatever the locale
    except (OSError, ValueError):
        return {}
    return recorded if isinstance(recorded, dict) else {}


def read_fingerprint(zip_path: Path) -> Optional[str]:
    """The build's input digest recorded beside the zip (None for a zip we did not build)."""
    inputs = _recorded(zip_path).get("inputs")
    return None if inputs is None else str(inputs)


def recorded_sha256(zip_path: Path) -> Optional[str]:
    """The zip's hex sha256 as its build recorded it (None for a zip we did not build, or not completely)."""
    digest = _recorded(zip_path).get("sha256")
    return None if digest is None else str(digest)


def is_up_to_date(zip_path: Path, inputs: Dict[str, Any]) -> bool:
    """True when the recorded inputs equal ``inputs`` and the zip on disk is the one recorded."""
    recorded = _recorded(zip_path)
    if recorded.get("inputs") != inputs_digest(inputs) or not zip_path.is_file():
        return False
    # The size is only a cheap first filter; the hash is what recognises the zip.
    return recorded.get("size") == zip_path.stat().st_size and recorded.get("sha256") == file_sha256(zip_path)


def write_fingerprint(zip_path: Path, inputs: Dict[str, Any]) -> None:
    """Write the record beside the zip (atomically, like every small file of ours)."""
    record = {"inputs": inputs_digest(inputs), "sha256": file_sha256(zip_path), "size": zip_path.stat().st_size}
    write_atomically(fingerprint_path(zip_path), json.dumps(record, indent=2).encode(), prefix=".fingerprint-")
