"""How the pipeline talks to the user: adapters plug in Poetry's IO, Hatch's display or print."""

from __future__ import annotations

import sys
from typing import Protocol


class Reporter(Protocol):
    def info(self, message: str) -> None:
        """A normal progress line (suppressed by --quiet)."""

    def warning(self, message: str) -> None:
        """Something the user should act on or know; always shown."""

    def detail(self, message: str) -> None:
        """Shown only with --verbose: pinned lists, every excluded distribution."""

    def progress(self, done: int, total: int) -> None:
        """Zip progress; adapters may draw a bar, the default prints nothing."""


class PrintReporter:
    """The console script's and the Python API's reporter."""

    def __init__(self, verbose: bool = False, quiet: bool = False) -> None:
        self.verbose = verbose
        self.quiet = quiet

    def info(self, message: str) -> None:
        if not self.quiet:
            print(message, flush=True)

    def warning(self, message: str) -> None:
        print(f"warning: {message}", file=sys.stderr, flush=True)

    def detail(self, message: str) -> None:
        if self.verbose and not self.quiet:
            print(message, flush=True)

    def progress(self, done: int, total: int) -> None:
        return None
