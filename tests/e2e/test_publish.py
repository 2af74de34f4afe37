"""Steps 3 and 4 against a real AWS emulator: moto's server over HTTP on 127.0.0.1 (``aws_emulator``)."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from shared_core import LambdaLayerPublisher, PublishResult, publish_layer
from shared_core.cli import main
from shared_core.errors import ConfigError, PublishError
from shared_core.lambda_runtime import DIRECT_UPLOAD_LIMIT, LambdaTarget
from shared_core.pipeline.fingerprint import read_fingerprint
from shared_core.publish.layer_version import layer_description, upload_method
from shared_core.settings.publish import PublishSettings, default_layer_name
from shared_core.version import __version__
from tests.helpers.aws_emulator import ACCOUNT, DEMO_PYPROJECT, REGION, SECRET
from tests.helpers.builds import indexed_poetry_project

LAYER = Path("build/lambda/layer/layer.zip")
TARGET = LambdaTarget("3.12", "arm64")


# -- fixtures --------------------------------------------------------------------------------


def publish(project: Path, *args: str) -> int:
    return main(["publish", "--project", str(project), *args])


def code_sha256(path: Path) -> str:
    return base64.b64encode(hashlib.sha256(path.read_bytes()).digest()).decode()


def small_zip(path: Path, text: str = "x = 1\n") -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("python/mod.py", text)
    return path


ARN = f"arn:aws:lambda:{REGION}:{ACCOUNT}:layer:demo-app-py312-arm64"


# -- the publish, through the console script's main() ------------------------------------------


@pytest.mark.in_process
def test_first_publish_unchanged_republish_and_dependency_change(aws, demo, capsys):
    assert publish(demo) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[-1] == f"{ARN}:1"
    assert "Published version 1 of layer demo-app-py312-arm64 from the zip sent directly for python3.12 arm64" in out
    version = aws.lambda_.get_layer_version(LayerName="demo-app-py312-arm64", VersionNumber=1)
    layer = demo / LAYER
    assert version["CompatibleRuntimes"] == ["python3.12"]
    assert version["CompatibleArchitectures"] == ["arm64"]
    assert version["Content"]["CodeSha256"] == code_sha256(layer)
    manifest_sha256 = hashlib.sha256(layer.with_name("layer.zip.json").read_bytes()).hexdigest()
    assert version["Description"] == (f"lambda-layer-build {__version__}, python3.12 arm64, 2 distributions, 1.6 KB "
                                      f"unzipped, manifest {manifest_sha256}, inputs {read_fingerprint(layer)[:16]}")
    assert len(version["Description"]) <= 256

    # unchanged: the build is up to date and nothing is published; -q prints the ARN alone
    assert publish(demo) == 0
    out = capsys.readouterr().out
    assert "Layer is up to date" in out
    assert f"Layer demo-app-py312-arm64 is unchanged: version 1 has the same content and settings; nothing uploaded or published ({ARN}:1)." in out
    assert out.splitlines()[-1] == f"{ARN}:1"
    assert publish(demo, "-q") == 0
    assert capsys.readouterr().out == f"{ARN}:1\n"
    assert aws.versions("demo-app-py312-arm64") == [1]

    # a dependency change rebuilds and publishes version 2
    (demo / "requirements.txt").write_text("fake-a==1.0\nfake-b==1.0\nsix==1.16.0\n")
    assert publish(demo) == 0
    out = capsys.readouterr().out
    assert "resolve: 3 pins" in out and out.splitlines()[-1] == f"{ARN}:2"
    assert aws.versions("demo-app-py312-arm64") == [2, 1]
    assert aws.lambda_.get_layer_version(LayerName="demo-app-py312-arm64", VersionNumber=2)["Content"]["CodeSha256"] \
        == code_sha256(layer)


@pytest.mark.in_process
def test_s3_content_addressed_key_upload_once(aws, demo, capsys):
    aws.bucket("layers-bucket")
    with open(demo / "pyproject.toml", "a") as handle:
        handle.write('\n[tool.lambda-layer.publish]\nlayer-name = "shared-deps"\ns3-bucket = "layers-bucket"\n'
                     's3-prefix = "/ci/layers"\ndescription = "Shared deps"\nlicense-info = "MIT"\n')
    assert publish(demo) == 0
    out = capsys.readouterr().out
    digest = hashlib.sha256((demo / LAYER).read_bytes()).hexdigest()
    key = f"ci/layers/shared-deps/{digest}.zip"
    assert aws.keys("layers-bucket") == [f"ci/layers/shared-deps/{digest}.json", key]  # the manifest beside the zip
    assert f"upload: s3://layers-bucket/{key} (" in out
    assert out.splitlines()[-1] == f"arn:aws:lambda:{REGION}:{ACCOUNT}:layer:shared-deps:1"
    version = aws.lambda_.get_layer_version(LayerName="shared-deps", VersionNumber=1)
    assert version["Content"]["CodeSha256"] == code_sha256(demo / LAYER)
    assert version["LicenseInfo"] == "MIT"
    assert version["Description"].startswith("Shared deps (lambda-layer-build ")

    # unchanged: no upload, no version
    assert publish(demo) == 0
    out = capsys.readouterr().out
    assert "upload:" not in out and "is unchanged" in out
    assert aws.versions("shared-deps") == [1]

    # the version is gone (deleted by hand): published again from the object already in S3, not re-uploaded
    aws.lambda_.delete_layer_version(LayerName="shared-deps", VersionNumber=1)
    assert publish(demo) == 0
    out = capsys.readouterr().out
    assert f"upload: s3://layers-bucket/{key} is already there with this zip's SHA-256 checksum; not uploaded again" in out
    assert out.splitlines()[-1] == f"arn:aws:lambda:{REGION}:{ACCOUNT}:layer:shared-deps:2"
    assert aws.keys("layers-bucket") == [f"ci/layers/shared-deps/{digest}.json", key]


@pytest.mark.in_process
def test_share_with_accounts_and_organizations_idempotently(aws, demo, capsys):
    assert publish(demo, "--share-with", "111122223333,o-abcdefghij", "--share-with", "111122223333") == 0
    out = capsys.readouterr().out
    assert "share: version 1 with account 111122223333 (statement lambda-layer-build-111122223333)" in out
    assert "share: version 1 with organization o-abcdefghij (statement lambda-layer-build-o-abcdefghij)" in out

    def statements() -> list:
        policy = aws.lambda_.get_layer_version_policy(LayerName="demo-app-py312-arm64", VersionNumber=1)
        return json.loads(policy["Policy"])["Statement"]

    first = statements()
    assert [(s["Sid"], s["Principal"], s.get("OrganizationId"), s["Action"]) for s in first] == [
        ("lambda-layer-build-111122223333", "111122223333", None, "lambda:GetLayerVersion"),
        ("lambda-layer-build-o-abcdefghij", "*", "o-abcdefghij", "lambda:GetLayerVersion"),
    ]
    # again, unchanged: no statement added; a new entry is added to the existing version
    assert publish(demo, "--share-with", "111122223333 o-abcdefghij") == 0
    assert "share:" not in capsys.readouterr().out
    assert statements() == first
    assert publish(demo, "--share-with", "111122223333,444455556666") == 0
    assert "share: version 1 with account 444455556666" in capsys.readouterr().out
    assert [s["Sid"] for s in statements()] == [s["Sid"] for s in first] + ["lambda-layer-build-444455556666"]


@pytest.mark.in_process
def test_dry_run_changes_nothing(aws, demo, capsys):
    aws.bucket("dry-bucket")
    assert publish(demo, "--dry-run", "--s3-bucket", "dry-bucket", "--share-with", "111122223333") == 0
    out = capsys.readouterr().out
    digest = hashlib.sha256((demo / LAYER).read_bytes()).hexdigest()
    assert f"dry run: would upload {(demo / LAYER).stat().st_size:,} bytes to s3://dry-bucket/lambda-layer/demo-app-py312-arm64/{digest}.zip" in out
    assert "dry run: would publish a new version (its first) of layer demo-app-py312-arm64" in out
    assert "dry run: would share it with account 111122223333" in out
    assert "arn:" not in out
    assert aws.versions("demo-app-py312-arm64") == [] and aws.keys("dry-bucket") == []


@pytest.mark.in_process
def test_python_api(aws, demo):
    result = LambdaLayerPublisher(demo / "pyproject.toml", layer_name="api-layer", verbose=False).run()
    sha = code_sha256(demo / LAYER)
    assert result == PublishResult(f"arn:aws:lambda:{REGION}:{ACCOUNT}:layer:api-layer:1", 1, sha, True, None)
    again = LambdaLayerPublisher(demo / "pyproject.toml", layer_name="api-layer", verbose=False).run()
    assert again == PublishResult(f"arn:aws:lambda:{REGION}:{ACCOUNT}:layer:api-layer:1", 1, sha, False, None)


# -- rules -----------------------------------------------------------------------------------


@pytest.mark.in_process
def test_direct_upload_limit_rule():
    assert upload_method(DIRECT_UPLOAD_LIMIT, None) == "direct"
    assert upload_method(DIRECT_UPLOAD_LIMIT + 1, "bucket") == "s3"
    assert upload_method(10, "bucket") == "s3"
    with pytest.raises(PublishError) as error:
        upload_method(DIRECT_UPLOAD_LIMIT + 1, None)
    assert str(error.value) == (
        "The layer zip is 52,428,801 bytes (50.0 MB), over Lambda's limit of 52,428,800 bytes (50 MB) for a zip sent "
        "directly. Set `s3-bucket` in [tool.lambda-layer.publish] or pass --s3-bucket: the zip is then uploaded to "
        "that bucket (in the layer's Region) and published from there."
    )


@pytest.mark.in_process
def test_default_layer_name_and_description():
    assert default_layer_name("Demo_App", "3.12", "arm64") == "demo-app-py312-arm64"
    assert default_layer_name("my.pkg", "3.9", "x86_64") == "my-pkg-py39-x86_64"
    assert len(default_layer_name("x" * 300, "3.13", "x86_64")) == 140
    with pytest.raises(ConfigError, match="Cannot derive a layer name"):
        default_layer_name("...", "3.12", "arm64")
    long = layer_description(TARGET, "f" * 64, "d" * 256)
    assert len(long) == 256 and long.endswith(f"... (lambda-layer-build {__version__}, python3.12 arm64, inputs {'f' * 16})")


# -- errors: one paragraph each --------------------------------------------------------------


@pytest.mark.in_process
@pytest.mark.parametrize("table, needle", [
    ('layer-name = "my layer"', ("Field `tool.lambda-layer.publish.layer-name` must be a Lambda layer name: 1-140 "
                                 "letters, digits, hyphens or underscores, got 'my layer'.")),
    ('s3-bucket = "s3://b"', "Field `tool.lambda-layer.publish.s3-bucket` must be an S3 bucket name"),
    ("share-with = ['12345']", ("Field `tool.lambda-layer.publish.share-with` must list 12-digit AWS account IDs or "
                                "organization IDs (o-...), got '12345'.")),
    ('region = "Europe"', 'Field `tool.lambda-layer.publish.region` must be an AWS Region such as "eu-west-1"'),
    ("bucket = 'b'", ("Unknown field `tool.lambda-layer.publish.bucket` in pyproject.toml. Known keys: layer-name, "
                      "s3-bucket, s3-prefix, region, profile, description, license-info, share-with, timeout.")),
])
def test_invalid_publish_table(make_project, capsys, table, needle):
    project = make_project(DEMO_PYPROJECT + f"\n[tool.lambda-layer.publish]\n{table}\n", requirements__txt="fake-a==1.0\n")
    assert publish(project) == 1
    err = capsys.readouterr().err
    assert needle in err and "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert not (project / LAYER).exists()
    # `lambda-layer build` validates the sub-table too, but does not need it
    assert main(["build", "--project", str(project)]) == 1 and needle in capsys.readouterr().err


@pytest.mark.in_process
def test_invalid_layer_name_option(demo, capsys):
    assert publish(demo, "--layer-name", "bad/name") == 1
    assert capsys.readouterr().err == ("error: --layer-name must be a Lambda layer name: 1-140 letters, digits, "
                                       "hyphens or underscores, got 'bad/name'.\n")


@pytest.mark.in_process
def test_boto3_missing(demo, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "boto3", None)  # `import boto3` raises ImportError
    assert publish(demo) == 1
    err = capsys.readouterr().err
    assert 'pip install "lambda-layer-build[publish]"' in err and len(err.strip().splitlines()) == 1
    assert not (demo / LAYER).exists()  # reported before building


@pytest.mark.in_process
def test_no_credentials_no_region_missing_profile(aws, tmp_path, monkeypatch):
    layer = small_zip(tmp_path / "layer.zip")
    settings = PublishSettings(layer_name="errors")
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    with pytest.raises(PublishError, match=r"^No AWS credentials found .* so lambda:ListLayerVersions cannot be called"):
        publish_layer(layer, settings, TARGET)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET)
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    with pytest.raises(PublishError, match=r"^No AWS Region is set.*Set `region` in \[tool.lambda-layer.publish\], "
                                           r"pass --region, or set AWS_REGION / AWS_DEFAULT_REGION"):
        publish_layer(layer, settings, TARGET)
    with pytest.raises(PublishError, match=r"^The AWS profile 'nope' \(from `profile` / --profile\) is not in the AWS"):
        publish_layer(layer, PublishSettings(layer_name="errors", profile="nope"), TARGET)
    assert publish_layer(layer, PublishSettings(layer_name="errors", region=REGION), TARGET).version == 1


@pytest.mark.in_process
def test_bucket_missing_or_in_another_region(aws, tmp_path):
    layer = small_zip(tmp_path / "layer.zip")
    with pytest.raises(PublishError) as error:
        publish_layer(layer, PublishSettings(layer_name="errors", s3_bucket="no-such-bucket"), TARGET)
    assert str(error.value) == ("The S3 bucket 'no-such-bucket' (from `s3-bucket` / --s3-bucket) does not exist. "
                                "Create it in eu-west-1 (the layer's Region) or name an existing bucket there.")
    aws.bucket("far-bucket", "us-west-2")
    with pytest.raises(PublishError, match=r"^The S3 bucket 'far-bucket' is in us-west-2, but the layer is published "
                                           r"in eu-west-1; Lambda reads a layer's zip only from a bucket in the "
                                           r"layer's own Region"):
        publish_layer(layer, PublishSettings(layer_name="errors", s3_bucket="far-bucket"), TARGET)
    assert aws.versions("errors") == []


@pytest.mark.in_process
@pytest.mark.parametrize("args", [(), ("--dry-run",)], ids=["unchanged", "dry-run"])
def test_the_bucket_is_checked_whenever_one_is_set(aws, demo, capsys, args):
    """Also when the layer is unchanged (nothing would be uploaded) and in a dry run (nothing is)."""
    assert publish(demo, "-q") == 0  # version 1, sent directly
    capsys.readouterr()
    assert publish(demo, "--s3-bucket", "no-such-bucket", *args) == 1
    out, err = capsys.readouterr()
    assert err == ("error: The S3 bucket 'no-such-bucket' (from `s3-bucket` / --s3-bucket) does not exist. Create it in "
                   "eu-west-1 (the layer's Region) or name an existing bucket there.\n")
    assert "is unchanged" not in out
    aws.bucket("far-bucket", "us-west-2")
    assert publish(demo, "--s3-bucket", "far-bucket", *args) == 1
    assert capsys.readouterr().err.startswith("error: The S3 bucket 'far-bucket' is in us-west-2, but the layer is "
                                              "published in eu-west-1")
    assert aws.versions("demo-app-py312-arm64") == [1]


DENIED = "User: arn:aws:iam::123456789012:user/ci is not authorized to perform: lambda:PublishLayerVersion"


@pytest.mark.in_process
@pytest.mark.parametrize("code, message, expected", [
    ("AccessDeniedException", DENIED,
     (f"Access denied: AWS refused lambda:PublishLayerVersion on layer 'guarded' in eu-west-1 (AccessDeniedException: "
      f"{DENIED}). Allow `lambda:PublishLayerVersion` on that resource in the IAM policy of the identity in use (check "
      "AWS_PROFILE / --profile).")),
    ("UnrecognizedClientException", f"The security token {SECRET} is invalid.",
     ("AWS rejected the credentials in use when calling lambda:PublishLayerVersion (UnrecognizedClientException: The "
      "security token **** is invalid.). They are invalid or expired: refresh them (`aws sso login`, new access keys) "
      "or choose another profile.")),
])
def test_access_denied_and_rejected_credentials(aws, tmp_path, code, message, expected):
    """The emulator checks IAM signatures only on some requests (its check fails on GETs), so Lambda's refusal is
    stubbed on the real client; an AWS message echoing a credential is masked."""
    from botocore.stub import Stubber

    from shared_core.publish.aws import LayerApi

    api = LayerApi()
    with Stubber(api.lambda_client) as reads, Stubber(api.publisher) as stub:
        reads.add_response("list_layer_versions", {"LayerVersions": []}, {"LayerName": "guarded", "MaxItems": 1})
        stub.add_client_error("publish_layer_version", service_error_code=code, http_status_code=403,
                              service_message=message)
        with pytest.raises(PublishError) as error:
            publish_layer(small_zip(tmp_path / "layer.zip"), PublishSettings(layer_name="guarded"), TARGET, api=api)
    assert str(error.value) == expected


# -- the three entry points through the real tools -------------------------------------------


@pytest.mark.subprocess
def test_console_script_subprocess(aws, aws_env, demo):
    script = Path(sys.executable).with_name("lambda-layer")

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([str(script), "publish", *args], cwd=demo, env=aws_env, capture_output=True, text=True,
                              timeout=120, check=False)

    first = run("--share-with", "111122223333")
    assert first.returncode == 0, first.stdout + first.stderr
    assert first.stdout.splitlines()[-1] == f"{ARN}:1"
    quiet = run("-q")
    assert quiet.returncode == 0 and quiet.stdout == f"{ARN}:1\n" and quiet.stderr == ""
    for output in (first.stdout, first.stderr, quiet.stdout):
        assert SECRET not in output and "testing" not in output
    assert aws.versions("demo-app-py312-arm64") == [1]


POETRY_PUBLISH = '\n[tool.lambda-layer.publish]\nshare-with = ["111122223333"]\n'


@pytest.mark.subprocess
def test_poetry_lambda_layer_publish(aws, aws_env, index_url, tmp_path):
    root = tmp_path / "poetry-app"
    root.mkdir()
    (root / "pyproject.toml").write_text(indexed_poetry_project("poetry-app", "fake-a", index_url, POETRY_PUBLISH))
    env = {key: value for key, value in aws_env.items() if key not in ("UV_OFFLINE", "UV_FIND_LINKS", "PIP_NO_INDEX",
                                                                         "PIP_FIND_LINKS")}
    env.update(POETRY_VIRTUALENVS_CREATE="false", POETRY_KEYRING_ENABLED="false", UV_CACHE_DIR=str(tmp_path / "uv"))

    def poetry(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "poetry", *args], cwd=root, env=env, capture_output=True,
                              text=True, timeout=300, check=False)

    locked = poetry("lock")
    assert locked.returncode == 0, locked.stdout + locked.stderr
    arn = f"arn:aws:lambda:{REGION}:{ACCOUNT}:layer:poetry-app-py312-x86_64"

    first = poetry("lambda-layer", "publish")
    assert first.returncode == 0, first.stdout + first.stderr
    assert "resolve: 2 pins from poetry.lock (groups: main)" in first.stdout
    assert "share: version 1 with account 111122223333" in first.stdout
    assert first.stdout.splitlines()[-1] == f"{arn}:1"
    again = poetry("lambda-layer", "publish", "-q")
    assert again.returncode == 0 and again.stdout == f"{arn}:1\n", again.stdout + again.stderr
    bad = poetry("lambda-layer", "publish", "--layer-name", "no spaces")
    assert bad.returncode == 1 and "--layer-name must be a Lambda layer name" in bad.stderr
    assert "Traceback" not in bad.stderr
    assert aws.versions("poetry-app-py312-x86_64") == [1]
    assert aws.lambda_.get_layer_version(LayerName="poetry-app-py312-x86_64", VersionNumber=1)["CompatibleRuntimes"] \
        == ["python3.12"]


HATCH_PROJECT = """\
[build-system]
requires = ["hatchling"]
build-backend = "hatchling.build"

