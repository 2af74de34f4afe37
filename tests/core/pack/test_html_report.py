"""The HTML report, read from a zip written here: ownership by the zip's RECORDs, top-level entries,
the files no RECORD lists, the fit measures priced on the zip, and a page that is the same bytes
for the same zip wherever it lies. (The page in a real browser: tests/e2e/test_report.py.)"""

from __future__ import annotations

import os
import zipfile
from pathlib import Path
from typing import Dict, List, Optional

import pytest

from shared_core import lambda_runtime
from shared_core.pack.fit_advice import FitMeasure
from shared_core.pack.html_report import UNOWNED, DistributionShare, Share, read_layer_report, render_report, write_report
from shared_core.pack.report_file import REPORT_MARKER, is_own_report, report_path, withdraw_report
from tests.helpers.manifests import sample_manifest

#: A RECORD row's digest: always this long (``sha256=`` and 43 characters), as the packer writes them.
DIGEST = "sha256=" + "A" * 43
PYC = "alpha/__pycache__/__init__.cpython-312.pyc"
HOSTILE = "x</script><script>alert(1)</script>"

FILES: Dict[str, bytes] = {
    "alpha/__init__.py": b"import beta\n",
    PYC: b"\x00" * 120,
    "alpha/core.py": b"x = 1\n" * 50,
    "alpha/tests/__init__.py": b"",
    "alpha/tests/test_core.py": b"from alpha import core\n" + b"#" * 177,
    "alpha-1.0.dist-info/METADATA": b"Metadata-Version: 2.1\nName: Alpha\nVersion: 1.0\nRequires-Dist: beta\n",
    "beta.py": b"y = 2\n" * 100,
    "beta-2.0.dist-info/METADATA": b"Metadata-Version: 2.1\nName: beta\nVersion: 2.0\n",
    "stray/data.bin": b"\x01" * 333,
}
RECORDS: Dict[str, List[str]] = {
    "alpha-1.0.dist-info": ["alpha/__init__.py", PYC, "alpha/core.py", "alpha/tests/__init__.py",
                            "alpha/tests/test_core.py", "alpha-1.0.dist-info/METADATA"],
    "beta-2.0.dist-info": ["beta.py", "beta-2.0.dist-info/METADATA"],
}


def row(path: str) -> str:
    return f"{path},{DIGEST},{len(FILES[path])}\n"


def record_text(dist_info: str) -> bytes:
    return ("".join(row(path) for path in RECORDS[dist_info]) + f"{dist_info}/RECORD,,\n").encode()


def write_layer(path: Path, extra: Optional[Dict[str, bytes]] = None) -> Path:
    """A layer zip of FILES, their RECORDs and ``extra`` (deflated, members in name order)."""
    members = {**FILES, **{f"{dist_info}/RECORD": record_text(dist_info) for dist_info in RECORDS}, **(extra or {})}
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in sorted(members):
            info = zipfile.ZipInfo("python/" + name, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, members[name])
    return path


def share(layer: Path, name: str, *members: str) -> Share:
    """What the report must say of ``members``, read here from the zip's central directory."""
    with zipfile.ZipFile(layer) as archive:
        infos = [archive.getinfo("python/" + member) for member in members]
    return Share(name, len(infos), sum(info.file_size for info in infos), sum(info.compress_size for info in infos))


def test_shares_by_record_and_top_level_entry(tmp_path):
    layer = write_layer(tmp_path / "layer.zip")
    report = read_layer_report(layer, sample_manifest())
    alpha_code = ["alpha/__init__.py", PYC, "alpha/core.py", "alpha/tests/__init__.py", "alpha/tests/test_core.py"]
    alpha_meta = ["alpha-1.0.dist-info/METADATA", "alpha-1.0.dist-info/RECORD"]
    beta_meta = ["beta-2.0.dist-info/METADATA", "beta-2.0.dist-info/RECORD"]
    assert report.distributions == (
        DistributionShare("Alpha", "1.0", share(layer, "Alpha", *alpha_code, *alpha_meta),
                          (share(layer, "alpha/", *alpha_code), share(layer, "alpha-1.0.dist-info/", *alpha_meta))),
        DistributionShare("beta", "2.0", share(layer, "beta", "beta.py", *beta_meta),
                          (share(layer, "beta.py", "beta.py"), share(layer, "beta-2.0.dist-info/", *beta_meta))),
    )
    assert report.unowned == DistributionShare(UNOWNED, "", share(layer, UNOWNED, "stray/data.bin"),
                                               (share(layer, "stray/", "stray/data.bin"),))
    with zipfile.ZipFile(layer) as archive:
        infos = archive.infolist()
    assert (report.unzipped, report.zipped) == (sum(i.file_size for i in infos), sum(i.compress_size for i in infos))


def test_measures_are_priced_on_the_zip_with_their_record_rows(tmp_path):
    layer = write_layer(tmp_path / "layer.zip")
    report = read_layer_report(layer, sample_manifest())
    total = report.unzipped
    tests = 0 + 200 + len(row("alpha/tests/__init__.py")) + len(row("alpha/tests/test_core.py"))
    bytecode = 120 + len(row(PYC))
    alpha = 12 + 120 + 300 + 0 + 200 + len(FILES["alpha-1.0.dist-info/METADATA"]) + len(record_text("alpha-1.0.dist-info"))
    beta = 600 + len(FILES["beta-2.0.dist-info/METADATA"]) + len(record_text("beta-2.0.dist-info"))
    assert report.measures == (
        FitMeasure("dropping package tests", "`drop-package-tests = true`, --drop-package-tests", tests, total - tests, True),
        FitMeasure("shipping no bytecode", "`compile-bytecode = false`, --no-compile", bytecode, total - bytecode, True),
        FitMeasure("excluding Alpha", "`exclude-packages`, --exclude Alpha", alpha, total - alpha, True),
        FitMeasure("excluding beta", "`exclude-packages`, --exclude beta", beta, total - beta, True, "required by Alpha"),
    )


