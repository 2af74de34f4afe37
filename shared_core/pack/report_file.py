"""The HTML report's file beside the zip: its name, and how a later build knows one is ours.

Kept apart from the report's making (:mod:`.html_report`) so the output checks that run on every
build, the up-to-date ones included, load none of it.
"""

from __future__ import annotations

from pathlib import Path

from shared_core.support.user_files import open_regular

#: The report's name is the zip's plus this (``layer.zip.html``).
REPORT_SUFFIX = ".html"
REPORT_MARKER = "<!DOCTYPE html>\n<!-- lambda-layer-build report: written by `--report`, replaced by the next build -->\n"


def report_path(zip_path: Path) -> Path:
    return zip_path.with_name(zip_path.name + REPORT_SUFFIX)


def is_own_report(path: Path) -> bool:
    """A regular file (not a link) that begins with :data:`REPORT_MARKER`: a report this tool wrote."""
    marker = REPORT_MARKER.encode("utf-8")
    try:
        stream = open_regular(path, follow_symlinks=False)
        if stream is None:
            return False
        with stream:
            return stream.read(len(marker)) == marker
    except OSError:
        return False


def withdraw_report(zip_path: Path) -> None:
    """Remove our report of the zip about to be replaced: it describes the old bytes (never a file not ours)."""
    report = report_path(zip_path)
    if is_own_report(report):
        report.unlink()
