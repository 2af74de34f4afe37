"""Where a published version came from: its manifest, stored beside its zip, and read back.

A version published through ``s3-bucket`` gets the build's manifest (``layer.zip.json``, byte for
byte) at ``s3://BUCKET/PREFIX/LAYER-NAME/<zip sha256>.json``, beside the content-addressed zip; its
description carries a summary (distributions, unzipped size) and the manifest's SHA-256. A version
sent directly (no bucket) has nowhere to keep a manifest: it gets the summary and the digest only,
and "what changed" against it can compare sizes, not distributions.

A stored manifest is used only when it is one of ours and describes the version's zip (its base64
SHA-256 is the version's ``CodeSha256``); anything else is said, and ignored.
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass
from typing import Optional

from shared_core.errors import LayerError
from shared_core.pack.manifest import LayerManifest, parse_manifest
from shared_core.pack.manifest_diff import byte_change, manifest_changes
from shared_core.publish.aws import LayerApi, LayerVersionInfo
from shared_core.support.reporting import Reporter
from shared_core.support.sizes import human_size

#: A manifest is a few kilobytes (a line per distribution); a bigger object is not one of ours.
MANIFEST_LIMIT = 16 * 1024 * 1024


def manifest_key(prefix: str, layer_name: str, sha256_hex: str) -> str:
    """``PREFIX/LAYER-NAME/<zip sha256>.json``: beside the zip's own key."""
    return f"{prefix}{layer_name}/{sha256_hex}.json"


def manifest_digest(manifest: LayerManifest) -> str:
    """The SHA-256 of the manifest's bytes (``layer.zip.json`` as the build wrote it), hex."""
    return hashlib.sha256(manifest.to_json()).hexdigest()


def layer_summary(manifest: LayerManifest) -> str:
    """``12 distributions, 15.1 MB unzipped``: what a version holds, in a few words."""
    count = len(manifest.distributions)
    return f"{count} distribution{'' if count == 1 else 's'}, {human_size(manifest.zip.unzipped_bytes)} unzipped"


def _hex(code_sha256: str) -> str:
    return base64.b64decode(code_sha256).hex()


@dataclass(frozen=True)
class StoredManifest:
    """A version's stored manifest, or why there is none to use."""

    manifest: Optional[LayerManifest]
    #: Where it is (or would be), ``s3://...``; empty without a bucket.
    location: str = ""
    why_not: str = ""


def read_stored_manifest(api: LayerApi, bucket: Optional[str], prefix: str, layer_name: str, info: LayerVersionInfo,
                         reporter: Reporter) -> StoredManifest:
    """Version ``info``'s manifest from the bucket, checked against its ``CodeSha256`` (a damaged or foreign
    object is a warning and not used)."""
    if not bucket:
        return StoredManifest(None, "", "no `s3-bucket` is set, and a version's manifest is stored only there")
    key = manifest_key(prefix, layer_name, _hex(info.spec.code_sha256))
    location = f"s3://{bucket}/{key}"
    found = api.read_object(bucket, key, MANIFEST_LIMIT)
    if found is None:
        return StoredManifest(None, location, f"there is no manifest at {location} (version {info.version} was published "
                                              "without `s3-bucket`, with another bucket or prefix, or by an older "
                                              "lambda-layer-build)")
    data, _ = found
    try:
        manifest = parse_manifest(json.loads(data.decode("utf-8"))) if len(data) <= MANIFEST_LIMIT else None
    except ValueError:  # not UTF-8, not JSON
        manifest = None
    if manifest is None:
        why = f"{location} is not a manifest this lambda-layer-build reads (damaged, or written by something else)"
    elif manifest.zip.sha256_base64 != info.spec.code_sha256:
        why = (f"{location} describes another zip (CodeSha256 {manifest.zip.sha256_base64}), not version "
               f"{info.version}'s ({info.spec.code_sha256})")
    else:
        return StoredManifest(manifest, location)
    reporter.warning(f"{why}; it is ignored.")
    return StoredManifest(None, location, why)


def store_manifest(api: LayerApi, bucket: str, prefix: str, layer_name: str, manifest: LayerManifest,
                   reporter: Reporter, dry_run: bool) -> str:
    """Put the manifest beside its zip unless S3 keeps exactly it there; its ``s3://`` location."""
    key = manifest_key(prefix, layer_name, manifest.zip.sha256)
    location = f"s3://{bucket}/{key}"
    data = manifest.to_json()
    wanted = base64.b64encode(hashlib.sha256(data).digest()).decode("ascii")
    stored = api.object_checksum(bucket, key)
    if stored == wanted:
        reporter.detail(f"provenance: {location} is already stored")
    elif dry_run:
        reporter.info(f"dry run: would store the manifest at {location}")
    else:
        api.put_bytes(bucket, key, data, "application/json")
        reporter.info(f"provenance: manifest stored at {location}")
    return location


def changes_line(api: LayerApi, bucket: Optional[str], prefix: str, layer_name: str, info: LayerVersionInfo,
                 manifest: Optional[LayerManifest], reporter: Reporter) -> str:
    """``changes from version 1 of layer L: upgraded: six 1.16.0 -> 1.17.0; zipped ...``: the line printed
    before a publish, in a dry run and by ``lambda-layer diff``."""
    head = f"changes from version {info.version} of layer {layer_name}"
    if manifest is None:
        return f"{head}: unknown, the local zip has no manifest (it was not built by lambda-layer-build)"
    try:
        stored = read_stored_manifest(api, bucket, prefix, layer_name, info, reporter)
    except LayerError as error:  # the publish itself may still work: say why, and go on
        reporter.warning(f"the manifest of version {info.version} could not be read: {error}")
        stored = StoredManifest(None, "", "it could not be read")
    if stored.manifest is not None:
        return f"{head}: {manifest_changes(stored.manifest, manifest).line()}"
    if info.spec.code_sha256 == manifest.zip.sha256_base64:
        return f"{head}: no change: the same zip (the same SHA-256)"
    return (f"{head}: distributions unknown, {stored.why_not}; zipped "
            f"{byte_change(info.code_size, manifest.zip.bytes)}")
