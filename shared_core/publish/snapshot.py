"""A private copy of the layer zip, taken under the build lock: what a publish reads, and nothing else.

Publishing takes network calls (seconds, or minutes for a big upload), and the build lock is not
held that long: another build in the same checkout may then write the zip. So the build copies its
zip, hashing while it copies, before it releases the lock; the publish hashes and uploads that copy
only, and removes it when done. The copy must be the zip the build recorded (its fingerprint's
sha256), so a zip edited behind the build's back is refused, not published.
"""

from __future__ import annotations

import base64
import hashlib
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from shared_core.errors import PublishError
from shared_core.pack.manifest import LayerManifest, read_manifest

_CHUNK = 1 << 20


@dataclass(frozen=True)
class LayerSnapshot:
    """The copy (in a temporary folder only this user can read) and what describes it."""

    path: Path
    #: The zip it was copied from, for messages.
    source: Path
    size: int
    sha256_hex: str
    #: The base64 sha256 digest: Lambda's ``CodeSha256``.
    code_sha256: str
    #: The build's input digest recorded beside the zip, read under the same lock (None: not recorded).
    fingerprint: Optional[str]
    #: The manifest beside the zip, read under the same lock, when it describes these bytes (None: none does).
    manifest: Optional[LayerManifest] = None

    def remove(self) -> None:
        """Delete the copy and its folder (a publish calls this when done, also after a failure)."""
        shutil.rmtree(self.path.parent, ignore_errors=True)


def _copy_hashing(source: Path, target: Path) -> bytes:
    """Copy ``source`` to ``target``; the sha256 digest of the bytes written."""
    digest = hashlib.sha256()
    with open(source, "rb") as reader, open(target, "wb") as writer:
        for chunk in iter(lambda: reader.read(_CHUNK), b""):
            digest.update(chunk)
            writer.write(chunk)
    return digest.digest()


def take_snapshot(zip_path: Path, recorded: Optional[str] = None, fingerprint: Optional[str] = None) -> LayerSnapshot:
    """Copy ``zip_path`` into a new private folder, hashing what is copied; call it under the build lock.

    ``recorded``: the sha256 the zip's build recorded; a zip with another one was written by
    something else after its build: it is refused (no snapshot is left behind). ``fingerprint``:
    the build's input digest, which the layer version's description carries. The manifest beside the
    zip is read too, and kept when it describes the copied bytes.
    """
    folder = Path(tempfile.mkdtemp(prefix="lambda-layer-publish-"))
    try:
        path = folder / zip_path.name
        digest = _copy_hashing(zip_path, path)
        sha256_hex = digest.hex()
        if recorded is not None and recorded != sha256_hex:
            raise PublishError(
                f"{zip_path} is not the zip its build recorded (its SHA-256 is {sha256_hex}, the build wrote "
                f"{recorded}): something other than this build wrote it since. Build it again (--force) and publish."
            )
        manifest = read_manifest(zip_path)
        if manifest is not None and manifest.zip.sha256 != sha256_hex:
            manifest = None  # it describes other bytes: the publish has no manifest rather than a wrong one
        return LayerSnapshot(path, zip_path, path.stat().st_size, sha256_hex,
                             base64.b64encode(digest).decode("ascii"), fingerprint, manifest)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
