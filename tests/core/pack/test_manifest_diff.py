"""What changed between two manifests: every kind of change, by PEP 503 name and PEP 440 order."""

from __future__ import annotations

from dataclasses import replace

from shared_core.pack.manifest import LayerManifest, ManifestDistribution
from shared_core.pack.manifest_diff import manifest_changes
from tests.helpers.manifests import sample_manifest


def manifest(sha256: str, zipped: int, unzipped: int, *dists: tuple) -> LayerManifest:
    base = sample_manifest(sha256)
    return replace(base, zip=replace(base.zip, bytes=zipped, unzipped_bytes=unzipped),
                   distributions=tuple(ManifestDistribution(name, version, 1, 10) for name, version in dists))


def test_every_kind_of_change_in_one_line():
    old = manifest("1" * 64, 1000, 5000, ("Django", "4.2"), ("six", "1.17.0"), ("gone", "1.0"), ("odd", "1.0-custom"),
                   ("numpy", "1.26.4"))
    new = manifest("2" * 64, 1200, 4990, ("django", "5.0.1"), ("six", "1.16.0"), ("fresh", "0.1"), ("odd", "1.0.weird"),
                   ("numpy", "1.26.4"))
    changes = manifest_changes(old, new)
    assert changes.line() == (
        "added: fresh 0.1; removed: gone 1.0; upgraded: django 4.2 -> 5.0.1; downgraded: six 1.17.0 -> 1.16.0; "
        "changed: odd 1.0-custom -> 1.0.weird; zipped 1,000 -> 1,200 bytes (+200), unzipped 5,000 -> 4,990 bytes (-10)"
    )
    assert changes.distributions_changed


def test_only_bytes_and_the_same_zip():
    old = manifest("1" * 64, 1000, 5000, ("six", "1.16.0"))
    assert manifest_changes(old, manifest("2" * 64, 990, 5000, ("six", "1.16.0"))).line() == (
        "no distribution added, removed or changed; zipped 1,000 -> 990 bytes (-10), unzipped 5,000 -> 5,000 bytes (+0)")
    assert manifest_changes(old, old).line() == "no change: the same zip (the same SHA-256)"
