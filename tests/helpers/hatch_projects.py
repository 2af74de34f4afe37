"""Hatch projects written from a dict, and the Hatch builder on one in process (Hatchling's own classes)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional

from hatchling.metadata.core import ProjectMetadata

from hatch_lambda_layer.builder import LambdaLayerHatchBuilder


def to_toml(data: Mapping[str, Any], prefix: str = "") -> str:
    """Enough TOML for these projects: strings, bools, ints, floats, string arrays and tables."""
    lines: List[str] = []
    tables = []
    for key, value in data.items():
        if isinstance(value, Mapping):
            tables.append((key, value))
        else:
            lines.append(f'"{key}" = {json.dumps(value)}' if "." in key else f"{key} = {json.dumps(value)}")
    text = "\n".join(lines) + ("\n" if lines else "")
    for key, value in tables:
        dotted = f"{prefix}.{key}" if prefix else key
        text += f"\n[{dotted}]\n" + to_toml(value, dotted)
    return text


def pyproject(
    dependencies: List[str],
    *,
    optional: Optional[Dict[str, List[str]]] = None,
    shared: Optional[Dict[str, Any]] = None,
    target: Optional[Dict[str, Any]] = None,
) -> Dict[str, Any]:
    """A hatchling project whose layer target is enabled the documented way (target ``dependencies``)."""
    project: Dict[str, Any] = {"name": "demo-hatch", "version": "0.2.0", "dependencies": dependencies}
    if optional:
        project["optional-dependencies"] = optional
    tool: Dict[str, Any] = {}
    if shared is not None:
        tool["lambda-layer"] = shared
    tool["hatch"] = {"build": {"targets": {"lambda-layer": {"dependencies": ["lambda-layer-build"], **(target or {})}}}}
    return {
        "build-system": {"requires": ["hatchling"], "build-backend": "hatchling.build"},
        "project": project,
        "tool": tool,
    }


def write_project(root: Path, config: Dict[str, Any]) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "pyproject.toml").write_text(to_toml(config))
    return root


def in_process_builder(root: Path, config: Dict[str, Any]) -> LambdaLayerHatchBuilder:
    write_project(root, config)
    return LambdaLayerHatchBuilder(str(root), metadata=ProjectMetadata(str(root), None, config=config))

