"""What Step 2's output depends on, for the build fingerprint: readable without loading Step 2.

Kept apart from the packing code so an up-to-date build's check imports neither the zip writer
nor the exclusion, closure and slimming code.
"""

from __future__ import annotations

from typing import Any, Dict

from shared_core.pack.zip_format import reproducible_date_time
from shared_core.settings.layer import LayerConfig
from shared_core.support.deflate import compression_backend, compressor_id


def pack_inputs(config: LayerConfig) -> Dict[str, Any]:
    """What Step 2 contributes to the build's fingerprint: what decides the zip's bytes (exclusions,
    the zip's timestamp, compression level and compressor, the package tests left out), and
    ``allow-oversize``, which changes no byte but gates writing (turning it off re-checks the limit)."""
    return {
        "excluded": list(config.excluded_patterns),
        "zip_date_time": list(reproducible_date_time()),
        "compression": [config.compression_level, compressor_id(compression_backend())],
        "allow_oversize": config.allow_oversize,
        "drop_package_tests": config.drop_package_tests,
    }
