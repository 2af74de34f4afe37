"""Steps 3 and 4: upload the layer zip and publish a layer version, only when the layer changed.

Our zips are byte-identical for identical inputs, so "changed" is decided by what Lambda already
has: the latest version is the same layer when its CodeSha256 (the zip's SHA-256, base64), compatible
runtimes and architectures, description and licence info are the ones we would publish. S3 keys are
content-addressed and an object there is reused only when S3's SHA-256 checksum of it is the zip's,
so a re-run after a failure finds what it already uploaded, and nothing else.

What is hashed, uploaded and compared is a snapshot of the zip taken under the build lock
(:mod:`shared_core.publish.snapshot`), never the zip itself, which another build may write meanwhile.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

from shared_core.errors import ConfigError, PublishError
from shared_core.lambda_runtime import DIRECT_UPLOAD_LIMIT, LambdaTarget
from shared_core.layout import TARGET_PLACEHOLDER
from shared_core.pack.manifest import LayerManifest
from shared_core.publish.aws import LayerApi, LayerSpec, LayerVersionInfo
from shared_core.publish.provenance import changes_line, layer_summary, manifest_digest, store_manifest
from shared_core.publish.snapshot import LayerSnapshot
from shared_core.settings.publish import (
    CONSOLE_TERMS,
    MAX_DESCRIPTION,
    OptionTerms,
    PublishSettings,
    capitalized,
    default_layer_name,
    project_name,
)
from shared_core.support.reporting import PrintReporter, Reporter
from shared_core.support.sizes import human_size
from shared_core.version import __version__

#: Statement ids of our AddLayerVersionPermission calls: ``lambda-layer-build-<account or org id>``.
STATEMENT_PREFIX = "lambda-layer-build-"
#: Smaller uploads finish before a bar is worth drawing (boto3's multipart threshold).
PROGRESS_MIN_BYTES = 8 * 1024 * 1024


@dataclass(frozen=True)
class PublishResult:
    """What a publish did. ``published`` is False when the latest version already had this content
    (then ``layer_version_arn``/``version`` are that version's). A dry run that would publish has no
    ARN or version yet."""

    layer_version_arn: Optional[str]
    version: Optional[int]
    code_sha256: str
    published: bool
    s3_uri: Optional[str]
    dry_run: bool = False


# -- pure decisions ------------------------------------------------------------------------------

def upload_method(zip_size: int, s3_bucket: Optional[str], limit: int = DIRECT_UPLOAD_LIMIT,
                  terms: OptionTerms = CONSOLE_TERMS) -> str:
    """``"s3"`` with a bucket; else ``"direct"`` (ZipFile) up to Lambda's direct-upload limit, else an error."""
    if s3_bucket:
        return "s3"
    if zip_size <= limit:
        return "direct"
    raise PublishError(
        f"The layer zip is {zip_size:,} bytes ({human_size(zip_size)}), over Lambda's limit of {limit:,} bytes "
        f"(50 MB) for a zip sent directly. {capitalized(terms.how_to_set('s3-bucket'))}: the zip is "
        "then uploaded to that bucket (in the layer's Region) and published from there."
    )


def s3_key(prefix: str, layer_name: str, sha256_hex: str) -> str:
    """The content-addressed key: ``PREFIX/LAYER-NAME/<sha256>.zip``."""
    return f"{prefix}{layer_name}/{sha256_hex}.zip"


def layer_description(target: LambdaTarget, fingerprint: Optional[str], description: Optional[str] = None,
                      manifest: Optional[LayerManifest] = None) -> str:
    """The user's description (shortened if need be) and the version's provenance, within 256 characters:
    the tool, the target, with a manifest a summary of it and its digest, and the start of the build's
    input digest."""
    summary = f", {layer_summary(manifest)}, manifest {manifest_digest(manifest)}" if manifest is not None else ""
    inputs = fingerprint[:INPUTS_SHOWN] if fingerprint else "unknown"
    record = f"lambda-layer-build {__version__}, {target.runtime_name} {target.architecture}{summary}, inputs {inputs}"
    if not description:
        return record[:MAX_DESCRIPTION]
    room = MAX_DESCRIPTION - len(record) - 3
    if len(description) > room:
        description = description[: max(room - 3, 0)].rstrip() + "..."
    return f"{description} ({record})"[:MAX_DESCRIPTION]


#: How much of the build's input digest a description shows (the manifest's digest takes the room).
INPUTS_SHOWN = 16
#: How a version was made, not what it is: the build's input digest and the manifest's (which names
#: the pins' file and its digest, the tool, the compressor).
_HOW_MADE = re.compile(r"\b(?:inputs (?:[0-9a-f]{16,64}|unknown)|manifest [0-9a-f]{64})\b")


def _without_inputs(description: str) -> str:
    """A description as it describes the layer: byte-identical zips built from other inputs (another entry
    point, interpreter patch release or lock file with the same pins) are the same layer."""
    return _HOW_MADE.sub("*", description)


def share_statements(entries: Sequence[str]) -> List[Tuple[str, str, Optional[str]]]:
    """``(StatementId, Principal, OrganizationId)`` per ``share-with`` entry."""
    return [
        (f"{STATEMENT_PREFIX}{entry}", "*", entry) if entry.startswith("o-") else (f"{STATEMENT_PREFIX}{entry}", entry, None)
        for entry in entries
    ]


def with_layer_name(settings: PublishSettings, pyproject: Mapping[str, Any], project_root: Path,
                    target: LambdaTarget) -> PublishSettings:
    """``settings`` with ``target``'s layer name: the configured one (``{target}`` filled in), else
    ``<project>-py<XY>-<arch>``."""
    if settings.layer_name:
        return replace(settings, layer_name=settings.layer_name.replace(TARGET_PLACEHOLDER, target.name))
    name = default_layer_name(project_name(pyproject, project_root), target.python_version, target.architecture,
                              settings.terms)
    return replace(settings, layer_name=name)


# -- the publish ---------------------------------------------------------------------------------

def _ensure_shared(api: LayerApi, layer_name: str, version: int, entries: Sequence[str], reporter: Reporter,
                   dry_run: bool) -> None:
    """One AddLayerVersionPermission per entry whose statement is not in the version's policy yet."""
    if not entries:
        return
    existing = api.policy_statement_ids(layer_name, version)
    for statement_id, principal, organization in share_statements(entries):
        who = f"organization {organization}" if organization else f"account {principal}"
        if statement_id in existing:
            reporter.detail(f"share: version {version} is already shared with {who}")
        elif dry_run:
            reporter.info(f"dry run: would share version {version} with {who}")
        elif api.add_permission(layer_name, version, statement_id, principal, organization):
            reporter.info(f"share: version {version} with {who} (statement {statement_id})")
        else:
            reporter.detail(f"share: version {version} is already shared with {who}")


def layer_differences(latest: LayerSpec, wanted: LayerSpec) -> List[str]:
    """What makes the latest version another layer than the one to publish, in words (empty: the same)."""
    differences = []
    if latest.code_sha256 != wanted.code_sha256:
        differences.append(f"content (CodeSha256 {latest.code_sha256 or 'none'})")
    for what, theirs, ours in (("compatible runtimes", latest.runtimes, wanted.runtimes),
                               ("compatible architectures", latest.architectures, wanted.architectures)):
        if theirs != ours:
            differences.append(f"{what} ({', '.join(theirs) or 'none'}, not {', '.join(ours)})")
    if _without_inputs(latest.description) != _without_inputs(wanted.description):
        differences.append("description")
    if latest.license_info != wanted.license_info:
        differences.append("licence info")
    return differences


def upload_snapshot(api: LayerApi, snapshot: LayerSnapshot, bucket: str, key: str, reporter: Reporter, dry_run: bool) -> None:
    """Put the snapshot at ``s3://bucket/key`` unless S3 keeps exactly it there (its SHA-256 checksum is the zip's)."""
    s3_uri = f"s3://{bucket}/{key}"
    stored = api.object_checksum(bucket, key)
    if stored == snapshot.code_sha256:
        reporter.info(f"upload: {s3_uri} is already there with this zip's SHA-256 checksum; not uploaded again")
        return
    if stored is not None:
        reporter.warning(f"{s3_uri} exists, but S3's SHA-256 checksum of it is {stored or 'not recorded'}, not this "
                         f"zip's {snapshot.code_sha256}: it is not this layer's zip and "
                         f"{'would be' if dry_run else 'is'} replaced.")
    if dry_run:
        reporter.info(f"dry run: would upload {snapshot.size:,} bytes to {s3_uri}")
        return
    started = time.monotonic()

    def progress(done: int, total: int) -> None:
        reporter.progress("upload", done, total)

    api.upload(snapshot.path, bucket, key, snapshot.code_sha256, progress if snapshot.size >= PROGRESS_MIN_BYTES else None)
    reporter.info(f"upload: {s3_uri} ({human_size(snapshot.size)}, {time.monotonic() - started:.2f} s)")


def _refuse_other_content(api: LayerApi, name: str, published: LayerVersionInfo, snapshot: LayerSnapshot,
                          source: str) -> None:
    """A new version whose CodeSha256 is not the zip's is deleted and reported: it is not this layer."""
    if published.spec.code_sha256 == snapshot.code_sha256:
        return
    try:
        api.delete_version(name, published.version)
        deleted = f"Version {published.version} was deleted again."
    except PublishError as error:
        deleted = (f"Version {published.version} could not be deleted ({error}); delete it: `aws lambda "
                   f"delete-layer-version --layer-name {name} --version-number {published.version}`.")
    raise PublishError(
        f"Lambda computed CodeSha256 {published.spec.code_sha256 or '(none)'} for the new version {published.version} of "
        f"layer {name}, not the zip's {snapshot.code_sha256}: what it read from {source} is not the zip that was "
        f"uploaded (another writer to that key?). {deleted} Make sure nothing else writes there, and publish again."
    )


def publish_snapshot(
    snapshot: LayerSnapshot,
    settings: PublishSettings,
    target: LambdaTarget,
    *,
    reporter: Optional[Reporter] = None,
    fingerprint: Optional[str] = None,
    dry_run: bool = False,
    api: Optional[LayerApi] = None,
) -> PublishResult:
    """Publish the snapshot as a version of ``settings.layer_name`` unless the latest version is the same layer.

    The same layer: the same CodeSha256, compatible runtimes and architectures, description and licence
    info. Only the snapshot is read, never the zip it was copied from.
    """
    reporter = reporter or PrintReporter()
    name = settings.layer_name
    if not name:
        raise ConfigError(f"No layer name: {settings.terms.how_to_set('layer-name')}.")
    code_sha256 = snapshot.code_sha256
    method = upload_method(snapshot.size, settings.s3_bucket, terms=settings.terms)
    api = api or LayerApi(settings.region, settings.profile, settings.timeout, settings.terms)
    reporter.info(f"publish: {snapshot.source.name}, {snapshot.size:,} bytes, CodeSha256 {code_sha256}, as layer {name} "
                  f"in {api.region}")
    bucket = settings.s3_bucket
    if bucket:  # checked whenever one is configured: also when nothing is uploaded, and in a dry run
        api.check_bucket(bucket)
    manifest = snapshot.manifest
    wanted = LayerSpec(code_sha256, (target.runtime_name,), (target.architecture,),
                       layer_description(target, fingerprint, settings.description, manifest), settings.license_info)

    latest = api.latest_version(name)
    differences = layer_differences(latest.spec, wanted) if latest is not None else []
    if latest is not None and not differences:
        reporter.info(f"Layer {name} is unchanged: version {latest.version} has the same content and settings; nothing "
                      f"uploaded or published ({latest.arn}).")
        if bucket and manifest is not None:  # a version published before its manifest was kept gets it now
            store_manifest(api, bucket, settings.s3_prefix, name, manifest, reporter, dry_run)
        _ensure_shared(api, name, latest.version, settings.share_with, reporter, dry_run)
        return PublishResult(latest.arn, latest.version, code_sha256, False, None, dry_run)
    if latest is not None:
        reporter.info(f"Layer {name} changed: its latest version {latest.version} differs in {'; '.join(differences)}")
        reporter.info(changes_line(api, bucket, settings.s3_prefix, name, latest, manifest, reporter))

    s3_uri = None
    content: Dict[str, Any] = {}
    if method == "s3":
        bucket = str(bucket)
        key = s3_key(settings.s3_prefix, name, snapshot.sha256_hex)
        s3_uri = f"s3://{bucket}/{key}"
        upload_snapshot(api, snapshot, bucket, key, reporter, dry_run)
        if manifest is not None:
            store_manifest(api, bucket, settings.s3_prefix, name, manifest, reporter, dry_run)
        content = {"S3Bucket": bucket, "S3Key": key}
    elif not dry_run:
        content = {"ZipFile": snapshot.path.read_bytes()}

    source = s3_uri or "the zip sent directly"
    if dry_run:
        after = f"after version {latest.version}" if latest is not None else "(its first)"
        reporter.info(f"dry run: would publish a new version {after} of layer {name} in {api.region} from {source} "
                      f"for {target.runtime_name} {target.architecture}, described {wanted.description!r}")
        for entry in settings.share_with:
            reporter.info(f"dry run: would share it with {'organization' if entry.startswith('o-') else 'account'} {entry}")
        return PublishResult(None, None, code_sha256, False, s3_uri, True)

    published = api.publish(name, content, wanted, newer_than=latest.version if latest is not None else 0,
                            notify=reporter.warning)
    _refuse_other_content(api, name, published, snapshot, source)
    reporter.info(f"Published version {published.version} of layer {name} from {source} for {target.runtime_name} "
                  f"{target.architecture}")
    _ensure_shared(api, name, published.version, settings.share_with, reporter, dry_run=False)
    return PublishResult(published.arn, published.version, code_sha256, True, s3_uri)
