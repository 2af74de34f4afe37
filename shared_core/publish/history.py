"""A layer's published versions, as ``lambda-layer versions`` lists them and ``prune`` weighs them.

ListLayerVersions gives each version's date, runtimes, architectures and description, but not its
size: GetLayerVersion is asked once per version for that. The summary shown is what this tool put
in the description (distributions and unzipped size, after the user's own description); a version
described by something else shows its description as it is.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone
from typing import List, Optional, Sequence

from shared_core.publish.aws import LayerApi, LayerVersionInfo
from shared_core.support.sizes import human_size

#: What this tool writes into a description (see ``layer_version.layer_description``).
_RECORD = re.compile(
    r"^(?:(?P<user>.*) \()?lambda-layer-build (?P<tool>\S+), python\S+ \S+?"
    r"(?:, (?P<summary>\d+ distributions?, .+? unzipped), manifest [0-9a-f]{64})?, inputs (?:[0-9a-f]+|unknown)\)?$",
    re.S,
)
_HEADER = ("version", "created", "zipped", "runtimes", "architectures", "summary")


def published_versions(api: LayerApi, layer_name: str) -> List[LayerVersionInfo]:
    """Every version of ``layer_name``, newest first, each with its size and date (GetLayerVersion)."""
    return [api.version_info(layer_name, number) for number in api.version_numbers(layer_name)]


def created_at(info: LayerVersionInfo) -> Optional[datetime]:
    """When the version was created (Lambda's ``2024-05-01T10:00:00.000+0000``), None if unreadable."""
    for layout in ("%Y-%m-%dT%H:%M:%S.%f%z", "%Y-%m-%dT%H:%M:%S%z"):
        try:
            return datetime.strptime(info.created, layout)
        except ValueError:
            continue
    return None


def shown_date(info: LayerVersionInfo) -> str:
    """``2024-05-01 10:00 UTC``."""
    created = created_at(info)
    return created.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M UTC") if created else info.created or "?"


def summary(description: str) -> str:
    """The version in a few words: ``Shared deps: 12 distributions, 15.1 MB unzipped (lambda-layer-build 0.1.0)``."""
    match = _RECORD.match(description)
    if match is None:
        return description
    words = match["summary"] or "no manifest"
    user = f"{match['user']}: " if match["user"] else ""
    return f"{user}{words} (lambda-layer-build {match['tool']})"


def versions_table(layer_name: str, region: str, versions: Sequence[LayerVersionInfo]) -> List[str]:
    """A heading and one row per version, newest first; columns aligned."""
    count = len(versions)
    heading = f"layer {layer_name} in {region}: {count} version{'' if count == 1 else 's'}"
    if not versions:
        return [heading]
    rows = [_HEADER, *((str(info.version), shown_date(info), human_size(info.code_size), ", ".join(info.spec.runtimes),
                        ", ".join(info.spec.architectures), summary(info.spec.description)) for info in versions)]
    widths = [max(len(row[column]) for row in rows) for column in range(len(_HEADER))]
    right = {0, 2}
    return [heading, *("  ".join(cell.rjust(width) if column in right else cell.ljust(width)
                                 for column, (cell, width) in enumerate(zip(row, widths))).rstrip() for row in rows)]
