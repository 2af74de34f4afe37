"""The shared build cache on S3 (``cache = "s3://BUCKET/PREFIX"``): one build per set of inputs for
every machine that can read the bucket.

A layer is a pure function of its fingerprint's inputs (the pins' source, the settings that decide
the bytes, the target, the tool's version) and of two facts about the machine that the fingerprint
holds too: the X.Y.Z of the interpreter that compiles the bytecode and the compressor and its
version. So the cache key is the digest of exactly those inputs, and entries are
``PREFIX/<key>.zip`` and its manifest ``PREFIX/<key>.zip.json``, each carrying the key in its
metadata.

A hit is used only when everything checks out: the manifest is one of ours for this target, tool,
level and bytecode; the zip's SHA-256 and size are the manifest's; its directory lists the manifest's
file count and unzipped bytes, all under ``python/``. Then the zip, the manifest and the record are
written as a local build writes them, and no resolve, install or compile runs. Anything else (no
entry, a damaged or foreign one, S3 unreachable) is a miss: the layer is built, and stored for the
next machine; a failed upload is a warning.
"""

from __future__ import annotations

import json
import os
import stat
import tempfile
import time
import zipfile
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Dict, Optional

from shared_core.errors import LayerError
from shared_core.lambda_runtime import LAYER_PREFIX, LambdaTarget
from shared_core.pack.manifest import LayerManifest, parse_manifest, target_facts, withdraw_manifest, write_manifest
from shared_core.pack.report_file import withdraw_report
from shared_core.pack.size_report import SizeReport
from shared_core.pipeline.fingerprint import fingerprint_path, inputs_digest, write_fingerprint
from shared_core.publish.aws import LayerApi
from shared_core.settings.layer import LayerConfig, split_cache_location
from shared_core.support.digests import file_digests
from shared_core.support.reporting import Reporter
from shared_core.support.sizes import human_size
from shared_core.version import __version__

#: Raised when what a key covers, or how entries are laid out, changes: old entries are then misses.
CACHE_FORMAT = 1
#: The object metadata that ties an entry to its key (``x-amz-meta-lambda-layer-inputs``).
KEY_METADATA = "lambda-layer-inputs"
#: A manifest is a few kilobytes; a zip at most Lambda's 250 MB unzipped (stored: a little more).
MANIFEST_LIMIT = 16 * 1024 * 1024
ZIP_LIMIT = 512 * 1024 * 1024
#: Connect and read timeout of the cache's S3 calls (seconds, each try): a cache that does not answer should
#: cost a build little more than building, not the minutes a publish may wait.
CACHE_TIMEOUT = 10.0


def cache_key(inputs: Dict[str, Any]) -> str:
    """The digest of the fingerprint's inputs (and the cache's format): the same on every machine that
    would build the same bytes."""
    return inputs_digest({"cache": CACHE_FORMAT, **inputs})


@dataclass(frozen=True)
class CacheEntry:
    """Where one set of inputs' layer is (or would be) in the cache."""

    bucket: str
    prefix: str
    key: str

    @property
    def zip_key(self) -> str:
        return f"{self.prefix}{self.key}.zip"

    @property
    def manifest_key(self) -> str:
        return f"{self.zip_key}.json"

    @property
    def uri(self) -> str:
        return f"s3://{self.bucket}/{self.zip_key}"


class _Miss(Exception):
    """Why a cache entry cannot be used (said as a warning, then the layer is built)."""


