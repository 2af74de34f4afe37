"""A publish is exactly the layer that was built, published once: against moto, through the console script.

- the zip is snapshotted under the build lock: rewritten afterwards (as another build in the same
  checkout would), it is not what is published;
- "unchanged" means the same layer: CodeSha256, compatible runtimes and architectures, description
  and licence info;
- an object at the content-addressed S3 key is reused only when S3's SHA-256 checksum of it is the
  zip's, and a version Lambda computed another CodeSha256 for is deleted and reported;
- PublishLayerVersion is never repeated into a duplicate: a fault proxy in front of moto answers 500
  (or nothing) after moto created the version.
"""

from __future__ import annotations

import base64
import hashlib
import tempfile
import time
import zipfile
from pathlib import Path

import pytest

from shared_core import publish_layer
from shared_core.cli import main
from shared_core.errors import PublishError
from shared_core.lambda_runtime import LambdaTarget
from shared_core.settings.publish import PublishSettings
from tests.helpers.aws_emulator import ACCOUNT, REGION

pytestmark = pytest.mark.in_process

LAYER = Path("build/lambda/layer/layer.zip")
NAME = "demo-app-py312-arm64"
ARN = f"arn:aws:lambda:{REGION}:{ACCOUNT}:layer:{NAME}"
VERSIONS_PATH = rf"/2018-10-31/layers/{NAME}/versions"


