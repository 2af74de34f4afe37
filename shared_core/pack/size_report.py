"""The size report printed after every build, and the checks against Lambda's size limits."""

from __future__ import annotations

from dataclasses import dataclass
from typing import List, Optional, Tuple

from shared_core.errors import SizeLimitError
from shared_core.lambda_runtime import DIRECT_UPLOAD_LIMIT, UNZIPPED_LIMIT
from shared_core.support.sizes import human_size


@dataclass(frozen=True)
class SizeReport:
    files: int
    unzipped_bytes: int
    zipped_bytes: int
    largest: Tuple[Tuple[str, int], ...]  # (distribution, unzipped bytes), largest first
    advice: Tuple[str, ...] = ()  # near the limit: what each measure would save (fit_advice.advice_lines)

    def lines(self) -> List[str]:
        lines = [
            f"Layer size: {self.files} files, {human_size(self.unzipped_bytes)} unzipped "
            f"({self.unzipped_bytes:,} bytes), {human_size(self.zipped_bytes)} zipped ({self.zipped_bytes:,} bytes)"
        ]
        if self.largest:
            lines.append("Largest distributions (unzipped):")
            width = max(len(name) for name, _ in self.largest)
            lines += [f"  {name:<{width}}  {human_size(size):>9}" for name, size in self.largest]
        return lines + list(self.advice)


def check_unzipped_size(unzipped_bytes: int, allow_oversize: bool, advice: str = "", limit: int = UNZIPPED_LIMIT) -> None:
    """Refuse a layer Lambda would reject, before a byte of the zip is written.

    ``advice``: what each measure would save on this layer (fit_advice.advice_sentence).
    """
    if unzipped_bytes > limit and not allow_oversize:
        over = unzipped_bytes - limit
        ways = f"{advice} Otherwise exclude other distributions" if advice else "Exclude large distributions"
        raise SizeLimitError(
            f"The layer unzips to {unzipped_bytes:,} bytes, {over:,} over Lambda's limit of {limit:,} bytes "
            f"for a function and all its layers; Lambda would reject it. {ways} with `exclude-packages` in "
            "[tool.lambda-layer], split the layer, or set `allow-oversize = true` (--allow-oversize) to write it anyway."
        )


def zipped_size_warning(zipped_bytes: int) -> Optional[str]:
    if zipped_bytes > DIRECT_UPLOAD_LIMIT:
        return (
            f"the zip is {human_size(zipped_bytes)}, over the 50 MB limit for direct upload to Lambda; "
            "upload it to S3 and publish the layer from there."
        )
    return None
