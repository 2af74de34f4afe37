"""Resolve the pins of several targets at once, before the first of them is installed.

A build of four targets resolves four times (each target is its own marker environment and wheel
platform); one after another, each resolve waits on the index while the machine idles. Here they
run together on threads (the resolvers are subprocesses and file reads), each marker environment
once, and each target's build takes its result, or its error, when it gets there.
"""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any, Dict, FrozenSet, Hashable, Sequence, Tuple

from shared_core.lambda_runtime import LambdaTarget
from shared_core.pins.source import PinSource, Resolution

#: Resolves running at once: enough to overlap the index round trips, not so many that they crowd it.
MAX_PARALLEL_RESOLVES = 4


def resolution_key(target: LambdaTarget) -> Hashable:
    """What a resolution depends on besides the source: the marker environment and the wheel tags."""
    return tuple(sorted(target.marker_environment().items())), tuple(target.platform_tags)


class ResolvedAhead(PinSource):
    """``source``, with the resolutions for ``targets`` started now; any other target resolves when asked."""

    def __init__(self, source: PinSource, targets: Sequence[LambdaTarget]) -> None:
        self.source = source
        self.origin = source.origin
        self.settings: FrozenSet[str] = source.settings
        self._futures: Dict[Hashable, "Future[Resolution]"] = {}
        unique = {resolution_key(target): target for target in targets}
        if len(unique) > 1:
            with ThreadPoolExecutor(max_workers=min(MAX_PARALLEL_RESOLVES, len(unique))) as pool:
                self._futures = {key: pool.submit(source.resolve, target) for key, target in unique.items()}

    def fingerprint(self) -> Dict[str, Any]:
        return self.source.fingerprint()

    @property
    def input_file(self) -> Path:
        return self.source.input_file

    def resolve(self, target: LambdaTarget) -> Resolution:
        future = self._futures.get(resolution_key(target))
        return future.result() if future is not None else self.source.resolve(target)


__all__: Tuple[str, ...] = ("MAX_PARALLEL_RESOLVES", "ResolvedAhead", "resolution_key")
