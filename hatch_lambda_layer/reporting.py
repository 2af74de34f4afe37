"""The core's progress and size report through Hatch's display (verbosity from ``hatch -v/-q``)."""

from __future__ import annotations

import sys
from typing import Any, Optional


def abort_for_user(app: Any, exc: Exception) -> None:
    """Show a failure the user can fix the Hatch way (one paragraph via ``app.abort``, its details
    with ``hatch -v``); a bug is re-raised, for Hatch to show its traceback."""
    from shared_core import user_error

    error = user_error(exc)
    if error is None:
        raise exc
    if error.details:
        app.display_debug(error.details)
    app.abort(str(error))


class HatchReporter:
    """The core's ``Reporter`` over a Hatch builder's ``self.app``; bars on stderr when it is a terminal."""

    def __init__(self, app: Any) -> None:
        from shared_core import terminal_bar

        self.app = app
        self._bar: Optional[Any] = terminal_bar(sys.stderr, quiet=getattr(app, "verbosity", 0) < 0)

    def _clear_bar(self) -> None:
        if self._bar is not None:
            self._bar.clear()

    def end_progress(self) -> None:
        """Clear a bar left drawn by a stage that failed, before Hatch prints the error."""
        self._clear_bar()

    def waiting(self, message: str) -> None:
        """Before a step that may take a while (resolving and installing)."""
        self._clear_bar()
        self.app.display_waiting(message)

    def info(self, message: str) -> None:
        self._clear_bar()
        self.app.display_info(message)

    def warning(self, message: str) -> None:
        self._clear_bar()
        self.app.display_warning(f"warning: {message}")

    def detail(self, message: str) -> None:
        self._clear_bar()
        self.app.display_debug(message)

    def shows_progress(self) -> bool:
        return self._bar is not None

    def progress(self, stage: str, done: int, total: int) -> None:
        if self._bar is not None:
            self._bar.update(stage, done, total)
