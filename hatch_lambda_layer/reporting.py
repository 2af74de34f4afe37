"""The core's reporting policy through Hatch's display (verbosity from ``hatch -v/-q``)."""

from __future__ import annotations

import sys
from typing import Any, Optional

from shared_core import ReporterBase, failure_of, terminal_bar


def abort_for_user(app: Any, exc: BaseException, reporter: Optional[ReporterBase] = None, *,
                   publishing: bool = False) -> None:
    """Show a failure the user can fix the Hatch way (one paragraph via ``app.abort``, its details
    with ``hatch -v``); a bug is re-raised, for Hatch to show its traceback."""
    failure = failure_of(exc, publishing=publishing)
    if failure is None:
        raise exc
    reporter = reporter or HatchReporter(app)
    reporter.end_progress()
    if failure.details:
        app.display_debug(reporter.mask(failure.details))
    app.abort(reporter.mask(failure.message))


class HatchReporter(ReporterBase):
    """Lines through Hatch's ``app`` (which applies its own verbosity), a bar on stderr when it is a terminal."""

    def __init__(self, app: Any) -> None:
        verbosity = getattr(app, "verbosity", 0)
        super().__init__(verbose=verbosity > 0, quiet=verbosity < 0)
        self.app = app
        self._bar = terminal_bar(sys.stderr, quiet=verbosity < 0)

    def show(self, kind: str, text: str) -> None:
        {"info": self.app.display_info, "warning": self.app.display_warning, "detail": self.app.display_debug,
         "error": self.app.display_error}[kind](text)

    def bar(self) -> Optional[Any]:
        return self._bar

    def waiting(self, message: str) -> None:
        """Before a step that may take a while (resolving and installing)."""
        self.end_progress()
        self.app.display_waiting(self.mask(message))
