"""``prune``: delete a layer's old versions, never the latest and never one a function still uses.

Every version counts against the Region's code storage until it is deleted, and deleting one that a
function references breaks that function's next update. So the plan keeps the ``keep`` newest
(the latest always), every version a function in this account and Region references (ListFunctions
with every published function version, and each one's ``Layers``), and, with ``older_than_days``,
every version younger than that; the rest is deleted, one DeleteLayerVersion each. The plan is
shown first, each kept version with its reason; nothing is deleted unless ``confirm`` says yes.
A failed deletion is reported and the others go on; the failures are raised together at the end.

Functions in other accounts or Regions that were given a version (``share-with``) cannot be seen
from here: do not prune a shared layer below what they use.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Callable, Dict, List, Optional, Sequence

from shared_core.errors import ConfigError, PublishError
from shared_core.publish.aws import LayerApi, LayerVersionInfo
from shared_core.publish.history import created_at, published_versions

#: ``confirm(question)``: True to go ahead (``--yes``, or the user said so on a terminal).
Confirm = Callable[[str], bool]
_DAY = 86400.0


@dataclass(frozen=True)
class PruneDecision:
    info: LayerVersionInfo
    delete: bool
    reason: str

    def line(self) -> str:
        what = "would delete" if self.delete else "keep"
        return f"{what} version {self.info.version}: {self.reason}"


def check_prune_options(keep: int, older_than_days: Optional[float]) -> None:
    """``--keep`` of at least 1 (the latest is always kept), ``--older-than`` not negative."""
    if keep < 1:
        raise ConfigError(f"--keep must be at least 1 (the latest version is always kept), got {keep}.")
    if older_than_days is not None and not older_than_days >= 0:
        raise ConfigError(f"--older-than must be a number of days, 0 or more, got {older_than_days:g}.")


def _age_days(info: LayerVersionInfo, now: datetime) -> Optional[float]:
    created = created_at(info)
    return None if created is None else (now - created).total_seconds() / _DAY


def prune_plan(versions: Sequence[LayerVersionInfo], keep: int, older_than_days: Optional[float],
               uses: Dict[str, List[str]], region: str, now: datetime) -> List[PruneDecision]:
    """What to do with each version (``versions`` newest first), and why."""
    plan: List[PruneDecision] = []
    for index, info in enumerate(versions):
        age = _age_days(info, now)
        if index == 0:
            plan.append(PruneDecision(info, False, "the latest version"))
        elif index < keep:
            plan.append(PruneDecision(info, False, f"one of the {keep} newest (--keep {keep})"))
        elif info.arn in uses:
            plan.append(PruneDecision(info, False, f"used by function {', '.join(sorted(uses[info.arn]))}"))
        elif older_than_days is not None and (age is None or age < older_than_days):
            when = f"created {age:.1f} days ago" if age is not None else f"its creation date ({info.created!r}) is unreadable"
            plan.append(PruneDecision(info, False, f"{when}, within --older-than {older_than_days:g}"))
        else:
            older = f", created {age:.1f} days ago" if age is not None and older_than_days is not None else ""
            plan.append(PruneDecision(info, True, f"older than the {keep} newest and used by no function in {region}{older}"))
    return plan


def prune_layer(api: LayerApi, layer_name: str, keep: int, older_than_days: Optional[float], confirm: Confirm,
                say: Callable[[str], None], warn: Callable[[str], None], now: Optional[datetime] = None) -> int:
    """Show the plan for ``layer_name``, then (if ``confirm``) delete what it deletes; the number deleted.

    ``say`` prints a line of the plan or a deletion, ``warn`` a failed deletion; the failures are raised
    together once every deletion was tried.
    """
    check_prune_options(keep, older_than_days)
    versions = published_versions(api, layer_name)
    if not versions:
        say(f"layer {layer_name} has no versions in {api.region}: nothing to prune")
        return 0
    uses = api.function_layers()
    plan = prune_plan(versions, keep, older_than_days, uses, api.region, now or datetime.now(timezone.utc))
    say(f"layer {layer_name} in {api.region}: {len(versions)} version{'' if len(versions) == 1 else 's'}")
    for decision in plan:
        say(decision.line())
    doomed = [decision.info for decision in plan if decision.delete]
    if not doomed:
        say("nothing to delete")
        return 0
    question = f"Delete {len(doomed)} version{'' if len(doomed) == 1 else 's'} of layer {layer_name} in {api.region}?"
    if not confirm(question):
        say("nothing deleted: pass --yes to delete (or answer y on a terminal)")
        return 0
    failures: List[str] = []
    for info in doomed:
        try:
            api.delete_version(layer_name, info.version)
        except PublishError as error:
            failures.append(f"version {info.version}: {error}")
            warn(f"version {info.version} of layer {layer_name} was not deleted: {error}")
            continue
        say(f"deleted version {info.version} of layer {layer_name}")
    if failures:
        deleted = len(doomed) - len(failures)
        raise PublishError(f"{len(failures)} of {len(doomed)} deletions of layer {layer_name} failed ({deleted} deleted)."
                           "\n\n" + "\n\n".join(failures))
    return len(doomed)
