"""The core's progress and size report through Hatch's display (verbosity from ``hatch -v/-q``)."""

from __future__ import annotations

from typing import Any


class HatchReporter:
    """The core's ``Reporter`` over a Hatch builder's ``self.app``."""

    def __init__(self, app: Any) -> None:
        self.app = app

    def waiting(self, message: str) -> None:
        """Before a step that may take a while (resolving and installing)."""
        self.app.display_waiting(message)

    def info(self, message: str) -> None:
        self.app.display_info(message)

    def warning(self, message: str) -> None:
        self.app.display_warning(f"warning: {message}")

    def detail(self, message: str) -> None:
        self.app.display_debug(message)

    def progress(self, done: int, total: int) -> None:
        return None
