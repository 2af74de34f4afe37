"""What changed between two layers, from their manifests alone: the line a reviewer reads before a
new layer version is approved.

Distributions are matched by their PEP 503 name; a version change is an upgrade or a downgrade by
PEP 440 ordering (two versions it cannot order are "changed"). Sizes are the zips' and the
unzipped files', before and after. Nothing here reads a zip or talks to AWS.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, List, Tuple

from packaging.version import InvalidVersion, Version

from shared_core.pack.manifest import LayerManifest, ManifestDistribution
from shared_core.support.names import normalize_name

#: (name, old version, new version)
VersionChange = Tuple[str, str, str]


@dataclass(frozen=True)
class ManifestChanges:
    """From one manifest (``old``, a published version's) to another (``new``, the local build's)."""

    added: Tuple[Tuple[str, str], ...]
    removed: Tuple[Tuple[str, str], ...]
    upgraded: Tuple[VersionChange, ...]
    downgraded: Tuple[VersionChange, ...]
    #: Version changes PEP 440 cannot order (``1.0-custom`` to ``1.0.post1+local``, ...).
    changed: Tuple[VersionChange, ...]
    zipped: Tuple[int, int]
    unzipped: Tuple[int, int]
    #: The zips are byte for byte the same (equal SHA-256).
    same_zip: bool

    @property
    def distributions_changed(self) -> bool:
        return bool(self.added or self.removed or self.upgraded or self.downgraded or self.changed)

    def line(self) -> str:
        """``upgraded: six 1.16.0 -> 1.17.0; zipped 10,240 -> 10,310 bytes (+70), unzipped ...``."""
        if self.same_zip:
            return "no change: the same zip (the same SHA-256)"
        parts = [f"{what}: {', '.join(items)}" for what, items in (
            ("added", [f"{name} {version}" for name, version in self.added]),
            ("removed", [f"{name} {version}" for name, version in self.removed]),
            ("upgraded", [f"{name} {old} -> {new}" for name, old, new in self.upgraded]),
            ("downgraded", [f"{name} {old} -> {new}" for name, old, new in self.downgraded]),
            ("changed", [f"{name} {old} -> {new}" for name, old, new in self.changed]),
        ) if items]
        if not parts:
            parts.append("no distribution added, removed or changed")
        parts.append(f"zipped {byte_change(*self.zipped)}, unzipped {byte_change(*self.unzipped)}")
        return "; ".join(parts)


def byte_change(before: int, after: int) -> str:
    """``10,240 -> 10,310 bytes (+70)``."""
    return f"{before:,} -> {after:,} bytes ({after - before:+,})"


def _by_name(distributions: Tuple[ManifestDistribution, ...]) -> Dict[str, ManifestDistribution]:
    return {normalize_name(dist.name): dist for dist in distributions}


def _direction(old: str, new: str) -> str:
    """``upgraded``, ``downgraded`` or ``changed`` (PEP 440 cannot order them)."""
    try:
        return "upgraded" if Version(new) > Version(old) else "downgraded"
    except InvalidVersion:
        return "changed"


def manifest_changes(old: LayerManifest, new: LayerManifest) -> ManifestChanges:
    """What differs from ``old`` to ``new``: distributions (each list by name) and sizes."""
    before, after = _by_name(old.distributions), _by_name(new.distributions)
    moved: Dict[str, List[VersionChange]] = {"upgraded": [], "downgraded": [], "changed": []}
    for key in sorted(before.keys() & after.keys()):
        was, now = before[key], after[key]
        if was.version != now.version:
            moved[_direction(was.version, now.version)].append((now.name, was.version, now.version))
    return ManifestChanges(
        added=tuple((after[key].name, after[key].version) for key in sorted(after.keys() - before.keys())),
        removed=tuple((before[key].name, before[key].version) for key in sorted(before.keys() - after.keys())),
        upgraded=tuple(moved["upgraded"]),
        downgraded=tuple(moved["downgraded"]),
        changed=tuple(moved["changed"]),
        zipped=(old.zip.bytes, new.zip.bytes),
        unzipped=(old.zip.unzipped_bytes, new.zip.unzipped_bytes),
        same_zip=old.zip.sha256 == new.zip.sha256,
    )
