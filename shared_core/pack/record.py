"""Each packed ``*.dist-info/RECORD``, rewritten to list exactly what the layer holds of its distribution.

The installer's RECORD describes the build machine's install: it lists the ``bin/`` scripts we drop
(whose shebang, and so hash, names the build machine's interpreter), leftovers such as
``uv_cache.json``, and not the ``.pyc`` we add. Packed as is, it would make the zip depend on the
machine and tell ``importlib.metadata`` (and ``pip show -f``) about files that are not there.

The rewritten RECORD lists every file of the distribution that the layer contains, with its
sha256 (urlsafe base64, no padding) and size, sorted by path, and itself last with empty hash and
size, as the wheel specification asks. Our ``.pyc`` are listed under the distribution that owns
their source, with their hashes, the way pip and uv list the bytecode they compile. A file no
RECORD claims stays unlisted (a distribution without a RECORD keeps none).
"""

from __future__ import annotations

import base64
import csv
import io
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Collection, Dict, List, Mapping, Optional, Sequence, Tuple

from shared_core.install.distributions import InstalledDistribution
from shared_core.pack.slimming import pyc_source
from shared_core.pack.tree import StagedFile
from shared_core.support.digests import file_sha256


@dataclass(frozen=True)
class RewrittenRecord:
    """The new text of one RECORD (``relpath`` relative to the tree root, like every RECORD row)."""

    relpath: str
    text: str


def record_digest(path: Path, sha256: Optional[str] = None) -> str:
    """``sha256=<urlsafe base64 without padding>`` of a file (``sha256``: its hex digest, when known),
    as RECORD rows state it."""
    return "sha256=" + base64.urlsafe_b64encode(bytes.fromhex(sha256 or file_sha256(path))).rstrip(b"=").decode("ascii")


def _render(rows: Sequence[Tuple[str, str, str]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerows(rows)
    return buffer.getvalue()


#: A row's digest field always has this length: ``sha256=`` and 43 characters of urlsafe base64.
_DIGEST_LENGTH = len("sha256=") + 43


def _listed(kept: Sequence[StagedFile], distributions: Sequence[InstalledDistribution]) -> Dict[str, List[str]]:
    """``{RECORD path: [the kept files it lists]}`` for every distribution whose RECORD is kept."""
    present = {staged.relpath for staged in kept}
    claims: Dict[str, List[str]] = {}  # a path its installer recorded -> the RECORDs that list it
    for dist in distributions:
        record = f"{dist.dist_info}/RECORD"
        if record in present:
            for path in dist.files:
                claims.setdefault(path, []).append(record)
    owned: Dict[str, List[str]] = {record: [] for paths in claims.values() for record in paths}
    for relpath in sorted(present):
        # a file its installer recorded, or our .pyc of a recorded source
        for record in claims.get(relpath) or claims.get(pyc_source(relpath) or "", []):
            if relpath != record:
                owned[record].append(relpath)
    return owned


def listed_row_bytes(
    kept: Sequence[StagedFile], distributions: Sequence[InstalledDistribution], relpaths: Collection[str]
) -> int:
    """Bytes the rewritten RECORDs spend on the rows of ``relpaths``: what leaving those files out
    saves beyond their own size (exact, without hashing: every digest has the same length)."""
    sizes = {staged.relpath: staged.size for staged in kept}
    rows = [(path, "x" * _DIGEST_LENGTH, str(sizes[path]))
            for paths in _listed(kept, distributions).values() for path in paths if path in relpaths]
    return len(_render(rows).encode("utf-8"))


def layer_records(
    kept: Sequence[StagedFile], distributions: Sequence[InstalledDistribution], known: Optional[Mapping[str, str]] = None,
) -> List[RewrittenRecord]:
    """The new RECORD of every distribution whose RECORD is among the ``kept`` files (``known``: hex
    sha256 of files already hashed, by relative path)."""
    present = {staged.relpath: staged for staged in kept}
    known = known or {}
    owned = _listed(kept, distributions)
    to_hash = sorted({path for paths in owned.values() for path in paths})
    with ThreadPoolExecutor(thread_name_prefix="record-hash") as pool:  # hashlib releases the GIL
        digests = dict(zip(to_hash, pool.map(lambda path: record_digest(present[path].source, known.get(path)), to_hash)))
    return [
        RewrittenRecord(
            record,
            _render([(path, digests[path], str(present[path].size)) for path in paths] + [(record, "", "")]),
        )
        for record, paths in sorted(owned.items())
    ]