def test_a_test_directory_a_kept_module_imports_is_not_offered(tmp_path, monkeypatch):
    """The zip's sources are read as the packer reads the staged ones: imported tests stay."""
    monkeypatch.setitem(FILES, "alpha/core.py", b"from alpha.tests import test_core\n" + b"#" * 266)
    report = read_layer_report(write_layer(tmp_path / "layer.zip"), sample_manifest())
    assert [measure.action for measure in report.measures] == ["shipping no bytecode", "excluding Alpha", "excluding beta"]


def test_the_limit_is_lambdas_at_the_time_of_the_report(tmp_path, monkeypatch):
    layer = write_layer(tmp_path / "layer.zip")
    total = read_layer_report(layer, sample_manifest()).unzipped
    monkeypatch.setattr(lambda_runtime, "UNZIPPED_LIMIT", total - 10)
    report = read_layer_report(layer, sample_manifest())
    assert report.limit == total - 10
    page = render_report(report).decode()
    assert '<div class="fill over" style="width:100.00%">' in page
    assert f"{total:,} bytes) unzipped of Lambda's {total - 10:,}-byte limit (<strong>{total * 100 / (total - 10):.1f}%</strong>)" in page


def test_the_page_is_the_same_bytes_for_the_same_zip_anywhere(tmp_path):
    first = write_report(write_layer(tmp_path / "a" / "layer.zip"), sample_manifest())
    second = write_report(write_layer(tmp_path / "deeper" / "b" / "layer.zip"), sample_manifest())
    assert first == tmp_path / "a" / "layer.zip.html"
    data = first.read_bytes()
    assert data == second.read_bytes()
    assert data.startswith(REPORT_MARKER.encode())
    assert str(tmp_path).encode() not in data
    assert oct(os.stat(first).st_mode & 0o777) == "0o644"
    assert sorted(path.name for path in (tmp_path / "a").iterdir()) == ["layer.zip", "layer.zip.html"]  # no temporary left


def test_names_cannot_break_out_of_the_page(tmp_path):
    """A distribution's name (METADATA's, any text) and a folder's name are data in the page, never markup."""
    hostile_metadata = f"Metadata-Version: 2.1\nName: {HOSTILE}\nVersion: 2.0\n".encode()
    layer = write_layer(tmp_path / "layer.zip", {"beta-2.0.dist-info/METADATA": hostile_metadata,
                                                 "x<img src=x onerror=alert(2)>/a.py": b"1\n"})
    report = read_layer_report(layer, sample_manifest())
    assert HOSTILE in [dist.name for dist in report.distributions]
    page = render_report(report).decode()
    assert page.count("</script>") == 2  # the data's and the layout script's own
    assert page.count("<script") == 2
    assert "<img" not in page
    assert "alert(1)" in page and "alert(2)" in page  # there, as text


def test_only_our_report_is_ours(tmp_path):
    layer = write_layer(tmp_path / "layer.zip")
    ours = write_report(layer, sample_manifest())
    assert is_own_report(ours)
    foreign = tmp_path / "notes.html"
    foreign.write_text("<!DOCTYPE html>\n<p>my notes</p>\n")
    (tmp_path / "link.html").symlink_to(ours)
    (tmp_path / "folder.html").mkdir()
    assert [is_own_report(tmp_path / name) for name in ("notes.html", "link.html", "folder.html", "missing.html")] == [
        False, False, False, False]
    assert report_path(tmp_path / "x.zip") == tmp_path / "x.zip.html"


def test_withdraw_removes_only_our_report(tmp_path):
    layer = write_layer(tmp_path / "layer.zip")
    write_report(layer, sample_manifest())
    withdraw_report(layer)
    assert not report_path(layer).exists()
    report_path(layer).write_text("mine")
    withdraw_report(layer)
    assert report_path(layer).read_text() == "mine"


@pytest.mark.parametrize("broken", ["no RECORD", "no METADATA"])
def test_a_distribution_without_record_or_metadata(tmp_path, broken):
    """No RECORD: its files are in the unowned box. No METADATA: named after its dist-info folder."""
    layer = tmp_path / "layer.zip"
    if broken == "no RECORD":
        write_layer(layer)
        with zipfile.ZipFile(layer) as archive:
            kept = {info.filename: archive.read(info) for info in archive.infolist()
                    if info.filename != "python/beta-2.0.dist-info/RECORD"}
        with zipfile.ZipFile(layer, "w") as archive:
            for name, data in kept.items():
                archive.writestr(name, data)
        report = read_layer_report(layer, sample_manifest())
        assert [dist.name for dist in report.distributions] == ["Alpha"]
        assert [entry.name for entry in report.unowned.entries] == ["beta.py", "stray/", "beta-2.0.dist-info/"]
    else:
        FILES_WITHOUT = {name: data for name, data in FILES.items() if name != "beta-2.0.dist-info/METADATA"}
        RECORDS_WITHOUT = {**RECORDS, "beta-2.0.dist-info": ["beta.py"]}
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(f"{__name__}.FILES", FILES_WITHOUT)
            patch.setattr(f"{__name__}.RECORDS", RECORDS_WITHOUT)
            write_layer(layer)
        report = read_layer_report(layer, sample_manifest())
        assert [(dist.name, dist.version) for dist in report.distributions] == [("Alpha", "1.0"), ("beta", "2.0")]
