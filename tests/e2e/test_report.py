"""``--report``: the HTML page beside the zip, opened in a real headless Chromium (issue 20).

The browser test builds a small layer from the wheelhouse, loads its page from disk and reads what
the page drew: one treemap box per distribution of the manifest, whose unzipped bytes add up to the
manifest's and whose areas follow them, the zipped bytes in each box's tooltip, the gauge, and the
fit measures the build itself printed. Then the page's life beside its zip: written when the layer
was up to date, the same bytes for the same zip, never over a file that is not ours, gone with the
zip it described, and asked for from Hatch's table too.
"""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import zipfile
from pathlib import Path
from typing import Dict

import pytest
from hatchling.metadata.core import ProjectMetadata

from hatch_lambda_layer.builder import LambdaLayerHatchBuilder
from shared_core import clean_layer, lambda_runtime
from shared_core.cli import main
from shared_core.pack.report_file import REPORT_MARKER
from shared_core.support.user_files import tomllib
from tests.helpers.browser import WIDTH, Browser, require_browser
from tests.helpers.builds import VERSION

pytestmark = pytest.mark.in_process

LAYER = Path("build/lambda/layer/layer.zip")
REPORT = Path("build/lambda/layer/layer.zip.html")
REQUIREMENTS = "fake-suite==1.0\nfake-a==1.0\nfake-b==1.0\nfake-native==1.0\nsix==1.16.0\n"
#: What the report refuses to replace, in the build's words (the README quotes it).
NOT_OURS = ("it is a file that is not a report this tool wrote (an HTML file that begins with the lambda-layer-build "
            "report comment): the build replaces only what it wrote. Move it away or set `output` in "
            "[tool.lambda-layer] or pass --output to a writable place.")


def build(project: Path, *args: str) -> int:
    return main(["build", "--project", str(project), "--python", VERSION, *args])


def zipped_bytes_of(layer: Path, dist_info: str) -> int:
    """The compressed bytes of the members a distribution's RECORD lists, read here from the zip."""
    with zipfile.ZipFile(layer) as archive:
        rows = csv.reader(io.StringIO(archive.read(f"python/{dist_info}/RECORD").decode()))
        return sum(archive.getinfo(f"python/{row[0]}").compress_size for row in rows)


DRAWN = """JSON.stringify({
  map: [document.getElementById("treemap").clientWidth, document.getElementById("treemap").clientHeight],
  boxes: [...document.querySelectorAll("#treemap > .box")].map(box => {
    const rect = box.getBoundingClientRect();
    return {name: box.dataset.distribution, unowned: "unowned" in box.dataset, unzipped: Number(box.dataset.unzipped),
            area: rect.width * rect.height, tip: box.title, entries: box.querySelectorAll(".entry").length};
  }),
  gauge: document.querySelector(".gauge .fill").className + " " + document.querySelector(".gauge .fill").style.width,
  advice: [...document.querySelectorAll("#advice tbody tr")].map(row => [...row.cells].map(cell => cell.textContent)),
  excluded: [...document.querySelectorAll("#excluded tbody tr")].map(row => [...row.cells].map(cell => cell.textContent)),
})"""


def test_the_report_in_a_real_browser(core_env, make_project, capsys, monkeypatch, tmp_path):
    chromium = require_browser()
    project = make_project(requirements__txt=REQUIREMENTS)
    assert build(project, "--exclude", "six") == 0
    total = json.loads((project / "build/lambda/layer/layer.zip.json").read_text())["zip"]["unzipped_bytes"]
    limit = total - 100  # Lambda's limit lowered to this small layer: the build prices each measure, so must the page
    monkeypatch.setattr(lambda_runtime, "UNZIPPED_LIMIT", limit)
    capsys.readouterr()
    assert build(project, "--exclude", "six", "--force", "--allow-oversize", "--report") == 0
    out = capsys.readouterr().out.splitlines()
    assert f"report: {project / REPORT}" in out
    start = out.index("What each measure would save on this layer:")
    printed = out[start + 1:start + 6]

    manifest = json.loads((project / "build/lambda/layer/layer.zip.json").read_text())
    with Browser(chromium, tmp_path / "profile") as browser:
        page = browser.open((project / REPORT).as_uri())
        drawn = json.loads(browser.evaluate(page, DRAWN))
        screenshot = browser.screenshot(page, tmp_path / "report.png")

    boxes = drawn["boxes"]
    expected = {dist["name"]: dist["unzipped_bytes"] for dist in manifest["distributions"]}
    assert {box["name"]: box["unzipped"] for box in boxes} == expected  # one box per distribution, its bytes
    assert len(boxes) == len(manifest["distributions"]) == 4
    assert sum(box["unzipped"] for box in boxes) == manifest["zip"]["unzipped_bytes"] == total
    map_area = drawn["map"][0] * drawn["map"][1]
    for box in boxes:  # each box's area is its share of the unzipped bytes
        assert box["area"] / map_area == pytest.approx(box["unzipped"] / total, rel=0.01), box["name"]
        assert box["entries"] >= 2  # its package folder (or module) and its dist-info at least
    [fake_a] = [box for box in boxes if box["name"] == "fake-a"]
    assert f"({zipped_bytes_of(project / LAYER, 'fake_a-1.0.dist-info'):,} bytes) zipped" in fake_a["tip"]
    assert fake_a["tip"].startswith("fake-a 1.0\n")
    assert drawn["gauge"] == "fill over 100%"
    # the page's measures, priced on the zip, are the ones the build priced on the files it packed (the
    # page shows the settings as code, not in backquotes)
    assert [f"  {action} ({how}) saves {saved} bytes, leaving {left} ({then}{'; ' + note if note else ''})"
            for action, how, saved, left, then, note in drawn["advice"]] == [line.replace("`", "") for line in printed]
    assert len(printed) == 5 and printed[0].startswith("  dropping package tests")
    assert [row[:4] for row in drawn["excluded"]] == [["six", "1.16.0", "exclude-packages", "six"]]
    png = screenshot.read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and int.from_bytes(png[16:20], "big") == WIDTH


