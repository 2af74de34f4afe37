"""Reading a Terraform file without Terraform: the few expressions the deploy recipe uses, evaluated.

There is no ``terraform`` binary here (and no provider could be downloaded), so the Terraform recipe's
test reads ``main.tf`` itself: a block's ``name = expression`` lines, and the expressions the recipe
is allowed to use: string templates with ``${...}``, ``path.module``, ``local.NAME`` with attribute
access, ``jsondecode(file(...))`` and lists. Anything else fails the test, so the recipe cannot grow
an expression this reader would guess at.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, Dict, List

_ATTRIBUTE = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.+?)\s*$", re.MULTILINE)
_CALL = re.compile(r"^(jsondecode|file)\((.*)\)$", re.DOTALL)
_REFERENCE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)+$")
_INTERPOLATION = re.compile(r"\$\{([^}]*)\}")


class TerraformFile:
    """One ``.tf`` file: its blocks' attributes as text, and their values as Terraform would compute them."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.text = path.read_text(encoding="utf-8")
        self.locals = self.attributes(r"locals")
        #: every file ``file(...)`` read while evaluating, in order
        self.files_read: List[Path] = []

    def block(self, header: str) -> str:
        """The body of the one block whose header matches ``header`` (a regex, up to its ``{``)."""
        starts = [match.end() for match in re.finditer(rf"^{header}\s*\{{", self.text, re.MULTILINE)]
        assert len(starts) == 1, f"{self.path}: {len(starts)} blocks match {header!r}"
        depth, index = 1, starts[0]
        while depth:
            depth += {"{": 1, "}": -1}.get(self.text[index], 0)
            index += 1
        return self.text[starts[0]:index - 1]

    def attributes(self, header: str) -> Dict[str, str]:
        """A block's top-level ``name = expression`` lines (the recipe's blocks nest nothing)."""
        body = self.block(header)
        assert "{" not in _INTERPOLATION.sub("", body), f"{self.path}: a nested block in {header!r}"
        return dict(_ATTRIBUTE.findall(body))

    def resource(self, kind: str, name: str) -> Dict[str, str]:
        return self.attributes(rf'resource\s+"{kind}"\s+"{name}"')

    def value(self, expression: str) -> Any:
        """What Terraform would compute for ``expression`` (one of the forms this module reads)."""
        expression = expression.strip()
        if expression.startswith('"') and expression.endswith('"'):
            return _INTERPOLATION.sub(lambda match: str(self.value(match.group(1))), expression[1:-1])
        if expression.startswith("[") and expression.endswith("]"):
            return [self.value(item) for item in expression[1:-1].split(",") if item.strip()]
        call = _CALL.match(expression)
        if call:
            argument = self.value(call.group(2))
            if call.group(1) == "file":
                path = Path(argument)
                self.files_read.append(path)
                return path.read_text(encoding="utf-8")
            return json.loads(argument)
        if expression == "path.module":
            return str(self.path.parent)
        if _REFERENCE.match(expression) and expression.startswith("local."):
            name, *keys = expression.split(".")[1:]
            value = self.value(self.locals[name])
            for key in keys:
                value = value[key]
            return value
        raise AssertionError(f"{self.path}: this test does not read the expression {expression!r}")