class RemoteCache:
    """The cache of one build command: one S3 client, for every target's lookup and upload."""

    def __init__(self, location: str, reporter: Reporter) -> None:
        self.bucket, self.prefix = split_cache_location(location)
        self.reporter = reporter
        self._api: Optional[LayerApi] = None
        self._unusable = False

    @classmethod
    def of(cls, config: LayerConfig, reporter: Reporter) -> Optional["RemoteCache"]:
        return cls(config.cache, reporter) if config.cache else None

    def entry(self, inputs: Dict[str, Any]) -> CacheEntry:
        return CacheEntry(self.bucket, self.prefix, cache_key(inputs))

    def api(self) -> Optional[LayerApi]:
        """The S3 client, made once; None (said once) when boto3 or the AWS configuration is missing."""
        if self._api is None and not self._unusable:
            try:
                self._api = LayerApi(timeout=CACHE_TIMEOUT, needs_region=False)
            except LayerError as error:
                self._unusable = True
                self.reporter.warning(f"cache: s3://{self.bucket}/{self.prefix} is not used: {error}")
        return self._api

    def probably_has(self, entry: CacheEntry) -> bool:
        """The entry's manifest exists (a look before resolving ahead; the build looks again)."""
        api = self.api()
        try:
            return api is not None and api.object_head(entry.bucket, entry.manifest_key) is not None
        except LayerError as error:
            self._unreadable(entry, error)
            return False

    def _unreadable(self, entry: CacheEntry, error: LayerError) -> None:
        """A cache that cannot be read is not used again in this command: every further target would wait
        for the same failure (a silent endpoint: the timeout, each try)."""
        self._unusable, self._api = True, None
        self.reporter.warning(f"cache: {entry.uri} could not be read ({error}); building the layer instead, without "
                              "the cache for the rest of this command")

    # -- a hit -----------------------------------------------------------------------------------

    def fetch(self, entry: CacheEntry, output: Path, target: LambdaTarget, config: LayerConfig,
              inputs: Dict[str, Any]) -> Optional[LayerManifest]:
        """Write the entry's zip, manifest and record at ``output`` as a build would; None on a miss (said why)."""
        api = self.api()
        if api is None:
            return None
        started = time.monotonic()
        try:
            manifest = self._manifest(api, entry, target, config)
            if manifest is None:
                self.reporter.info(f"cache: miss, {entry.uri} is not there; building it")
                return None
            manifest = self._install(api, entry, manifest, output, inputs)
        except _Miss as why:
            self.reporter.warning(f"cache: {entry.uri} is not used: {why}; building the layer instead (and storing it)")
            return None
        except LayerError as error:
            self._unreadable(entry, error)
            return None
        self.reporter.info(f"cache: hit, {entry.uri} ({human_size(manifest.zip.bytes)} in {time.monotonic() - started:.2f} s, "
                           "SHA-256 verified); nothing resolved, installed or compiled")
        return manifest

    def _manifest(self, api: LayerApi, entry: CacheEntry, target: LambdaTarget,
                  config: LayerConfig) -> Optional[LayerManifest]:
        found = api.read_object(entry.bucket, entry.manifest_key, MANIFEST_LIMIT)
        if found is None:
            return None
        data, metadata = found
        if metadata.get(KEY_METADATA) != entry.key:
            raise _Miss(f"its manifest was not stored for these inputs (metadata {KEY_METADATA} is "
                        f"{metadata.get(KEY_METADATA)!r})")
        try:
            manifest = parse_manifest(json.loads(data.decode("utf-8"))) if len(data) <= MANIFEST_LIMIT else None
        except ValueError:
            manifest = None
        if manifest is None or manifest.kind != "layer":
            raise _Miss(f"s3://{entry.bucket}/{entry.manifest_key} is not a layer manifest this lambda-layer-build reads")
        expected = (target_facts(target), f"lambda-layer-build {__version__}", config.compression_level,
                    config.compile_bytecode)
        if (manifest.target, manifest.tool, manifest.compression_level, manifest.bytecode) != expected:
            raise _Miss("its manifest describes another target, tool, compression level or bytecode setting")
        return manifest

    def _install(self, api: LayerApi, entry: CacheEntry, manifest: LayerManifest, output: Path,
                 inputs: Dict[str, Any]) -> LayerManifest:
        """Download next to ``output``, verify, then put zip, manifest and record in place."""
        handle, temporary = tempfile.mkstemp(dir=output.parent, prefix=".layer-", suffix=".zip.tmp")
        try:
            with os.fdopen(handle, "wb") as stream:
                found = api.download(entry.bucket, entry.zip_key, stream, min(ZIP_LIMIT, manifest.zip.bytes))
            if found is None:  # a store cut short, or an expiry rule: this build stores it again
                raise _Miss("its manifest is there but its zip is not")
            _verify(Path(temporary), *found, entry, manifest)
            fingerprint_path(output).unlink(missing_ok=True)  # nothing says "up to date" until all three are written
            withdraw_manifest(output)
            withdraw_report(output)
            os.chmod(temporary, _mode_of(output))
            os.replace(temporary, output)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        local = replace(manifest, zip=replace(manifest.zip, name=output.name))  # the manifest a build here writes
        manifest_sha256 = write_manifest(output, local)
        write_fingerprint(output, inputs, manifest.zip.sha256, manifest_sha256)
        return local

    # -- a miss: store what was built --------------------------------------------------------------

    def store(self, entry: CacheEntry, zip_path: Path, manifest: LayerManifest) -> None:
        """Upload the zip, then its manifest (which makes the entry a hit); a failure is a warning."""
        api = self.api()
        if api is None:
            return
        started = time.monotonic()
        metadata = {KEY_METADATA: entry.key}
        try:
            head = api.object_head(entry.bucket, entry.zip_key)
            same = (head is not None and head.get("ChecksumSHA256") == manifest.zip.sha256_base64
                    and (head.get("Metadata") or {}).get(KEY_METADATA) == entry.key)
            if not same:
                api.upload(zip_path, entry.bucket, entry.zip_key, manifest.zip.sha256_base64, metadata=metadata)
            api.put_bytes(entry.bucket, entry.manifest_key, manifest.to_json(), "application/json", metadata)
        except LayerError as error:
            self.reporter.warning(f"cache: the layer is built, but could not be stored at {entry.uri} ({error})")
            return
        self.reporter.info(f"cache: stored {entry.uri} ({human_size(manifest.zip.bytes)}, "
                           f"{time.monotonic() - started:.2f} s)")