@pytest.fixture
def private_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The temporary folder of this process (where snapshots go), empty, to see what is left in it."""
    folder = tmp_path / "private-tmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


def publish(project: Path, *args: str) -> int:
    return main(["publish", "--project", str(project), *args])


def sha256_b64(data: bytes) -> str:
    return base64.b64encode(hashlib.sha256(data).digest()).decode()


def other_zip(path: Path, text: str) -> bytes:
    """Write another valid layer zip at ``path`` (in place, as a writer that truncates does)."""
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("python/replaced.py", text)
    return path.read_bytes()


def snapshots(folder: Path) -> list:
    return sorted(path.name for path in folder.glob("lambda-layer-publish-*"))


# -- case 8: the snapshot, not the zip on disk -------------------------------------------------


@pytest.mark.parametrize("bucket", [None, "snap-bucket"], ids=["direct", "s3"])
def test_the_zip_rewritten_after_the_build_is_not_what_is_published(aws, proxy, demo, private_tmp, capsys, bucket):
    """The first AWS call comes after the build released its lock; right then the zip is rewritten in
    place. What Lambda gets is still the zip as built: the copy taken under the lock."""
    layer = demo / LAYER
    seen = {}

    def rewrite_the_zip() -> None:
        seen["built"], seen["size"] = sha256_b64(layer.read_bytes()), layer.stat().st_size
        seen["snapshots"] = snapshots(private_tmp)
        seen["replaced"] = sha256_b64(other_zip(layer, "a build for another target wrote this\n"))

    proxy.arm("GET", VERSIONS_PATH, hook=rewrite_the_zip)
    if bucket:
        aws.bucket(bucket)
    assert publish(demo, *(("--s3-bucket", bucket) if bucket else ())) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[-1] == f"{ARN}:1"
    assert f"publish: layer.zip, {seen['size']:,} bytes, CodeSha256 {seen['built']}, as layer {NAME} in {REGION}\n" in out
    assert aws.lambda_.get_layer_version(LayerName=NAME, VersionNumber=1)["Content"]["CodeSha256"] == seen["built"]
    assert seen["replaced"] != seen["built"] and sha256_b64(layer.read_bytes()) == seen["replaced"]
    assert len(seen["snapshots"]) == 1  # the copy existed while publishing...
    assert snapshots(private_tmp) == []  # ...and is gone after it
    if bucket:
        digest = base64.b64decode(seen["built"]).hex()
        assert aws.keys(bucket) == [f"lambda-layer/{NAME}/{digest}.json", f"lambda-layer/{NAME}/{digest}.zip"]


def test_the_snapshot_is_removed_after_a_failed_publish(aws, demo, private_tmp, capsys):
    assert publish(demo, "--s3-bucket", "no-such-bucket") == 1
    assert capsys.readouterr().err.startswith("error: The S3 bucket 'no-such-bucket' (from `s3-bucket` / --s3-bucket) "
                                              "does not exist.")
    assert (demo / LAYER).is_file() and snapshots(private_tmp) == []


def test_a_zip_edited_after_its_build_is_refused_not_published(aws, demo, private_tmp, capsys):
    assert main(["build", "--project", str(demo), "-q"]) == 0
    layer = demo / LAYER
    recorded = hashlib.sha256(layer.read_bytes()).hexdigest()
    edited = hashlib.sha256(other_zip(layer, "edited by hand\n")).hexdigest()
    with pytest.raises(PublishError) as error:
        publish_layer(layer, PublishSettings(layer_name="edited"), LambdaTarget("3.12", "arm64"))
    assert str(error.value) == (
        f"{layer} is not the zip its build recorded (its SHA-256 is {edited}, the build wrote {recorded}): something "
        "other than this build wrote it since. Build it again (--force) and publish."
    )
    assert aws.versions("edited") == [] and snapshots(private_tmp) == []


# -- case 6: unchanged means the same layer ------------------------------------------------------


def test_the_same_bytes_for_another_target_description_or_licence_are_a_new_version(aws, demo, capsys):
    """A pure-Python layer without bytecode is byte-identical for every target: only the version's
    settings tell them apart, and each change is a new version."""
    shared_arn = f"arn:aws:lambda:{REGION}:{ACCOUNT}:layer:shared"

    def run(*args: str) -> str:
        assert publish(demo, "--layer-name", "shared", "--no-compile", *args) == 0
        return capsys.readouterr().out

    assert run().splitlines()[-1] == f"{shared_arn}:1"
    built = sha256_b64((demo / LAYER).read_bytes())

    out = run("--arch", "x86_64")
    assert "Layer shared changed: its latest version 1 differs in compatible architectures (arm64, not x86_64); " \
           "description\n" in out
    assert out.splitlines()[-1] == f"{shared_arn}:2"
    assert sha256_b64((demo / LAYER).read_bytes()) == built  # the very same bytes

    out = run("--arch", "x86_64", "--python", "3.13")
    assert "Layer shared changed: its latest version 2 differs in compatible runtimes (python3.12, not python3.13); " \
           "description\n" in out
    assert out.splitlines()[-1] == f"{shared_arn}:3"

    options = ("--arch", "x86_64", "--python", "3.13", "--description", "Shared deps")
    out = run(*options)
    assert "Layer shared changed: its latest version 3 differs in description\n" in out
    assert out.splitlines()[-1] == f"{shared_arn}:4"

    out = run(*options, "--license-info", "MIT")
    assert "Layer shared changed: its latest version 4 differs in licence info\n" in out
    assert out.splitlines()[-1] == f"{shared_arn}:5"

    out = run(*options, "--license-info", "MIT")
    assert f"Layer shared is unchanged: version 5 has the same content and settings; nothing uploaded or published " \
           f"({shared_arn}:5).\n" in out
    # the same bytes built from other inputs (allow-oversize is one, and changes no byte): another input digest,
    # the layer is the same
    out = run(*options, "--license-info", "MIT", "--allow-oversize")
    assert "resolve: " in out and sha256_b64((demo / LAYER).read_bytes()) == built
    assert f"Layer shared is unchanged: version 5 has the same content and settings; nothing uploaded or published " \
           f"({shared_arn}:5).\n" in out
    assert aws.versions("shared") == [5, 4, 3, 2, 1]
    described = [aws.lambda_.get_layer_version(LayerName="shared", VersionNumber=number) for number in (1, 2, 3, 4, 5)]
    assert [(v["CompatibleRuntimes"], v["CompatibleArchitectures"], v["LicenseInfo"]) for v in described] == [
        (["python3.12"], ["arm64"], ""), (["python3.12"], ["x86_64"], ""), (["python3.13"], ["x86_64"], ""),
        (["python3.13"], ["x86_64"], ""), (["python3.13"], ["x86_64"], "MIT"),
    ]
    assert {v["Content"]["CodeSha256"] for v in described} == {built}
    assert [v["Description"].split(" (lambda-layer-build ")[0] for v in described[3:]] == ["Shared deps", "Shared deps"]


def test_other_bytes_with_the_same_settings_are_a_new_version(aws, tmp_path, capsys):
    """Through the Python API, with no build fingerprint: the description is the same, the content is not."""
    target, settings = LambdaTarget("3.12", "arm64"), PublishSettings(layer_name="api-layer")
    first = other_zip(tmp_path / "first.zip", "x = 1\n")
    second = other_zip(tmp_path / "second.zip", "x = 2\n")
    assert publish_layer(tmp_path / "first.zip", settings, target).version == 1
    capsys.readouterr()
    assert publish_layer(tmp_path / "second.zip", settings, target).version == 2
    assert (f"Layer api-layer changed: its latest version 1 differs in content (CodeSha256 {sha256_b64(first)})\n"
            in capsys.readouterr().out)
    assert aws.lambda_.get_layer_version(LayerName="api-layer", VersionNumber=2)["Content"]["CodeSha256"] \
        == sha256_b64(second)
    assert publish_layer(tmp_path / "second.zip", settings, target).published is False


# -- case 7: S3 objects by their checksum ------------------------------------------------------


def _put_foreign(aws, bucket: str, key: str, kind: str, data: bytes) -> str:
    """Put an object at ``key`` that is not ours; S3's SHA-256 checksum of it ("" for none)."""
    if kind == "no checksum":  # same size, other bytes; botocore adds only its default CRC32
        aws.s3.put_object(Bucket=bucket, Key=key, Body=bytes(reversed(data)))
    elif kind == "another checksum":  # same size, other bytes, with their own SHA-256
        aws.s3.put_object(Bucket=bucket, Key=key, Body=bytes(reversed(data)), ChecksumAlgorithm="SHA256")
    else:  # our very bytes, but in a multipart upload: a checksum of checksums, never the zip's
        upload = aws.s3.create_multipart_upload(Bucket=bucket, Key=key, ChecksumAlgorithm="SHA256")
        part = aws.s3.upload_part(Bucket=bucket, Key=key, UploadId=upload["UploadId"], PartNumber=1, Body=data,
                                  ChecksumAlgorithm="SHA256")
        aws.s3.complete_multipart_upload(
            Bucket=bucket, Key=key, UploadId=upload["UploadId"],
            MultipartUpload={"Parts": [{"ETag": part["ETag"], "PartNumber": 1, "ChecksumSHA256": part["ChecksumSHA256"]}]})
    return aws.s3.head_object(Bucket=bucket, Key=key, ChecksumMode="ENABLED").get("ChecksumSHA256") or ""


