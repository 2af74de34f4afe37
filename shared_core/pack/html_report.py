"""``--report``: one self-contained HTML page beside the zip that shows what fills the layer.

The page (``layer.zip.html``) is made from the written zip and its manifest, nothing else: the
zip's central directory gives each member's unzipped and compressed size, the RECORDs inside it
(rewritten to list exactly the layer's files, see :mod:`.record`) say which distribution owns each
file, and the manifest gives the target and the excluded distributions. So the same zip gives the
same page bytes on any machine (no time, no path), and a layer that was up to date gets the same
page as when it was built.

It shows a treemap of the layer by distribution, then by top-level folder, with area proportional to
unzipped bytes and the zipped bytes in each box's tooltip. Files that no RECORD lists share one box,
``(not in any RECORD)``. A gauge compares the unzipped total with Lambda's limit. The page also lists
what each fit measure would save on this zip (:mod:`.fit_advice`) and the excluded distributions. CSS,
data and the ~60 lines of layout script are inline, so the page opens offline. The page starts with
:data:`REPORT_MARKER`, which is how a build knows the file at the report's path is one it may replace.
"""

from __future__ import annotations

import html
import json
import re
import zipfile
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple

import shared_core.lambda_runtime as lambda_runtime
from shared_core.install.distributions import InstalledDistribution, recorded_distribution
from shared_core.lambda_runtime import LAYER_PREFIX
from shared_core.pack.fit_advice import FitMeasure, fit_measures, required_by
from shared_core.pack.manifest import LayerManifest
from shared_core.pack.package_tests import plan_package_tests
from shared_core.pack.record import listed_row_bytes
from shared_core.pack.report_file import REPORT_MARKER, report_path
from shared_core.pack.slimming import pyc_source
from shared_core.pack.tree import StagedFile
from shared_core.support.atomic_file import write_atomically
from shared_core.support.names import normalize_name
from shared_core.support.sizes import count_of, human_size

#: The report's name is the zip's plus this (``layer.zip.html``).
#: How every report begins: a file at the report's path that does not is not ours to replace.
#: The box of the files that no RECORD in the zip lists.
UNOWNED = "(not in any RECORD)"
_CODE = re.compile(r"`([^`]*)`")


@dataclass(frozen=True)
class Share:
    """Some of the layer's files under one name (a distribution, or a top-level entry of one)."""

    name: str
    files: int
    unzipped: int
    zipped: int


@dataclass(frozen=True)
class DistributionShare:
    """A distribution's files in the zip, and its top-level entries (``pandas/``, ``six.py``), largest first."""

    name: str
    version: str  # "" for the files no RECORD lists
    total: Share
    entries: Tuple[Share, ...]


@dataclass(frozen=True)
class LayerReport:
    """What the page shows, read from the zip and its manifest."""

    manifest: LayerManifest
    distributions: Tuple[DistributionShare, ...]  # largest first
    unowned: Optional[DistributionShare]  # the files no RECORD lists, if any
    unzipped: int  # the members' sizes, summed
    zipped: int  # their compressed sizes, summed
    measures: Tuple[FitMeasure, ...]
    limit: int


def _recorded_distributions(archive: zipfile.ZipFile, members: Dict[str, zipfile.ZipInfo]) -> List[InstalledDistribution]:
    """Every distribution whose top-level ``*.dist-info/RECORD`` is in the zip, by normalised name."""
    found = []
    for relpath in members:
        dist_info, _, name = relpath.partition("/")
        if name == "RECORD" and dist_info.endswith(".dist-info"):
            metadata = members.get(f"{dist_info}/METADATA")
            metadata_text = archive.read(metadata).decode("utf-8", "replace") if metadata is not None else ""
            found.append(recorded_distribution(dist_info, metadata_text, archive.read(members[relpath]).decode("utf-8", "replace")))
    return sorted(found, key=lambda dist: dist.normalized_name)


def _owner(relpath: str, owners: Dict[str, str]) -> str:
    """The distribution whose RECORD lists ``relpath`` (our ``.pyc``: its source's), as the packer counts it."""
    return owners.get(relpath) or owners.get(pyc_source(relpath) or "", UNOWNED)


def _share(name: str, infos: Sequence[zipfile.ZipInfo]) -> Share:
    return Share(name, len(infos), sum(info.file_size for info in infos), sum(info.compress_size for info in infos))


def _largest_first(shares: Iterable[Share]) -> Tuple[Share, ...]:
    """Largest first, then by name: the order the treemap lays boxes out in (and the same every time)."""
    return tuple(sorted(shares, key=lambda share: (-share.unzipped, normalize_name(share.name))))


