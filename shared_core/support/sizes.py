"""Sizes and counts as messages say them."""

from __future__ import annotations


def human_size(size: int) -> str:
    value = float(size)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{size} B"  # pragma: no cover


def count_of(count: int, noun: str) -> str:
    """``1 pin``, ``12 pins``: the messages read right for one too."""
    return f"{count:,} {noun}" + ("" if count == 1 else "s")
