"""What Step 1's output depends on, for the build fingerprint: readable without loading Step 1.

An up-to-date build compares fingerprints and stops; keeping each step's contribution apart from
the step itself is what lets that check skip importing the installer, the audit and the compiler.
"""

from __future__ import annotations

from typing import Any, Dict, Optional

from shared_core.settings.layer import LayerConfig


def install_inputs(config: LayerConfig, interpreter_release: Optional[str]) -> Dict[str, Any]:
    """What Step 1 contributes to the build's fingerprint: what decides the installed and compiled bytes
    (the installer, what may build from an sdist, bytecode and the compiling interpreter's X.Y.Z), and
    ``allow-invalid-python``, which changes no byte but gates writing."""
    return {
        "compile_bytecode": config.compile_bytecode,
        "bytecode_interpreter": interpreter_release if config.compile_bytecode else None,
        "installer": config.installer,
        "allow_sdist": sorted(config.allow_sdist),
        "allow_invalid_python": config.allow_invalid_python,
    }