def _distribution_share(name: str, version: str, infos: Sequence[zipfile.ZipInfo]) -> DistributionShare:
    entries: Dict[str, List[zipfile.ZipInfo]] = defaultdict(list)
    for info in infos:
        top, slash, _ = info.filename[len(LAYER_PREFIX):].partition("/")
        entries[top + slash].append(info)  # "pandas/" for a folder, "six.py" for a file
    return DistributionShare(name, version, _share(name, infos),
                             _largest_first(_share(entry, found) for entry, found in entries.items()))


def _measures(archive: zipfile.ZipFile, members: Dict[str, zipfile.ZipInfo], distributions: Sequence[InstalledDistribution],
              sizes: Dict[str, int], unzipped: int, limit: int) -> Tuple[FitMeasure, ...]:
    """What each fit measure would save on this zip, priced as the packer prices them (files and RECORD rows)."""
    files = [StagedFile(relpath, Path(info.filename), info.file_size, False) for relpath, info in members.items()]
    tests = plan_package_tests(files, read=lambda staged: archive.read(members[staged.relpath]))
    bytecode = {relpath for relpath in members if relpath.endswith(".pyc") and pyc_source(relpath) is not None}
    return fit_measures(
        unzipped,
        package_tests_bytes=tests.dropped_bytes + listed_row_bytes(files, distributions, tests.dropped_files),
        bytecode_bytes=sum(members[relpath].file_size for relpath in bytecode)
        + listed_row_bytes(files, distributions, bytecode),
        distribution_bytes=tuple(sizes.items()),
        required_by=required_by(distributions),
        limit=limit,
    )


def read_layer_report(zip_path: Path, manifest: LayerManifest) -> LayerReport:
    """The report of the zip at ``zip_path`` (its members, RECORDs and METADATA) and its manifest."""
    limit = lambda_runtime.UNZIPPED_LIMIT  # read here, not at import: a test lowers it
    with zipfile.ZipFile(zip_path) as archive:
        infos = [info for info in archive.infolist() if not info.is_dir()]
        members = {info.filename[len(LAYER_PREFIX):]: info for info in infos}
        distributions = _recorded_distributions(archive, members)
        owners = {path: dist.name for dist in distributions for path in dist.files}
        owned: Dict[str, List[zipfile.ZipInfo]] = defaultdict(list)
        for relpath, info in members.items():
            owned[_owner(relpath, owners)].append(info)
        unzipped = sum(info.file_size for info in infos)
        sizes = {dist.name: sum(info.file_size for info in owned[dist.name]) for dist in distributions}
        measures = _measures(archive, members, distributions, sizes, unzipped, limit)
    shares = sorted((_distribution_share(dist.name, dist.version, owned[dist.name]) for dist in distributions),
                    key=lambda share: (-share.total.unzipped, normalize_name(share.name)))
    unowned = _distribution_share(UNOWNED, "", owned[UNOWNED]) if owned.get(UNOWNED) else None
    return LayerReport(manifest, tuple(shares), unowned, unzipped, sum(info.compress_size for info in infos),
                       measures, limit)


# -- the page ---------------------------------------------------------------------------------------

def _bytes(size: int) -> str:
    """``51.0 MB (53,448,555 bytes)``: readable, and exact for comparing with the build's lines."""
    return f"{human_size(size)} ({size:,} bytes)"


def _tip(title: str, share: Share) -> str:
    return f"{title}\n{_bytes(share.unzipped)} unzipped\n{_bytes(share.zipped)} zipped\n{count_of(share.files, 'file')}"


def _box_data(share: DistributionShare, recorded: bool) -> Dict[str, Any]:
    """One treemap box as the script draws it: figures for its attributes (``data-distribution`` when
    ``recorded``, else ``data-unowned``), texts for its label and tooltips."""
    title = f"{share.name} {share.version}".strip()
    return {
        "name": share.name,
        "recorded": recorded,
        "unzipped": share.total.unzipped,
        "zipped": share.total.zipped,
        "label": f"{share.name} · {human_size(share.total.unzipped)}",
        "tip": _tip(title, share.total),
        "entries": [{"unzipped": entry.unzipped, "label": entry.name, "tip": _tip(f"{title} › {entry.name}", entry)}
                    for entry in share.entries if entry.unzipped > 0],
    }


