"""A manifest to write where a test needs one that is not a build's (the writers' own tests)."""

from __future__ import annotations

from shared_core.lambda_runtime import LambdaTarget
from shared_core.pack.manifest import (
    MANIFEST_VERSION,
    LayerManifest,
    ManifestDistribution,
    ManifestSource,
    ManifestZip,
    target_facts,
)


def sample_manifest(sha256: str = "0" * 64) -> LayerManifest:
    return LayerManifest(
        manifest=MANIFEST_VERSION, kind="layer", tool="lambda-layer-build 0+test",
        target=target_facts(LambdaTarget("3.12", "arm64")),
        zip=ManifestZip("layer.zip", sha256, "", "", 22, 0, 0),
        compression_level=9, compressor="zlib-test", bytecode=False,
        source=ManifestSource("requirements.txt", "1" * 64),
        distributions=(ManifestDistribution("six", "1.16.0", 1, 10),), excluded=(),
    )
