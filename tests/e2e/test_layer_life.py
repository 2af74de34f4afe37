"""The published layer's life against moto's server on 127.0.0.1: what changed (before a publish, in a dry
run, in its output and by ``lambda-layer diff``), the manifest stored with each version, ``versions`` and
``prune`` (never the latest, never a version a function uses), through the console script and Poetry."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import shutil
import sys
import zipfile
from pathlib import Path
from typing import Dict, Iterator, Tuple

import pytest

from shared_core.cli import main
from shared_core.version import __version__
from tests.helpers.aws_emulator import ACCOUNT, REGION
from tests.helpers.builds import indexed_poetry_project, locked_poetry_project

LAYER = Path("build/lambda/layer/layer.zip")
NAME = "life-app-py312-arm64"
ARN = f"arn:aws:lambda:{REGION}:{ACCOUNT}:layer:{NAME}"
BUCKET = "life-bucket"
PYPROJECT = """\
[project]
name = "life-app"
version = "1.0"

[tool.lambda-layer]
python-version = "3.12"
architecture = "arm64"
"""
WITH_BUCKET = PYPROJECT + f'\n[tool.lambda-layer.publish]\ns3-bucket = "{BUCKET}"\n'
PINS = "fake-a==1.0\nfake-b==1.0\nfake-versioned=={}\n"


def run(*args: str) -> int:
    return main(list(args))


def sizes(zip_path: Path) -> Tuple[int, int]:
    """(zipped, unzipped) bytes of a zip, read from the zip itself."""
    with zipfile.ZipFile(zip_path) as archive:
        return zip_path.stat().st_size, sum(info.file_size for info in archive.infolist())


def change(before: int, after: int) -> str:
    return f"{before:,} -> {after:,} bytes ({after - before:+,})"


@pytest.fixture
def life(make_project) -> Path:
    return make_project(WITH_BUCKET, name="life", requirements__txt=PINS.format("1.0"))


def published_twice(aws, life: Path, capsys) -> Dict[str, object]:
    """Version 1 with fake-versioned 1.0, version 2 with 2.0; what each publish printed."""
    aws.bucket(BUCKET)
    assert run("publish", "--project", str(life)) == 0
    first = capsys.readouterr().out
    old = sizes(life / LAYER)
    (life / "requirements.txt").write_text(PINS.format("2.0"))
    assert run("publish", "--project", str(life), "--dry-run") == 0
    dry = capsys.readouterr().out
    assert run("publish", "--project", str(life)) == 0
    second = capsys.readouterr().out
    new = sizes(life / LAYER)
    line = (f"changes from version 1 of layer {NAME}: upgraded: fake-versioned 1.0 -> 2.0; zipped "
            f"{change(old[0], new[0])}, unzipped {change(old[1], new[1])}")
    return {"first": first, "dry": dry, "second": second, "line": line}


# -- what changed, and the manifest stored with each version -------------------------------------


@pytest.mark.in_process
def test_two_publishes_say_what_changed_store_each_manifest_and_diff_and_versions_agree(aws, life, capsys):
    seen = published_twice(aws, life, capsys)
    line = seen["line"]
    assert "changes from version" not in seen["first"]  # the first version has nothing to compare with
    dry = seen["dry"].splitlines()
    assert line in dry and dry.index(line) < next(i for i, text in enumerate(dry) if text.startswith("dry run: would publish"))
    out = seen["second"].splitlines()
    assert out.count(line) == 1 and out.index(line) < next(i for i, text in enumerate(out) if text.startswith("Published version 2"))
    assert out[-1] == f"{ARN}:2"
    assert aws.versions(NAME) == [2, 1]

    # diff: the local layer (version 2's bytes) against version 1, and against the latest
    assert run("diff", "--project", str(life), "--version", "1") == 0
    assert capsys.readouterr().out.splitlines()[-1] == line
    assert run("diff", "--project", str(life), "-q") == 0
    assert capsys.readouterr().out == f"changes from version 2 of layer {NAME}: no change: the same zip (the same SHA-256)\n"

    # each version's stored manifest describes the zip it holds, and its description names that manifest
    unzipped = {}
    for version in (1, 2):
        info = aws.lambda_.get_layer_version(LayerName=NAME, VersionNumber=version)
        sha_hex = base64.b64decode(info["Content"]["CodeSha256"]).hex()
        stored = aws.s3.get_object(Bucket=BUCKET, Key=f"lambda-layer/{NAME}/{sha_hex}.json")["Body"].read()
        manifest = json.loads(stored)
        zipped = aws.s3.get_object(Bucket=BUCKET, Key=f"lambda-layer/{NAME}/{sha_hex}.zip")["Body"].read()
        assert manifest["zip"]["sha256"] == hashlib.sha256(zipped).hexdigest() == sha_hex
        assert manifest["zip"]["sha256_base64"] == info["Content"]["CodeSha256"]
        assert manifest["zip"]["bytes"] == len(zipped) == info["Content"]["CodeSize"]
        with zipfile.ZipFile(io.BytesIO(zipped)) as archive:
            assert manifest["zip"]["files"] == len(archive.infolist())
            unzipped[version] = sum(member.file_size for member in archive.infolist())
        assert manifest["zip"]["unzipped_bytes"] == unzipped[version]
        versions = {dist["name"]: dist["version"] for dist in manifest["distributions"]}
        assert versions == {"fake-a": "1.0", "fake-b": "1.0", "fake-versioned": f"{version}.0"}
        assert info["Description"] == (
            f"lambda-layer-build {__version__}, python3.12 arm64, 3 distributions, {unzipped[version] / 1024:.1f} KB "
            f"unzipped, manifest {hashlib.sha256(stored).hexdigest()}, inputs {info['Description'][-16:]}")
        if version == 2:
            assert zipped == (life / LAYER).read_bytes()
            assert stored == (life / "build/lambda/layer/layer.zip.json").read_bytes()  # the build's, byte for byte

    # versions: date, size, runtimes, architectures and the summary, newest first
    assert run("publish", "--project", str(life), "--description", "Shared deps", "-q") == 0
    capsys.readouterr()
    unzipped[3] = unzipped[2]
    assert run("versions", "--project", str(life), "-q") == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == f"layer {NAME} in {REGION}: 3 versions"
    assert out[1].split() == ["version", "created", "zipped", "runtimes", "architectures", "summary"]
    assert len(out) == 5
    for row, version in zip(out[2:], (3, 2, 1)):
        info = aws.lambda_.get_layer_version(LayerName=NAME, VersionNumber=version)
        zipped = info["Content"]["CodeSize"]
        assert row.split()[:5] == [str(version), info["CreatedDate"][:10], info["CreatedDate"][11:16], "UTC",
                                   f"{zipped / 1024:.1f}"]
        _, summary = row.split("python3.12  arm64", 1)
        prefix = "Shared deps: " if version == 3 else ""
        assert summary.strip() == (f"{prefix}3 distributions, {unzipped[version] / 1024:.1f} KB unzipped "
                                   f"(lambda-layer-build {__version__})")


def published_manifest_key(aws, life: Path, capsys: pytest.CaptureFixture) -> str:
    """Publish ``life`` once; the key of the manifest stored beside its content-addressed zip."""
    aws.bucket(BUCKET)
    assert run("publish", "--project", str(life)) == 0
    capsys.readouterr()
    return f"lambda-layer/{NAME}/{hashlib.sha256((life / LAYER).read_bytes()).hexdigest()}.json"


@pytest.mark.in_process
def test_a_version_published_without_a_manifest_gets_it_on_the_next_unchanged_publish(aws, life, capsys):
    key = published_manifest_key(aws, life, capsys)
    aws.s3.delete_object(Bucket=BUCKET, Key=key)
    assert run("publish", "--project", str(life), "--dry-run") == 0
    assert f"dry run: would store the manifest at s3://{BUCKET}/{key}\n" in capsys.readouterr().out
    assert run("publish", "--project", str(life)) == 0
    out = capsys.readouterr().out
    assert f"Layer {NAME} is unchanged" in out and f"provenance: manifest stored at s3://{BUCKET}/{key}\n" in out
    assert aws.s3.get_object(Bucket=BUCKET, Key=key)["Body"].read() == (life / "build/lambda/layer/layer.zip.json").read_bytes()
    assert aws.versions(NAME) == [1]


@pytest.mark.in_process
def test_without_a_bucket_the_sizes_are_compared_and_diff_says_where_manifests_are_kept(aws, make_project, capsys):
    root = make_project(PYPROJECT, name="direct", requirements__txt=PINS.format("1.0"))
    assert run("publish", "--project", str(root)) == 0
    capsys.readouterr()
    old = sizes(root / LAYER)
    (root / "requirements.txt").write_text(PINS.format("2.0"))
    assert run("publish", "--project", str(root)) == 0
    new = sizes(root / LAYER)
    line = (f"changes from version 1 of layer {NAME}: distributions unknown, no `s3-bucket` is set, and a version's "
            f"manifest is stored only there; zipped {change(old[0], new[0])}")
    assert line in capsys.readouterr().out.splitlines()
    assert run("diff", "--project", str(root), "--version", "1") == 0
    assert capsys.readouterr().out.splitlines()[-1] == line


@pytest.mark.in_process
def test_a_foreign_manifest_is_ignored_with_a_warning(aws, life, capsys):
    key = published_manifest_key(aws, life, capsys)
    stored = json.loads(aws.s3.get_object(Bucket=BUCKET, Key=key)["Body"].read())
    stored["zip"]["sha256_base64"] = base64.b64encode(b"\0" * 32).decode()
    aws.s3.put_object(Bucket=BUCKET, Key=key, Body=json.dumps(stored).encode())
    (life / "requirements.txt").write_text(PINS.format("2.0"))
    assert run("diff", "--project", str(life)) == 0
    out, err = capsys.readouterr()
    why = (f"s3://{BUCKET}/{key} describes another zip (CodeSha256 {'A' * 43}=), not version 1's "
           f"({base64.b64encode(bytes.fromhex(Path(key).stem)).decode()})")
    assert err == f"warning: {why}; it is ignored.\n"
    assert out.splitlines()[-1].startswith(f"changes from version 1 of layer {NAME}: distributions unknown, {why}; zipped ")


@pytest.mark.in_process
def test_diff_of_a_layer_without_versions_is_one_paragraph(aws, life, capsys):
    aws.bucket(BUCKET)
    assert run("diff", "--project", str(life)) == 1
    assert capsys.readouterr().err == (
        f"error: Layer {NAME} has no versions in {REGION}: there is nothing to compare the local layer with. "
        "Publish it first, or check the layer name and Region.\n")


# -- versions --------------------------------------------------------------------------------


@pytest.mark.in_process
def test_the_console_script_reads_hatchs_publish_table(aws, make_project, capsys):
    """`hatch publish -p lambda-layer` reads [tool.hatch.publish.lambda-layer]: so do `versions` (and every
    command of the console script) in that project, to find the same layer."""
    root = make_project(PYPROJECT + '\n[tool.hatch.publish.lambda-layer]\nlayer-name = "hatch-layer"\n', name="hatchy",
                        requirements__txt=PINS.format("1.0"))
    assert run("publish", "--project", str(root), "-q") == 0
    assert capsys.readouterr().out == f"arn:aws:lambda:{REGION}:{ACCOUNT}:layer:hatch-layer:1\n"
    assert run("versions", "--project", str(root)) == 0
    assert capsys.readouterr().out.splitlines()[0] == f"layer hatch-layer in {REGION}: 1 version"


# -- prune -----------------------------------------------------------------------------------


def four_versions(aws, life: Path, capsys) -> None:
    """Versions 1-4 of one zip (only the description differs: no rebuild)."""
    for number in range(1, 5):
        assert run("publish", "--project", str(life), "--description", f"release {number}", "-q") == 0
    capsys.readouterr()
    assert aws.versions(NAME) == [4, 3, 2, 1]


def function_using(aws, version: int, name: str = "orders") -> None:
    """A function in the account and Region whose configuration references ``version`` of the layer."""
    import boto3

    iam = boto3.client("iam", region_name=REGION, endpoint_url=aws.url)
    role = iam.create_role(RoleName=f"{name}-role", AssumeRolePolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
                                                "Action": "sts:AssumeRole"}]}))["Role"]["Arn"]
    code = io.BytesIO()
    with zipfile.ZipFile(code, "w") as archive:
        archive.writestr("handler.py", "def handle(event, context):\n    return event\n")
    aws.lambda_.create_function(FunctionName=name, Runtime="python3.12", Role=role, Handler="handler.handle",
                                Code={"ZipFile": code.getvalue()}, Layers=[f"{ARN}:{version}"])


@pytest.mark.in_process
def test_prune_keeps_the_latest_and_a_version_a_function_uses(aws, make_project, capsys, monkeypatch):
    life = make_project(PYPROJECT, name="prune", requirements__txt=PINS.format("1.0"))
    four_versions(aws, life, capsys)
    function_using(aws, 1)
    # --keep 2 --older-than 30: every version is younger than 30 days, so nothing goes
    assert run("prune", "--project", str(life), "--keep", "2", "--older-than", "30", "--yes") == 0
    assert capsys.readouterr().out.splitlines() == [
        f"layer {NAME} in {REGION}: 4 versions", "keep version 4: the latest version",
        "keep version 3: one of the 2 newest (--keep 2)", "keep version 2: created 0.0 days ago, within --older-than 30",
        "keep version 1: used by function orders:$LATEST", "nothing to delete"]

    plan = [
        f"layer {NAME} in {REGION}: 4 versions",
        "keep version 4: the latest version",
        f"would delete version 3: older than the 1 newest and used by no function in {REGION}",
        f"would delete version 2: older than the 1 newest and used by no function in {REGION}",
        "keep version 1: used by function orders:$LATEST",
    ]
    # not on a terminal and no --yes: the plan, and nothing deleted
    assert run("prune", "--project", str(life), "--keep", "1") == 0
    assert capsys.readouterr().out.splitlines() == [*plan, "nothing deleted: pass --yes to delete (or answer y on a terminal)"]
    # on a terminal, the answer decides: no
    questions = []
    monkeypatch.setattr(sys.stdin, "isatty", lambda: True, raising=False)
    monkeypatch.setattr("builtins.input", lambda question: questions.append(question) or "n")
    assert run("prune", "--project", str(life), "--keep", "1") == 0
    assert capsys.readouterr().out.splitlines()[-1] == "nothing deleted: pass --yes to delete (or answer y on a terminal)"
    assert questions == [f"Delete 2 versions of layer {NAME} in {REGION}? [y/N] "]
    assert aws.versions(NAME) == [4, 3, 2, 1]

    assert run("prune", "--project", str(life), "--keep", "1", "--yes") == 0
    assert capsys.readouterr().out.splitlines() == [*plan, f"deleted version 3 of layer {NAME}",
                                                    f"deleted version 2 of layer {NAME}"]
    assert aws.versions(NAME) == [4, 1]
    assert len(questions) == 1  # --yes asks nothing

    # again: nothing left to delete
    assert run("prune", "--project", str(life), "--keep", "1", "--yes") == 0
    assert capsys.readouterr().out.splitlines() == [
        f"layer {NAME} in {REGION}: 2 versions", "keep version 4: the latest version",
        "keep version 1: used by function orders:$LATEST", "nothing to delete"]


@pytest.mark.in_process
@pytest.mark.parametrize("args, message", [
    (("--keep", "0"), "error: --keep must be at least 1 (the latest version is always kept), got 0.\n"),
    (("--keep", "1", "--older-than", "-1"), "error: --older-than must be a number of days, 0 or more, got -1.\n"),
])
def test_prune_options_are_checked_before_any_aws_call(make_project, capsys, args, message):
    life = make_project(PYPROJECT, name="prune", requirements__txt=PINS.format("1.0"))
    assert run("prune", "--project", str(life), *args) == 1
    assert capsys.readouterr().err == message


@pytest.mark.in_process
def test_a_failed_deletion_is_reported_and_the_others_go_on(aws, proxy, make_project, capsys):
    life = make_project(PYPROJECT, name="prune", requirements__txt=PINS.format("1.0"))
    four_versions(aws, life, capsys)
    for _ in range(3):  # botocore's three tries of the call
        proxy.arm("DELETE", f"/2018-10-31/layers/{NAME}/versions/2", mode="instead")
    assert run("prune", "--project", str(life), "--keep", "1", "--yes") == 1
    out, err = capsys.readouterr()
    failure = (f"lambda:DeleteLayerVersion on version 2 of layer '{NAME}' in {REGION} failed on AWS's side (HTTP 500, "
               "ServiceException: Internal failure (injected by the test proxy)). Run again later: a version published "
               "meanwhile is found, not published twice.")
    assert err == (f"warning: version 2 of layer {NAME} was not deleted: {failure}\n"
                   f"error: 1 of 3 deletions of layer {NAME} failed (2 deleted).\n\nversion 2: {failure}\n")
    assert f"deleted version 3 of layer {NAME}" in out and f"deleted version 1 of layer {NAME}" in out
    assert aws.versions(NAME) == [4, 2]


# -- Poetry ----------------------------------------------------------------------------------

POETRY_LAYER = "poetry-life-py312-x86_64"


@pytest.fixture(scope="module")
def poetry_projects(offline_env: Dict[str, str], index_url: str,
                    tmp_path_factory: pytest.TempPathFactory) -> Iterator[Dict[str, Path]]:
    """The project locked at fake-versioned 1.0, and a copy locked at 2.0 (the same layer name)."""
    base = tmp_path_factory.mktemp("poetry-life")
    publish = f'\n[tool.lambda-layer.publish]\ns3-bucket = "{BUCKET}"\n'
    yield {version: locked_poetry_project(base / version / "poetry-life", indexed_poetry_project(
        "poetry-life", f"fake-versioned=={version}", index_url, publish), offline_env) for version in ("1.0", "2.0")}


@pytest.mark.in_process
def test_poetry_diff_versions_and_prune(aws, poetry_app, poetry_projects, tmp_path):
    aws.bucket(BUCKET)
    old, new = (shutil.copytree(poetry_projects[v], tmp_path / v / "poetry-life") for v in ("1.0", "2.0"))
    code, out, err = poetry_app(f"lambda-layer publish --project {old}")
    assert code == 0, err
    before = sizes(old / LAYER)
    code, out, err = poetry_app(f"lambda-layer publish --project {new}")
    assert code == 0, err
    after = sizes(new / LAYER)
    line = (f"changes from version 1 of layer {POETRY_LAYER}: upgraded: fake-versioned 1.0 -> 2.0; zipped "
            f"{change(before[0], after[0])}, unzipped {change(before[1], after[1])}")
    assert line in out.splitlines()

    code, out, err = poetry_app(f"lambda-layer diff --project {new} --layer-version 1 -q")
    assert (code, out, err) == (0, f"{line}\n", "")

    code, out, err = poetry_app(f"lambda-layer versions --project {new}")
    assert code == 0, err
    assert out.splitlines()[0] == f"layer {POETRY_LAYER} in {REGION}: 2 versions"
    assert [row.split()[0] for row in out.splitlines()[2:]] == ["2", "1"]

    code, out, err = poetry_app(f"lambda-layer prune --project {new} --keep 1 --yes")
    assert code == 0, err
    assert out.splitlines() == [f"layer {POETRY_LAYER} in {REGION}: 2 versions", "keep version 2: the latest version",
                                f"would delete version 1: older than the 1 newest and used by no function in {REGION}",
                                f"deleted version 1 of layer {POETRY_LAYER}"]
    assert aws.versions(POETRY_LAYER) == [2]

    code, out, err = poetry_app(f"lambda-layer prune --project {new} --keep 0")
    assert (code, out) == (1, "") and err == "--keep must be at least 1 (the latest version is always kept), got 0.\n"