@pytest.mark.parametrize("kind", ["no checksum", "another checksum", "multipart of the same bytes"])
def test_an_object_at_the_key_without_the_zips_sha256_checksum_is_replaced(aws, demo, capsys, kind):
    aws.bucket("layers")
    assert main(["build", "--project", str(demo), "-q"]) == 0
    data = (demo / LAYER).read_bytes()
    ours = sha256_b64(data)
    key = f"lambda-layer/{NAME}/{hashlib.sha256(data).hexdigest()}.zip"
    stored = _put_foreign(aws, "layers", key, kind, data)
    # a multipart object's is the checksum of its parts' checksums (AWS appends "-<parts>"; moto 5.2 does not)
    assert stored == {"no checksum": "", "another checksum": sha256_b64(bytes(reversed(data))),
                      "multipart of the same bytes": sha256_b64(hashlib.sha256(data).digest())}[kind]

    assert publish(demo, "--s3-bucket", "layers", "--dry-run") == 0
    captured = capsys.readouterr()
    assert captured.err == (f"warning: s3://layers/{key} exists, but S3's SHA-256 checksum of it is "
                            f"{stored or 'not recorded'}, not this zip's {ours}: it is not this layer's zip and would "
                            "be replaced.\n")
    assert f"\ndry run: would upload {len(data):,} bytes to s3://layers/{key}\n" in captured.out
    assert (aws.s3.head_object(Bucket="layers", Key=key, ChecksumMode="ENABLED").get("ChecksumSHA256") or "") == stored

    assert publish(demo, "--s3-bucket", "layers") == 0
    captured = capsys.readouterr()
    assert captured.err == (f"warning: s3://layers/{key} exists, but S3's SHA-256 checksum of it is "
                            f"{stored or 'not recorded'}, not this zip's {ours}: it is not this layer's zip and is "
                            "replaced.\n")
    assert f"\nupload: s3://layers/{key} (" in captured.out
    assert aws.lambda_.get_layer_version(LayerName=NAME, VersionNumber=1)["Content"]["CodeSha256"] == ours
    assert aws.s3.head_object(Bucket="layers", Key=key, ChecksumMode="ENABLED")["ChecksumSHA256"] == ours
    assert aws.s3.get_object(Bucket="layers", Key=key)["Body"].read() == data


def test_an_object_we_uploaded_is_reused_not_put_again(aws, demo, capsys):
    aws.bucket("layers")
    aws.s3.put_bucket_versioning(Bucket="layers", VersioningConfiguration={"Status": "Enabled"})  # each PUT is kept
    assert publish(demo, "--s3-bucket", "layers") == 0
    data = (demo / LAYER).read_bytes()
    key = f"lambda-layer/{NAME}/{hashlib.sha256(data).hexdigest()}.zip"
    assert f"\nupload: s3://layers/{key} (" in capsys.readouterr().out
    assert aws.s3.head_object(Bucket="layers", Key=key, ChecksumMode="ENABLED")["ChecksumSHA256"] == sha256_b64(data)

    aws.lambda_.delete_layer_version(LayerName=NAME, VersionNumber=1)  # published again, from the same object
    assert publish(demo, "--s3-bucket", "layers") == 0
    captured = capsys.readouterr()
    assert f"upload: s3://layers/{key} is already there with this zip's SHA-256 checksum; not uploaded again\n" \
        in captured.out
    assert captured.out.splitlines()[-1] == f"{ARN}:2" and captured.err == ""
    assert aws.object_versions("layers", key) == 1