[project]
name = "hatch-app"
version = "0.2.0"
dependencies = ["fake-a"]

[tool.hatch.build.targets.lambda-layer]
python-version = "3.12"
architecture = "arm64"

[tool.hatch.publish.lambda-layer]
layer-name = "hatch-layer"
s3-bucket = "hatch-bucket"
"""


@pytest.mark.subprocess
def test_hatch_publish_lambda_layer(aws, aws_env, tmp_path):
    aws.bucket("hatch-bucket")
    root = tmp_path / "hatch-app"
    root.mkdir()
    (root / "pyproject.toml").write_text(HATCH_PROJECT)
    (root / ".gitignore").write_text("/build/\n")  # hatchling reads only this one: keeps the layer out of sdists

    def hatch(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "hatch", *args], cwd=root, env=aws_env, capture_output=True,
                              text=True, timeout=300, check=False)

    arn = f"arn:aws:lambda:{REGION}:{ACCOUNT}:layer:hatch-layer"

    first = hatch("publish", "-p", "lambda-layer", "-o", "description=From Hatch")
    assert first.returncode == 0, first.stdout + first.stderr
    assert first.stdout == f"{arn}:1\n"  # Hatch's messages go to stderr
    assert "target: python3.12 arm64 (python-version from [tool.hatch.build.targets.lambda-layer])\n" in first.stderr
    assert "upload: s3://hatch-bucket/" in first.stderr
    digest = hashlib.sha256((root / LAYER).read_bytes()).hexdigest()
    assert aws.keys("hatch-bucket") == [f"lambda-layer/hatch-layer/{digest}.json", f"lambda-layer/hatch-layer/{digest}.zip"]
    version = aws.lambda_.get_layer_version(LayerName="hatch-layer", VersionNumber=1)
    assert version["CompatibleArchitectures"] == ["arm64"] and version["Description"].startswith("From Hatch (")

    again = hatch("-q", "publish", "-p", "lambda-layer", "-o", "description=From Hatch")
    assert again.returncode == 0 and again.stdout == f"{arn}:1\n" and again.stderr == "", again.stderr
    bad = hatch("publish", "-p", "lambda-layer", "-o", "bucket=x")
    assert bad.returncode == 1 and "Unknown option for `hatch publish -p lambda-layer`: bucket." in bad.stderr
    assert aws.versions("hatch-layer") == [1]
    # another description is another version: what changed is said first (the same zip, from its stored manifest)
    other = hatch("publish", "-p", "lambda-layer", "-o", "description=Other")
    assert other.returncode == 0 and other.stdout == f"{arn}:2\n", other.stderr
    assert ("Layer hatch-layer changed: its latest version 1 differs in description\n"
            "changes from version 1 of layer hatch-layer: no change: the same zip (the same SHA-256)\n") in other.stderr


# -- upload progress -------------------------------------------------------------------------


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.in_process
def test_upload_reports_progress_and_bar_only_on_a_terminal(aws, tmp_path):
    from shared_core.publish.aws import LayerApi
    from shared_core.support.reporting import TerminalBar, terminal_bar

    aws.bucket("progress-bucket")
    layer = small_zip(tmp_path / "layer.zip", "x = 1\n" * 1000)
    calls = []
    LayerApi().upload(layer, "progress-bucket", "k.zip", code_sha256(layer), lambda done, total: calls.append((done, total)))
    size = layer.stat().st_size
    assert calls[-1] == (size, size) and all(total == size for _, total in calls)

    assert terminal_bar(io.StringIO(), quiet=False) is None  # piped: no bar
    assert terminal_bar(_Terminal(), quiet=True) is None     # -q: no bar
    terminal = _Terminal()
    bar = TerminalBar(terminal)
    bar.update("upload", 5 * 1024 * 1024, 10 * 1024 * 1024)
    assert terminal.getvalue() == f"\r\x1b[2Kupload [{'#' * 15}{'.' * 15}] 5242880/10485760"
    bar.update("upload", 10 * 1024 * 1024, 10 * 1024 * 1024)
    assert terminal.getvalue().endswith(f"\r\x1b[2Kupload [{'#' * 30}] 10485760/10485760\r\x1b[2K")  # cleared at the end


@pytest.mark.in_process
def test_several_targets_publish_each_to_its_own_layer(aws, demo, capsys):
    assert publish(demo, "--python", "3.12,3.13") == 0
    out = capsys.readouterr().out
    arn = f"arn:aws:lambda:{REGION}:{ACCOUNT}:layer:"
    assert out.splitlines()[-2:] == [f"{arn}demo-app-py312-arm64:1", f"{arn}demo-app-py313-arm64:1"]
    for name, runtime in (("py312-arm64", "python3.12"), ("py313-arm64", "python3.13")):
        version = aws.lambda_.get_layer_version(LayerName=f"demo-app-{name}", VersionNumber=1)
        assert version["CompatibleRuntimes"] == [runtime]
        assert version["Content"]["CodeSha256"] == code_sha256(demo / "build/lambda/layer" / name / "layer.zip")

    assert publish(demo, "--python", "3.12,3.13", "--layer-name", "deps") == 1
    assert capsys.readouterr().err == (
        "error: --layer-name names one layer, 'deps', for 2 targets (py312-arm64, py313-arm64); each target needs "
        "its own layer. Put {target} in it (`deps-{target}`) or leave it unset for <project>-py<XY>-<arch>.\n")
    assert publish(demo, "--python", "3.12,3.13", "--layer-name", "deps-{target}") == 0
    assert capsys.readouterr().out.splitlines()[-2:] == [f"{arn}deps-py312-arm64:1", f"{arn}deps-py313-arm64:1"]


@pytest.mark.in_process
def test_nothing_is_published_when_a_target_fails_to_build(aws, make_project, capsys):
    project = make_project(DEMO_PYPROJECT, name="partial", requirements__txt="fake-x86-only==1.0\n")
    assert publish(project, "--arch", "x86_64,arm64") == 1
    err = capsys.readouterr().err
    assert err.startswith("error: 1 of 2 targets failed to build; the others are built.\n\npy312-arm64: ")
    assert aws.lambda_.list_layers()["Layers"] == []
