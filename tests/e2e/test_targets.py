"""Several targets in one command, and the manifest beside every zip (issue 20).

One requirements file built for python3.12 and python3.13 on x86_64 and arm64: four zips, each
checked by reading the zip itself (its ELF machine, its .pyc magic, its distributions), four
manifests checked against digests computed here, one summary; then the up-to-date and failure paths.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import zipfile
from pathlib import Path
from typing import Dict

import pytest

from shared_core.cli import main
from shared_core.lambda_runtime import LambdaTarget
from tests.helpers.layer_assertions import dists
from tests.helpers.uv_recorder import read_uv_records

pytestmark = pytest.mark.in_process

PYPROJECT = '[project]\nname = "many"\nversion = "1"\nrequires-python = ">=3.12"\n'
REQUIREMENTS = "fake-a==1.0\nfake-native==1.0\nsix==1.16.0\n"
TARGETS = ("py312-x86_64", "py312-arm64", "py313-x86_64", "py313-arm64")
FOUR = ("--python", "3.12,3.13", "--arch", "x86_64,arm64")
ELF_MACHINE = {"x86_64": 62, "arm64": 183}


def build(project: Path, *args: str) -> int:
    return main(["build", "--project", str(project), *args])


def zip_of(project: Path, name: str) -> Path:
    return project / "build/lambda/layer" / name / "layer.zip"


def target_of(name: str) -> LambdaTarget:
    python, architecture = name[2:].split("-", 1)
    return LambdaTarget(f"{python[0]}.{python[1:]}", architecture)


def _elf_machine(data: bytes) -> int:
    assert data[:4] == b"\x7fELF"
    return int.from_bytes(data[18:20], "little")


def check_layer(layer: Path, target: LambdaTarget) -> None:
    """What the zip holds is for ``target``: its native module's machine, its bytecode's magic."""
    tag = target.cpython_tag[2:]
    with zipfile.ZipFile(layer) as archive:
        members = archive.namelist()
        [native] = [name for name in members if name.startswith("python/fake_native/") and name.endswith(".so")]
        assert _elf_machine(archive.read(native)) == ELF_MACHINE[target.architecture]
        pycs = [name for name in members if name.endswith(".pyc")]
        assert pycs and all(name.endswith(f".cpython-{tag}.pyc") for name in pycs)
        assert {archive.read(name)[:4] for name in pycs} == {target.pyc_magic}
    assert dists(layer) == {"fake-a", "fake-b", "fake-native", "six"}


def check_manifest(project: Path, layer: Path, target: LambdaTarget) -> None:
    """The manifest beside ``layer`` against what this test reads from the zip and the project itself."""
    data = layer.read_bytes()
    manifest = json.loads(layer.with_name("layer.zip.json").read_text(encoding="utf-8"))
    with zipfile.ZipFile(layer) as archive:
        infos = archive.infolist()
    assert manifest["zip"] == {
        "name": "layer.zip",
        "sha256": hashlib.sha256(data).hexdigest(),
        "sha256_base64": base64.b64encode(hashlib.sha256(data).digest()).decode(),
        "md5": hashlib.md5(data).hexdigest(),
        "bytes": len(data),
        "unzipped_bytes": sum(info.file_size for info in infos),
        "files": len(infos),
    }
    glibc = "2.34" if target.python_version >= "3.12" else "2.26"
    machine = {"x86_64": "x86_64", "arm64": "aarch64"}[target.architecture]
    assert manifest["target"] == {"runtime": f"python{target.python_version}", "python": target.python_version,
                                  "architecture": target.architecture, "glibc": glibc,
                                  "platform": f"manylinux_2_34_{machine}"}
    assert manifest["source"] == {"file": "requirements.txt",
                                  "sha256": hashlib.sha256((project / "requirements.txt").read_bytes()).hexdigest()}
    assert [(dist["name"], dist["version"]) for dist in manifest["distributions"]] == [
        ("fake-a", "1.0"), ("fake-b", "1.0"), ("fake-native", "1.0"), ("six", "1.16.0")]
    assert sum(dist["files"] for dist in manifest["distributions"]) == len(infos)
    assert sum(dist["unzipped_bytes"] for dist in manifest["distributions"]) == manifest["zip"]["unzipped_bytes"]
    assert (manifest["manifest"], manifest["kind"], manifest["bytecode"], manifest["excluded"]) == (1, "layer", True, [])


SUMMARY_ROW = re.compile(r"(py31[23]-(?:x86_64|arm64) +) +\d+ +[\d.]+ [KM]?B +[\d.]+ [KM]?B +(built|up to date) +(\S+)")


def summary(out: str) -> Dict[str, tuple]:
    """The table's rows: target -> (result, path); the header must come first."""
    lines = out.splitlines()
    start = next(index for index, line in enumerate(lines) if line.startswith("target "))
    assert re.fullmatch(r"target +files +unzipped +zipped +result +path", lines[start])
    rows = {}
    for line in lines[start + 1:start + 5]:
        match = SUMMARY_ROW.fullmatch(line)
        assert match, line
        rows[match.group(1).strip()] = (match.group(2), match.group(3))
    return rows