def test_a_version_lambda_computed_another_code_sha256_for_is_deleted_and_an_error(aws, proxy, demo, capsys):
    """The object is replaced between its upload and PublishLayerVersion (another writer to the key):
    Lambda's CodeSha256 of the new version is not the zip's."""
    aws.bucket("layers")
    assert main(["build", "--project", str(demo), "-q"]) == 0
    data = (demo / LAYER).read_bytes()
    key = f"lambda-layer/{NAME}/{hashlib.sha256(data).hexdigest()}.zip"
    foreign = bytes(reversed(data))
    proxy.arm("POST", VERSIONS_PATH, hook=lambda: aws.s3.put_object(Bucket="layers", Key=key, Body=foreign))

    assert publish(demo, "--s3-bucket", "layers") == 1
    assert capsys.readouterr().err == (
        f"error: Lambda computed CodeSha256 {sha256_b64(foreign)} for the new version 1 of layer {NAME}, not the zip's "
        f"{sha256_b64(data)}: what it read from s3://layers/{key} is not the zip that was uploaded (another writer to "
        "that key?). Version 1 was deleted again. Make sure nothing else writes there, and publish again.\n"
    )
    assert aws.versions(NAME) == []


# -- case 14: retries never duplicate --------------------------------------------------------


def test_a_500_after_lambda_created_the_version_adopts_it(aws, proxy, demo, capsys):
    proxy.arm("POST", VERSIONS_PATH, "after")
    assert publish(demo) == 0
    assert aws.versions(NAME) == [1]  # botocore's own retry of the 500 would have made a version 2
    captured = capsys.readouterr()
    assert captured.err == (
        f"warning: lambda:PublishLayerVersion on layer '{NAME}' in {REGION} failed (HTTP 500 ServiceException), but it "
        "had created version 1 with this content and these settings: that version is the one published, not "
        "published again.\n"
    )
    assert f"\nPublished version 1 of layer {NAME} from the zip sent directly for python3.12 arm64\n" in captured.out
    assert captured.out.splitlines()[-1] == f"{ARN}:1"
    assert aws.versions(NAME) == [1]
    assert proxy.count("POST", VERSIONS_PATH) == 1


def test_no_answer_after_lambda_created_the_version_adopts_it(aws, proxy, demo, capsys):
    proxy.arm("POST", VERSIONS_PATH, "hang", hang_seconds=4)
    started = time.monotonic()
    assert publish(demo, "--timeout", "1") == 0
    assert time.monotonic() - started < 30
    captured = capsys.readouterr()
    assert captured.err == (
        f"warning: lambda:PublishLayerVersion on layer '{NAME}' in {REGION} failed (Read timeout on endpoint URL: "
        f'"{proxy.url}/2018-10-31/layers/{NAME}/versions"), but it had created version 1 with this content and these '
        "settings: that version is the one published, not published again.\n"
    )
    assert captured.out.splitlines()[-1] == f"{ARN}:1"
    assert aws.versions(NAME) == [1] and proxy.count("POST", VERSIONS_PATH) == 1


def test_a_500_before_lambda_created_anything_is_tried_again(aws, proxy, demo, capsys):
    proxy.arm("POST", VERSIONS_PATH, "instead")
    assert publish(demo) == 0
    captured = capsys.readouterr()
    assert captured.err == (
        f"warning: lambda:PublishLayerVersion on layer '{NAME}' in {REGION} failed (HTTP 500 ServiceException) and "
        "created no version; trying again in 0.5 s (2 of 3).\n"
    )
    assert captured.out.splitlines()[-1] == f"{ARN}:1"
    assert aws.versions(NAME) == [1] and proxy.count("POST", VERSIONS_PATH) == 1


def test_three_failed_tries_are_one_error_and_no_version(aws, proxy, demo, capsys):
    for _ in range(3):
        proxy.arm("POST", VERSIONS_PATH, "instead")
    assert publish(demo) == 1
    err = capsys.readouterr().err
    assert err.splitlines()[-1] == (
        f"error: lambda:PublishLayerVersion on layer '{NAME}' in {REGION} failed on AWS's side (HTTP 500, "
        "ServiceException: Internal failure (injected by the test proxy)). Run again later: a version published "
        "meanwhile is found, not published twice."
    )
    assert err.count("created no version; trying again") == 2 and "Traceback" not in err
    assert aws.versions(NAME) == [] and proxy.count("POST", VERSIONS_PATH) == 0
