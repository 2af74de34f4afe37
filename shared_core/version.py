"""The distribution's version: part of every build fingerprint, so a new release rebuilds every layer.

Written here, not read from the installed metadata: ``pyproject.toml`` takes it from this file
(``[tool.hatch.version]``), and an up-to-date build does not pay for importing ``importlib.metadata``.
"""

__version__ = "0.1.0"
