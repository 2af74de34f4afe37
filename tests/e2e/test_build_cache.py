"""The shared build cache on S3 (``cache = "s3://BUCKET/PREFIX"``) against moto's server on 127.0.0.1:
one machine builds and stores, another (other path, other HOME, empty caches, no index) downloads the
same bytes and runs no installer; a damaged or foreign entry is a miss and a rebuild, never a bad layer."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import zipfile
from pathlib import Path
from typing import Dict, List

import pytest

from shared_core.cli import main
from tests.helpers.aws_emulator import BrokenEndpoint, closed_port
from tests.helpers.builds import indexed_poetry_project, locked_poetry_project

LAYER = Path("build/lambda/layer/layer.zip")
BUCKET = "layer-cache"
PYPROJECT = f"""\
[project]
name = "cached-app"
version = "1.0"

[tool.lambda-layer]
python-version = "3.12"
architecture = "arm64"
cache = "s3://{BUCKET}/ci/layers"
"""
KEY = re.compile(r"^ci/layers/([0-9a-f]{64})\.zip$")


def build(project: Path, *args: str) -> int:
    return main(["build", "--project", str(project), *args])


def cache_keys(aws) -> List[str]:
    return aws.keys(BUCKET)


def entry_key(aws) -> str:
    [key] = [match.group(1) for match in map(KEY.match, cache_keys(aws)) if match]
    return key


def size_report(out: str) -> List[str]:
    """The size report's lines: from ``Layer size:`` to the last distribution."""
    lines = out.splitlines()
    start = next(index for index, line in enumerate(lines) if line.startswith("Layer size: "))
    end = next(index for index in range(start + 2, len(lines)) if not lines[index].startswith("  "))
    return lines[start:end]


FIRST_REPORT: List[str] = []


@pytest.fixture
def first(aws, make_project, capsys) -> Path:
    """The first machine: builds the layer and stores it in the cache."""
    aws.bucket(BUCKET)
    root = make_project(PYPROJECT, name="first", requirements__txt="fake-a==1.0\nfake-b==1.0\n")
    assert build(root) == 0
    out = capsys.readouterr().out
    key = entry_key(aws)
    assert f"cache: miss, s3://{BUCKET}/ci/layers/{key}.zip is not there; building it\n" in out
    assert f"cache: stored s3://{BUCKET}/ci/layers/{key}.zip (" in out
    assert cache_keys(aws) == [f"ci/layers/{key}.zip", f"ci/layers/{key}.zip.json"]
    FIRST_REPORT[:] = size_report(out)
    return root