def test_written_when_up_to_date_and_the_same_bytes_for_the_same_zip(core_env, make_project, capsys, tmp_path):
    """Not part of the fingerprint: asking for it later builds nothing. The page is the zip's, wherever it lies."""
    project = make_project(requirements__txt=REQUIREMENTS)
    assert build(project) == 0
    assert not (project / REPORT).exists()
    zip_bytes = (project / LAYER).read_bytes()
    capsys.readouterr()
    assert build(project, "--report") == 0
    out = capsys.readouterr().out.splitlines()
    assert out[1:3] == ["Layer is up to date (inputs unchanged; --force rebuilds).", f"report: {project / REPORT}"]
    page = (project / REPORT).read_bytes()
    assert page.startswith(REPORT_MARKER.encode()) and str(project).encode() not in page

    assert build(project, "--report", "--force") == 0
    assert ((project / LAYER).read_bytes(), (project / REPORT).read_bytes()) == (zip_bytes, page)
    elsewhere = tmp_path / "somewhere" / "else"
    shutil.copytree(project, elsewhere, ignore=shutil.ignore_patterns("build"))
    assert build(elsewhere, "--report") == 0
    assert (elsewhere / REPORT).read_bytes() == page


def test_a_file_that_is_not_our_report_is_refused_and_left_alone(core_env, make_project, capsys):
    project = make_project(requirements__txt=REQUIREMENTS)
    report = project / REPORT
    report.parent.mkdir(parents=True)
    report.write_text("<!DOCTYPE html>\n<p>my notes</p>\n")
    assert build(project, "--report") == 1
    assert capsys.readouterr().err == f"error: Cannot write the layer's report to {report}: {NOT_OURS}\n"
    assert report.read_text() == "<!DOCTYPE html>\n<p>my notes</p>\n" and not (project / LAYER).exists()
    assert build(project) == 0  # without --report it is not the build's business
    assert report.read_text() == "<!DOCTYPE html>\n<p>my notes</p>\n"

    report.unlink()
    assert build(project, "--report") == 0
    ours = project / "ours.html"
    report.rename(ours)
    report.symlink_to(ours)  # a link, even to a report of ours, is not ours
    capsys.readouterr()
    assert build(project, "--report") == 1
    assert capsys.readouterr().err == (
        f"error: Cannot write the layer's report to {report}: it is a symbolic link (to {ours}): the build writes no "
        "links, so it neither replaces one nor writes through it. Move it away or set `output` in [tool.lambda-layer] "
        "or pass --output to a writable place.\n")
    assert os.readlink(report) == str(ours) and ours.read_bytes().startswith(REPORT_MARKER.encode())


def test_the_report_goes_with_the_zip_it_describes(core_env, make_project, capsys):
    """A rebuilt zip takes our old page away (another file stays); clean removes it with the zip."""
    project = make_project(requirements__txt=REQUIREMENTS)
    assert build(project, "--report") == 0
    (project / "requirements.txt").write_text(REQUIREMENTS.replace("six==1.16.0\n", ""))
    assert build(project) == 0
    assert not (project / REPORT).exists()

    output = project / "dist/layer.zip"
    assert build(project, "--output", "dist/layer.zip", "--report") == 0
    assert clean_layer(project, [output]) == [
        project / "build/lambda/layer", output, project / "dist/layer.zip.fingerprint.json",
        project / "dist/layer.zip.json", project / "dist/layer.zip.html", project / "build/lambda"]
    (project / "dist/layer.zip.html").write_text("mine")
    assert clean_layer(project, [output]) == []
    assert (project / "dist/layer.zip.html").read_text() == "mine"


HATCH_PROJECT = """\
[project]
name = "hatched"
version = "1"
requires-python = ">=3.12"
dependencies = ["fake-a", "six"]

[tool.hatch.build.targets.lambda-layer]
python-version = "3.12"
report = true
"""


def test_hatch_target_table_asks_for_it(core_env, tmp_path, capsys):
    project = tmp_path / "hatched"
    project.mkdir()
    (project / "pyproject.toml").write_text(HATCH_PROJECT)
    builder = LambdaLayerHatchBuilder(str(project), metadata=ProjectMetadata(str(project), None,
                                                                            config=tomllib.loads(HATCH_PROJECT)))
    [artifact] = list(builder.build())
    assert Path(artifact) == project / LAYER
    assert f"report: {project / REPORT}" in capsys.readouterr().err.splitlines()
    page = (project / REPORT).read_text(encoding="utf-8")
    data: Dict[str, list] = json.loads(page.split('<script type="application/json" id="layer-data">')[1].split("</script>")[0])
    assert sorted(box["name"] for box in data["boxes"]) == ["fake-a", "fake-b", "six"]
