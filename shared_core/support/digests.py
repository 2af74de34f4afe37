"""SHA-256 (and MD5) of files and text: the one chunked loop every digest of ours goes through."""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator


def _chunks(path: Path) -> Iterator[bytes]:
    with open(path, "rb") as handle:
        yield from iter(lambda: handle.read(1 << 20), b"")


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    for chunk in _chunks(path):
        digest.update(chunk)
    return digest.hexdigest()


@dataclass(frozen=True)
class FileDigests:
    """A file's digests in the forms deploy tools compare: hex SHA-256, and MD5 (SAM's S3 keys)."""

    sha256: str
    md5: str
    size: int

    @property
    def sha256_base64(self) -> str:
        """Lambda's ``CodeSha256`` and Terraform's ``filebase64sha256``: the same digest, base64."""
        return base64.b64encode(bytes.fromhex(self.sha256)).decode("ascii")


def file_digests(path: Path) -> FileDigests:
    """Every digest of ``path`` in one read (a layer zip is read once, however many are needed)."""
    sha256 = hashlib.sha256()
    md5 = hashlib.md5(usedforsecurity=False)  # a checksum for S3 keys, so FIPS systems allow it
    size = 0
    for chunk in _chunks(path):
        sha256.update(chunk)
        md5.update(chunk)
        size += len(chunk)
    return FileDigests(sha256.hexdigest(), md5.hexdigest(), size)


def digest_text(*parts: str) -> str:
    sha = hashlib.sha256()
    for part in parts:
        sha.update(part.encode("utf-8"))
        sha.update(b"\0")
    return sha.hexdigest()