def test_four_targets_in_one_command(core_env, make_project, capsys, uv_recorder, monkeypatch, tmp_path):
    record = tmp_path / "uv-calls.jsonl"
    monkeypatch.setenv("HATCH_UV", str(uv_recorder))
    monkeypatch.setenv("LAYER_TEST_UV_RECORD", str(record))
    project = make_project(PYPROJECT, requirements__txt=REQUIREMENTS)
    assert build(project, *FOUR) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0] == ("targets: python3.12 x86_64, python3.12 arm64, python3.13 x86_64, python3.13 arm64 "
                                   "(--python)")
    assert summary(out) == {name: ("built", f"build/lambda/layer/{name}/layer.zip") for name in TARGETS}
    assert out.splitlines()[-4:] == [str(zip_of(project, name)) for name in TARGETS]
    for name in TARGETS:
        check_layer(zip_of(project, name), target_of(name))
        check_manifest(project, zip_of(project, name), target_of(name))
    # each marker environment resolved once, for itself
    compiles = [call for call in read_uv_records(record) if call["argv"][:2] == ["pip", "compile"]]
    assert sorted((call["argv"][call["argv"].index("--python-version") + 1],
                   call["argv"][call["argv"].index("--python-platform") + 1]) for call in compiles) == [
        ("3.12.11", "aarch64-manylinux_2_34"), ("3.12.11", "x86_64-manylinux_2_34"),
        ("3.13.5", "aarch64-manylinux_2_34"), ("3.13.5", "x86_64-manylinux_2_34")]

    before = {name: zip_of(project, name).read_bytes() for name in TARGETS}
    record.unlink()
    assert build(project, *FOUR) == 0
    assert summary(capsys.readouterr().out) == {name: ("up to date", f"build/lambda/layer/{name}/layer.zip")
                                                for name in TARGETS}
    assert not record.exists()  # nothing resolved: every target was up to date

    assert build(project, "--python", "3.12,3.13", "--arch", "arm64") == 0
    out = capsys.readouterr().out
    assert {name: result for name, (result, _) in _two_rows(out).items()} == {"py312-arm64": "up to date",
                                                                                "py313-arm64": "up to date"}
    assert {name: zip_of(project, name).read_bytes() for name in TARGETS} == before


def _two_rows(out: str) -> Dict[str, tuple]:
    lines = out.splitlines()
    start = next(index for index, line in enumerate(lines) if line.startswith("target "))
    rows = {}
    for line in lines[start + 1:start + 3]:
        match = SUMMARY_ROW.fullmatch(line)
        assert match, line
        rows[match.group(1).strip()] = (match.group(2), match.group(3))
    return rows


def test_every_target_that_can_build_is_built_and_the_failures_come_at_the_end(core_env, make_project, capsys):
    project = make_project(PYPROJECT, requirements__txt="fake-x86-only==1.0\n")
    assert build(project, "--python", "3.12", "--arch", "x86_64,arm64") == 1
    captured = capsys.readouterr()
    assert "py312-arm64: failed (said at the end)\n" in captured.out
    assert re.search(r"py312-arm64 +failed +build/lambda/layer/py312-arm64/layer.zip\n", captured.out)
    assert captured.err.startswith("error: 1 of 2 targets failed to build; the others are built.\n\npy312-arm64: ")
    assert "fake-x86-only" in captured.err and captured.err.count("\n\n") == 1
    assert zipfile.ZipFile(zip_of(project, "py312-x86_64")).testzip() is None
    assert not zip_of(project, "py312-arm64").exists()


def test_one_target_keeps_the_usual_path_and_a_repeated_one_is_one(core_env, make_project, capsys):
    project = make_project(PYPROJECT, requirements__txt="six==1.16.0\n")
    assert build(project, "--python", "3.12", "--python", "3.12", "--arch", "arm64,aarch64") == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0] == "target: python3.12 arm64 (--python)"
    assert out.splitlines()[-1] == str(project / "build/lambda/layer/layer.zip")


def test_target_in_output_and_one_file_for_two_targets(core_env, make_project, capsys):
    project = make_project(PYPROJECT, requirements__txt="six==1.16.0\n")
    assert build(project, "--python", "3.12", "--arch", "x86_64,arm64", "--output", "dist/deps-{target}.zip") == 0
    assert sorted(path.name for path in (project / "dist").iterdir() if not path.name.startswith(".")) == [
        "deps-py312-arm64.zip", "deps-py312-arm64.zip.fingerprint.json", "deps-py312-arm64.zip.json",
        "deps-py312-x86_64.zip", "deps-py312-x86_64.zip.fingerprint.json", "deps-py312-x86_64.zip.json"]
    assert json.loads((project / "dist/deps-py312-arm64.zip.json").read_text())["zip"]["name"] == "deps-py312-arm64.zip"
    capsys.readouterr()
    assert build(project, "--python", "3.12", "--arch", "x86_64,arm64", "--output", "dist/layer.zip") == 1
    assert capsys.readouterr().err == (
        f"error: --output gives py312-x86_64 and py312-arm64 the same zip, {project / 'dist/layer.zip'}, and each "
        "target needs its own. Put {target} in it (`layers/{target}.zip`) or name a folder (ending in /) to get "
        "one folder per target.\n")
    assert build(project, "--python", "3.12", "--arch", "x86_64,arm64", "--output", "out/") == 0
    assert (project / "out/py312-arm64/layer.zip").is_file() and (project / "out/py312-x86_64/layer.zip").is_file()