def _verify(path: Path, size: int, metadata: Dict[str, str], entry: CacheEntry, manifest: LayerManifest) -> None:
    """The downloaded zip is the manifest's, byte for byte, and a layer's (raises :class:`_Miss`)."""
    if metadata.get(KEY_METADATA) != entry.key:
        raise _Miss(f"the zip was not stored for these inputs (metadata {KEY_METADATA} is {metadata.get(KEY_METADATA)!r})")
    if size != manifest.zip.bytes:
        raise _Miss(f"the zip is {size:,} bytes{' or more' if size > manifest.zip.bytes else ''}, its manifest "
                    f"records {manifest.zip.bytes:,}")
    digest = file_digests(path).sha256
    if digest != manifest.zip.sha256:
        raise _Miss(f"the zip's SHA-256 is {digest}, its manifest records {manifest.zip.sha256}")
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError) as error:
        raise _Miss(f"the zip cannot be read ({error})") from None
    unzipped = sum(member.file_size for member in members)
    if (len(members), unzipped) != (manifest.zip.files, manifest.zip.unzipped_bytes) or not all(
            member.filename.startswith(LAYER_PREFIX) for member in members):
        raise _Miss(f"the zip holds {len(members):,} files and {unzipped:,} bytes, not the manifest's "
                    f"{manifest.zip.files:,} files under {LAYER_PREFIX} and {manifest.zip.unzipped_bytes:,} bytes")


def _mode_of(output: Path) -> int:
    """As the zip writer does: the replaced zip's mode, else 0644."""
    try:
        info = output.lstat()
    except OSError:
        return 0o644
    return info.st_mode & 0o777 if stat.S_ISREG(info.st_mode) else 0o644


def size_report_of(manifest: LayerManifest) -> SizeReport:
    """The size report a build prints, from the manifest of a zip it did not pack (a cache hit)."""
    largest = sorted(manifest.distributions, key=lambda dist: (-dist.unzipped_bytes, dist.name))[:10]
    return SizeReport(manifest.zip.files, manifest.zip.unzipped_bytes, manifest.zip.bytes,
                      tuple((dist.name, dist.unzipped_bytes) for dist in largest))