def another_machine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, first: Path, name: str) -> Dict[str, Path]:
    """A copy of the project at another path, another HOME, empty uv, bytecode and member caches, an index
    that refuses connections (and no wheelhouse), and the uv recorder in front of uv."""
    root = tmp_path / name / "project"
    root.parent.mkdir()
    shutil.copytree(first, root, ignore=shutil.ignore_patterns("build"))
    dirs = {part: tmp_path / name / part for part in ("home", "uv-cache", "layer-cache")}
    for folder in dirs.values():
        folder.mkdir()
    nowhere = f"http://127.0.0.1:{closed_port()}/simple"
    for key in ("UV_FIND_LINKS", "PIP_FIND_LINKS", "UV_OFFLINE", "PIP_NO_INDEX"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("UV_HTTP_RETRIES", "0")  # a refused connection fails at once (the control build below)
    monkeypatch.setenv("HOME", str(dirs["home"]))
    monkeypatch.setenv("UV_CACHE_DIR", str(dirs["uv-cache"]))
    monkeypatch.setenv("LAMBDA_LAYER_CACHE_DIR", str(dirs["layer-cache"]))
    monkeypatch.setenv("UV_INDEX_URL", nowhere)
    monkeypatch.setenv("UV_DEFAULT_INDEX", nowhere)
    monkeypatch.setenv("PIP_INDEX_URL", nowhere)
    return {"root": root, "nowhere": Path(nowhere), **dirs}


@pytest.mark.in_process
def test_another_machine_gets_the_same_bytes_from_the_cache_without_installing(
        aws, first, tmp_path, monkeypatch, capsys, uv_recorder):
    key = entry_key(aws)
    machine = another_machine(tmp_path, monkeypatch, first, "second")
    record = tmp_path / "uv-runs.jsonl"
    monkeypatch.setenv("HATCH_UV", str(uv_recorder))
    monkeypatch.setenv("LAYER_TEST_UV_RECORD", str(record))
    root = machine["root"]

    assert build(root) == 0
    out = capsys.readouterr().out
    assert re.search(rf"^cache: hit, s3://{BUCKET}/ci/layers/{key}\.zip \([0-9.]+ [KM]?B in [0-9.]+ s, SHA-256 "
                     r"verified\); nothing resolved, installed or compiled$", out, re.M), out
    assert size_report(out) == FIRST_REPORT  # the report the build printed, from the manifest
    with zipfile.ZipFile(first / LAYER) as archive:
        files, unzipped = len(archive.infolist()), sum(info.file_size for info in archive.infolist())
    zipped = (first / LAYER).stat().st_size
    assert FIRST_REPORT[0].startswith(f"Layer size: {files} files, ") and f"({unzipped:,} bytes)" in FIRST_REPORT[0]
    assert FIRST_REPORT[0].endswith(f"zipped ({zipped:,} bytes)")
    assert [line.split()[0] for line in FIRST_REPORT[1:]] == ["Largest", "fake-a", "fake-b"]
    assert not re.search(r"^(resolve|install|compile|zip): ", out, re.M)
    assert not record.exists()  # uv never ran: no resolve, no install
    assert (root / LAYER).read_bytes() == (first / LAYER).read_bytes()
    assert (root / "build/lambda/layer/layer.zip.json").read_bytes() == (first / "build/lambda/layer/layer.zip.json").read_bytes()
    assert list(machine["uv-cache"].iterdir()) == [] and list(machine["layer-cache"].iterdir()) == []

    # written as a local build writes it: the next build here is up to date
    assert build(root) == 0
    assert "Layer is up to date (inputs unchanged; --force rebuilds)." in capsys.readouterr().out
    # and this machine really has no index: a build that does not use the cache fails to reach it
    assert build(root, "--force") == 1
    assert f"127.0.0.1:{str(machine['nowhere']).split(':')[-1].split('/')[0]}" in capsys.readouterr().err
    assert (root / LAYER).read_bytes() == (first / LAYER).read_bytes()  # the failed build changed nothing


@pytest.mark.in_process
@pytest.mark.parametrize("damage", ["zip-bytes", "zip-foreign", "zip-missing", "manifest-foreign", "manifest-garbage"])
def test_a_damaged_or_foreign_entry_is_a_miss_and_a_rebuild(aws, first, tmp_path, capsys, damage):
    key = entry_key(aws)
    zip_key, manifest_key = f"ci/layers/{key}.zip", f"ci/layers/{key}.zip.json"
    good = (first / LAYER).read_bytes()
    metadata = {"lambda-layer-inputs": key}
    if damage == "zip-bytes":  # same length, one byte flipped, metadata kept: only the SHA-256 tells
        broken = bytearray(good)
        broken[len(broken) // 2] ^= 0xFF
        aws.s3.put_object(Bucket=BUCKET, Key=zip_key, Body=bytes(broken), Metadata=metadata)
        why = (f"the zip's SHA-256 is {hashlib.sha256(bytes(broken)).hexdigest()}, its manifest records "
               f"{hashlib.sha256(good).hexdigest()}")
    elif damage == "zip-foreign":  # the right bytes, stored by something else (no key in its metadata)
        aws.s3.put_object(Bucket=BUCKET, Key=zip_key, Body=good)
        why = "the zip was not stored for these inputs (metadata lambda-layer-inputs is None)"
    elif damage == "zip-missing":  # a store cut short before its zip, or an expiry rule that took only the zip
        aws.s3.delete_object(Bucket=BUCKET, Key=zip_key)
        why = "its manifest is there but its zip is not"
    elif damage == "manifest-foreign":
        data = aws.s3.get_object(Bucket=BUCKET, Key=manifest_key)["Body"].read()
        aws.s3.put_object(Bucket=BUCKET, Key=manifest_key, Body=data, Metadata={"lambda-layer-inputs": "0" * 64})
        why = f"its manifest was not stored for these inputs (metadata lambda-layer-inputs is '{'0' * 64}')"
    else:
        aws.s3.put_object(Bucket=BUCKET, Key=manifest_key, Body=b"{not json", Metadata=metadata)
        why = f"s3://{BUCKET}/{manifest_key} is not a layer manifest this lambda-layer-build reads"
    root = tmp_path / "third"
    shutil.copytree(first, root, ignore=shutil.ignore_patterns("build"))

    assert build(root) == 0
    out, err = capsys.readouterr()
    assert err == f"warning: cache: s3://{BUCKET}/{zip_key} is not used: {why}; building the layer instead (and storing it)\n"
    assert re.search(r"^install: ", out, re.M)  # built here
    assert (root / LAYER).read_bytes() == good  # never the damaged bytes
    # the rebuild stored the layer again: the entry is whole
    assert aws.s3.get_object(Bucket=BUCKET, Key=zip_key)["Body"].read() == good
    stored = json.loads(aws.s3.get_object(Bucket=BUCKET, Key=manifest_key)["Body"].read())
    assert stored["zip"]["sha256"] == hashlib.sha256(good).hexdigest()


@pytest.mark.in_process
def test_a_failed_upload_is_a_warning(aws, make_project, capsys):
    root = make_project(PYPROJECT.replace(BUCKET, "no-such-cache"), name="lonely", requirements__txt="fake-a==1.0\nfake-b==1.0\n")
    assert build(root) == 0
    out, err = capsys.readouterr()
    key = re.search(r"s3://no-such-cache/ci/layers/([0-9a-f]{64})\.zip", err).group(1)
    zip_uri = f"s3://no-such-cache/ci/layers/{key}.zip"
    assert err == (  # the lookup fails (an AWS failure): one warning, no upload tried, and the layer is built
        f"warning: cache: {zip_uri} could not be read (s3:GetObject on {zip_uri}.json failed (NoSuchBucket: The "
        "specified bucket does not exist).); building the layer instead, without the cache for the rest of this "
        "command\n")
    assert (root / LAYER).is_file() and out.splitlines()[-1] == str(root / LAYER)


@pytest.mark.in_process
def test_a_stored_build_whose_upload_fails_is_a_warning(aws, proxy, make_project, capsys):
    """Readable but the upload fails (S3 answers 500, every try): the lookup misses, the build stands."""
    aws.bucket(BUCKET)
    root = make_project(PYPROJECT, name="read-only", requirements__txt="fake-a==1.0\nfake-b==1.0\n")
    for _ in range(3):  # botocore's three tries of the call
        proxy.arm("PUT", rf"/{BUCKET}/ci/layers/[0-9a-f]{{64}}\.zip", mode="instead")
    assert build(root) == 0
    out, err = capsys.readouterr()
    zip_uri = re.search(rf"s3://{BUCKET}/ci/layers/[0-9a-f]{{64}}\.zip", out).group(0)
    assert f"cache: miss, {zip_uri} is not there; building it\n" in out
    assert err.startswith(f"warning: cache: the layer is built, but could not be stored at {zip_uri} (s3:PutObject on "
                          f"{zip_uri} failed on AWS's side (HTTP 500") and len(err.splitlines()) == 1, err
    assert (root / LAYER).is_file() and cache_keys(aws) == []


@pytest.mark.in_process
@pytest.mark.parametrize("behaviour", ["closing", "refused"])
def test_a_cache_that_cannot_be_read_is_left_after_the_first_failure(aws, make_project, capsys, monkeypatch, behaviour):
    """Two targets, an S3 endpoint that drops every request (or refuses connections): one warning, not one per
    target and call, and both layers built."""
    endpoint = BrokenEndpoint("closing") if behaviour == "closing" else None
    port = endpoint.port if endpoint else closed_port()
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{port}")
    root = make_project(PYPROJECT.replace('python-version = "3.12"', 'python-version = ["3.12", "3.13"]'),
                        name="unreachable", requirements__txt="fake-a==1.0\nfake-b==1.0\n")
    try:
        assert build(root) == 0
    finally:
        if endpoint:
            endpoint.close()
    out, err = capsys.readouterr()
    [warning] = err.splitlines()
    assert warning.startswith("warning: cache: s3://layer-cache/ci/layers/") and warning.endswith(
        "; building the layer instead, without the cache for the rest of this command"), warning
    assert f"127.0.0.1:{port}" in warning
    assert "cache: " not in out
    for target in ("py312-arm64", "py313-arm64"):
        assert (root / "build/lambda/layer" / target / "layer.zip").is_file()


@pytest.mark.in_process
@pytest.mark.parametrize("value, message", [
    ('"layer-cache/ci"', 'Field `tool.lambda-layer.cache` must be an S3 location such as "s3://my-bucket/layer-cache", '
                         "got 'layer-cache/ci'."),
    ('"s3://Bad_Bucket/x"', "Field `tool.lambda-layer.cache` must be an S3 bucket name"),
    ('"s3://layer-cache/../x"', 'Field `tool.lambda-layer.cache` must be an S3 key prefix such as "lambda-layer/"'),
])
def test_the_cache_setting_is_checked(make_project, capsys, value, message):
    root = make_project(PYPROJECT.replace(f'"s3://{BUCKET}/ci/layers"', value), name="bad",
                        requirements__txt="fake-a==1.0\n")
    assert build(root) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"error: {message}") and len(err.strip().splitlines()) == 1
    assert not (root / "build").exists()


# -- through Poetry: the --cache option, and poetry.lock's pins --------------------------------


@pytest.fixture(scope="module")
def poetry_project(offline_env: Dict[str, str], index_url: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return locked_poetry_project(tmp_path_factory.mktemp("poetry-cache") / "poetry-cached",
                                 indexed_poetry_project("poetry-cached", "fake-a", index_url), offline_env)


@pytest.mark.in_process
def test_poetry_builds_once_and_the_copy_hits(aws, poetry_app, poetry_project, tmp_path, monkeypatch, uv_recorder):
    aws.bucket(BUCKET)
    first, second = (shutil.copytree(poetry_project, tmp_path / name / "poetry-cached") for name in ("one", "two"))
    code, out, err = poetry_app(f"lambda-layer --project {first} --cache s3://{BUCKET}/poetry")
    assert code == 0, err
    assert "cache: miss, s3://layer-cache/poetry/" in out and "cache: stored s3://layer-cache/poetry/" in out
    record = tmp_path / "uv-runs.jsonl"
    for name, value in (("HATCH_UV", str(uv_recorder)), ("LAYER_TEST_UV_RECORD", str(record)),
                        ("UV_CACHE_DIR", str(tmp_path / "empty-uv")), ("LAMBDA_LAYER_CACHE_DIR", str(tmp_path / "empty"))):
        monkeypatch.setenv(name, value)
    code, out, err = poetry_app(f"lambda-layer --project {second} --cache s3://{BUCKET}/poetry")
    assert code == 0, err
    assert "cache: hit, s3://layer-cache/poetry/" in out and not record.exists()
    assert (second / LAYER).read_bytes() == (first / LAYER).read_bytes()
    assert out.splitlines()[-1] == str(second / LAYER)


@pytest.mark.in_process
def test_a_hit_writes_the_report_asked_for_and_withdraws_a_stale_one(aws, first, tmp_path, monkeypatch, capsys):
    """The report describes the zip beside it: written from the hit's manifest with --report; a report of the
    bytes a hit replaces goes."""
    from shared_core.pack.report_file import REPORT_MARKER, report_path
    from shared_core.pipeline.fingerprint import fingerprint_path

    machine = another_machine(tmp_path, monkeypatch, first, "reporting")
    root = machine["root"]
    report = report_path(root / LAYER)
    assert build(root, "--report") == 0
    out = capsys.readouterr().out
    assert "cache: hit, " in out and f"report: {report}\n" in out
    assert report.read_text().startswith(REPORT_MARKER)
    assert json.loads((root / "build/lambda/layer/layer.zip.json").read_text())["zip"]["sha256"] in report.read_text()

    fingerprint_path(root / LAYER).unlink()  # not up to date: the next build hits again
    assert build(root) == 0
    assert "cache: hit, " in capsys.readouterr().out
    assert not report.exists()