def test_manifest_command_prints_one_json_line_per_target(core_env, make_project, capsys):
    project = make_project(PYPROJECT, requirements__txt="six==1.16.0\n")
    assert main(["manifest", "--project", str(project), "--python", "3.12,3.13", "--arch", "arm64"]) == 0
    captured = capsys.readouterr()
    lines = captured.out.splitlines()
    assert [json.loads(line) for line in lines] == [
        json.loads(zip_of(project, name).with_name("layer.zip.json").read_text()) for name in ("py312-arm64", "py313-arm64")]
    assert captured.err == ""
    assert main(["manifest", "--project", str(project), "--python", "3.12,3.13", "--arch", "arm64"]) == 0
    assert capsys.readouterr().out.splitlines() == lines  # up to date: the same manifests, read back


def test_a_deleted_or_edited_manifest_is_rebuilt(core_env, make_project, capsys):
    project = make_project(PYPROJECT, requirements__txt="six==1.16.0\n")
    assert build(project, "--python", "3.12") == 0
    manifest = project / "build/lambda/layer/layer.zip.json"
    written = manifest.read_bytes()
    manifest.write_bytes(written.replace(b'"six"', b'"sux"'))
    capsys.readouterr()
    assert build(project, "--python", "3.12") == 0
    assert "up to date" not in capsys.readouterr().out and manifest.read_bytes() == written
    manifest.unlink()
    assert build(project, "--python", "3.12") == 0
    assert "up to date" not in capsys.readouterr().out and manifest.read_bytes() == written


def test_a_foreign_file_at_the_manifest_path_is_refused_and_kept(core_env, make_project, capsys):
    project = make_project(PYPROJECT, requirements__txt="six==1.16.0\n")
    manifest = project / "build/lambda/layer/layer.zip.json"
    manifest.parent.mkdir(parents=True)
    manifest.write_text('{"mine": true}\n')
    assert build(project, "--python", "3.12") == 1
    assert capsys.readouterr().err == (
        f"error: Cannot write the layer's manifest to {manifest}: it is a file that is not a manifest this tool wrote "
        "(a JSON object with manifest and kind): the build replaces only what it wrote. Move it away or set `output` "
        "in [tool.lambda-layer] or pass --output to a writable place.\n")
    assert manifest.read_text() == '{"mine": true}\n' and not (project / "build/lambda/layer/layer.zip").exists()


def test_a_manifest_never_describes_other_bytes_than_its_zip(core_env, make_project, capsys, monkeypatch):
    """A build that fails before the zip is replaced keeps the zip and its manifest; one that fails
    while replacing it leaves the old zip without a manifest, never with the new one's or a stale one."""
    import os

    from shared_core import lambda_runtime

    project = make_project(PYPROJECT, requirements__txt="six==1.16.0\n")
    assert build(project, "--python", "3.12") == 0
    layer, manifest = project / "build/lambda/layer/layer.zip", project / "build/lambda/layer/layer.zip.json"
    before = (layer.read_bytes(), manifest.read_bytes())
    (project / "requirements.txt").write_text("six==1.16.0\nfake-a==1.0\n")
    limit = lambda_runtime.UNZIPPED_LIMIT
    monkeypatch.setattr(lambda_runtime, "UNZIPPED_LIMIT", 100)  # refused by the size check, before writing
    assert build(project, "--python", "3.12") == 1
    assert (layer.read_bytes(), manifest.read_bytes()) == before
    monkeypatch.setattr(lambda_runtime, "UNZIPPED_LIMIT", limit)
    real_replace = os.replace

    def full_disk(source, target):
        if str(target).endswith(".zip"):
            raise OSError(28, "No space left on device")
        return real_replace(source, target)

    monkeypatch.setattr(os, "replace", full_disk)
    capsys.readouterr()
    assert build(project, "--python", "3.12") == 1
    assert "No space left on device" in capsys.readouterr().err
    assert layer.read_bytes() == before[0] and not manifest.exists()
    monkeypatch.setattr(os, "replace", real_replace)
    assert build(project, "--python", "3.12") == 0
    assert json.loads(manifest.read_text())["zip"]["sha256"] == hashlib.sha256(layer.read_bytes()).hexdigest()