def _script_json(data: Any) -> str:
    """JSON safe inside a ``<script>`` element: no ``<``, ``>`` or ``&`` a file name could close it with."""
    text = json.dumps(data, sort_keys=True, ensure_ascii=True, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _cell(text: str) -> str:
    """``text`` escaped, its `backquoted` parts (settings as messages write them) as code."""
    return _CODE.sub(r"<code>\1</code>", html.escape(text))


def _table(table_id: str, headers: Sequence[str], rows: Sequence[Sequence[str]], empty: str) -> str:
    if not rows:
        return f"<p id=\"{table_id}\">{html.escape(empty)}</p>"
    head = "".join(f"<th>{html.escape(cell)}</th>" for cell in headers)
    body = "".join("<tr>" + "".join(f"<td>{_cell(cell)}</td>" for cell in row) + "</tr>" for row in rows)
    return f"<table id=\"{table_id}\"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _gauge(report: LayerReport) -> str:
    share = report.unzipped * 100 / report.limit
    level = "over" if report.unzipped > report.limit else "near" if share > 90 else "ok"
    return (
        f'<div class="gauge" role="meter" aria-valuemin="0" aria-valuemax="{report.limit}" '
        f'aria-valuenow="{report.unzipped}"><div class="fill {level}" style="width:{min(share, 100.0):.2f}%"></div></div>'
        f"<p>{html.escape(_bytes(report.unzipped))} unzipped of Lambda's {report.limit:,}-byte limit "
        f"(<strong>{share:.1f}%</strong>), which the function's code and all its layers share.</p>"
    )


def _advice(report: LayerReport) -> str:
    rows = [(measure.action, measure.setting, f"{measure.saved:,}", f"{measure.remaining:,}",
             "fits" if measure.fits else "still over", measure.note) for measure in report.measures]
    return _table("advice", ("measure", "how", "saves (bytes)", "leaves (bytes)", "then", "note"), rows,
                  "No measure would make this layer smaller.") + (
        "<p>Priced on this zip: the files each measure removes, with their rows in the RECORDs. Measures that save "
        "nothing here (package tests already left out, no bytecode shipped) are not listed.</p>")


def _excluded(report: LayerReport) -> str:
    rows = [(entry.name, entry.version, entry.reason, entry.pattern,
             "yes" if entry.installed else "no, left out before install") for entry in report.manifest.excluded]
    return _table("excluded", ("distribution", "version", "why", "pattern", "downloaded"), rows, "None.")


def _distribution_table(report: LayerReport) -> str:
    shares = list(report.distributions) + ([report.unowned] if report.unowned else [])
    rows = [(share.name, share.version, f"{share.total.files:,}", _bytes(share.total.unzipped), _bytes(share.total.zipped))
            for share in shares]
    return _table("distributions", ("distribution", "version", "files", "unzipped", "zipped"), rows, "None.")


_STYLE = """
body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#1b1f24;max-width:1400px}
h1{font-size:20px;margin:0 0 4px}h2{font-size:16px;margin:24px 0 8px}p{margin:6px 0}
.facts{color:#57606a}
#treemap{position:relative;height:560px;border:1px solid #8c959f;background:#f6f8fa}
.box{position:absolute;box-sizing:border-box;overflow:hidden;border:1px solid #fff}
.box>.label{font-weight:600;font-size:12px;padding:1px 4px;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
.entry{position:absolute;box-sizing:border-box;overflow:hidden;border:1px solid rgba(255,255,255,.7);
background:rgba(255,255,255,.25);font-size:11px;padding:1px 3px;white-space:nowrap;text-overflow:ellipsis}
.entry:hover,.box:hover>.label{background:rgba(255,255,255,.55)}
.gauge{height:18px;border:1px solid #8c959f;background:#f6f8fa;max-width:800px}
.fill{height:100%}.fill.ok{background:#2da44e}.fill.near{background:#d4a72c}.fill.over{background:#cf222e}
table{border-collapse:collapse}th,td{text-align:left;padding:3px 10px;border-bottom:1px solid #d0d7de}
td:nth-child(n+3){font-variant-numeric:tabular-nums}
code{font:12px ui-monospace,monospace;background:#eff1f3;padding:0 3px}
"""

# Squarified treemap (Bruls, Huizing, van Wijk): rows of boxes along the shorter side, each row grown
# while that keeps its boxes closer to square. Boxes are sized in pixels each time the page is laid out.
_SCRIPT = """
(function () {
  var data = JSON.parse(document.getElementById("layer-data").textContent);
  var map = document.getElementById("treemap");
  function worst(row, sum, side) {
    var max = Math.max.apply(null, row), min = Math.min.apply(null, row);
    return Math.max(side * side * max / (sum * sum), sum * sum / (side * side * min));
  }
  function squarify(values, x, y, w, h) {
    var total = values.reduce(function (a, b) { return a + b; }, 0), scale = w * h / total, rects = [], i = 0;
    while (i < values.length) {
      var side = Math.min(w, h), row = [], sum = 0, best = Infinity;
      while (i + row.length < values.length) {
        var area = values[i + row.length] * scale, next = worst(row.concat([area]), sum + area, side);
        if (row.length && next > best) break;
        row.push(area); sum += area; best = next;
      }
      var thick = side > 0 ? sum / side : 0, offset = 0;
      row.forEach(function (area) {
        var length = thick > 0 ? area / thick : 0;
        rects.push(w >= h ? [x, y + offset, thick, length] : [x + offset, y, length, thick]);
        offset += length;
      });
      if (w >= h) { x += thick; w -= thick; } else { y += thick; h -= thick; }
      i += row.length;
    }
    return rects;
  }
  function place(parent, className, rect, tip) {
    var node = document.createElement("div");
    node.className = className;
    node.style.left = rect[0] + "px"; node.style.top = rect[1] + "px";
    node.style.width = rect[2] + "px"; node.style.height = rect[3] + "px";
    node.title = tip;
    parent.appendChild(node);
    return node;
  }
  function draw() {
    map.textContent = "";
    var boxes = data.boxes, values = boxes.map(function (box) { return box.unzipped; });
    squarify(values, 0, 0, map.clientWidth, map.clientHeight).forEach(function (rect, n) {
      var box = boxes[n], node = place(map, "box", rect, box.tip);
      node.dataset[box.recorded ? "distribution" : "unowned"] = box.name;
      node.dataset.unzipped = box.unzipped; node.dataset.zipped = box.zipped;
      node.style.background = box.recorded ? "hsl(" + (n * 137 % 360) + ",45%,62%)" : "#afb8c1";
      var head = rect[2] > 40 && rect[3] > 40 ? 18 : 0;
      if (head) { var label = document.createElement("div"); label.className = "label"; label.textContent = box.label; node.appendChild(label); }
      var entries = box.entries, inner = [2, head + 1, Math.max(rect[2] - 6, 0), Math.max(rect[3] - head - 5, 0)];
      squarify(entries.map(function (e) { return e.unzipped; }), inner[0], inner[1], inner[2], inner[3]).forEach(function (r, k) {
        var entry = place(node, "entry", r, entries[k].tip);
        if (r[2] > 30 && r[3] > 14) entry.textContent = entries[k].label;
      });
    });
  }
  window.addEventListener("resize", draw);
  draw();
})();
"""


def render_report(report: LayerReport) -> bytes:
    """The page's bytes: a function of ``report`` alone (no time, no path), so the same zip gives the same page."""
    manifest = report.manifest
    target = manifest.target
    boxes = [_box_data(share, True) for share in report.distributions]
    boxes += [_box_data(report.unowned, False)] if report.unowned else []
    data = {"boxes": sorted(boxes, key=lambda box: -box["unzipped"])}  # stable: distributions keep their order
    name = html.escape(manifest.zip.name)
    facts = (f"{target.runtime} {target.architecture} (glibc {target.glibc}) · {count_of(manifest.zip.files, 'file')} · "
             f"{_bytes(report.unzipped)} unzipped · {_bytes(manifest.zip.bytes)} zip · sha256 {manifest.zip.sha256} · "
             f"{manifest.tool}")
    page = (
        f"{REPORT_MARKER}<html lang=\"en\"><head><meta charset=\"utf-8\">"
        f"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
        f"<title>{name}: layer report</title><style>{_STYLE}</style></head><body>"
        f"<h1>{name}</h1><p class=\"facts\">{html.escape(facts)}</p>"
        f"<h2>Size against Lambda's limit</h2>{_gauge(report)}"
        f"<h2>What fills it</h2><p>Each box is a distribution, split by its top-level folders; area is unzipped "
        f"bytes. Hover a box for its zipped bytes.</p>"
        f"<div id=\"treemap\"><noscript>The treemap needs JavaScript; the table below has the same figures."
        f"</noscript></div>"
        f"<h2>Distributions</h2>{_distribution_table(report)}"
        f"<h2>What each measure would save</h2>{_advice(report)}"
        f"<h2>Excluded distributions</h2>{_excluded(report)}"
        f"<script type=\"application/json\" id=\"layer-data\">{_script_json(data)}</script>"
        f"<script>{_SCRIPT}</script></body></html>\n"
    )
    return page.encode("utf-8")


def write_report(zip_path: Path, manifest: LayerManifest) -> Path:
    """Write the report of ``zip_path`` beside it (atomically); its path."""
    path = report_path(zip_path)
    write_atomically(path, render_report(read_layer_report(zip_path, manifest)), prefix=".report-")
    return path
