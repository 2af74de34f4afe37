"""Build the layer when it is not up to date, then publish exactly what was built: every entry point's publish."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

from shared_core.lambda_runtime import LambdaTarget
from shared_core.layout import LayerBuildToolEnum
from shared_core.pins.source import PinSource
from shared_core.pipeline.fingerprint import read_fingerprint, recorded_sha256
from shared_core.pipeline.layer_build import LayerBuildOutcome, build_layer
from shared_core.pipeline.project import Project
from shared_core.publish.aws import LayerApi, load_boto3
from shared_core.publish.layer_version import PublishResult, publish_snapshot, with_layer_name
from shared_core.publish.snapshot import take_snapshot
from shared_core.settings.layer import LayerConfig
from shared_core.settings.publish import PublishSettings
from shared_core.support.reporting import PrintReporter, Reporter


def build_and_publish(
    project: Project,
    config: LayerConfig,
    settings: PublishSettings,
    reporter: Reporter,
    *,
    build_tool: Optional[LayerBuildToolEnum] = None,
    pin_source: Optional[PinSource] = None,
    force: bool = False,
    dry_run: bool = False,
) -> PublishResult:
    """Build the layer when it is not up to date (:func:`build_layer`, with the same target choice),
    then publish the snapshot the build took under its lock; the default layer name follows the target."""
    load_boto3()  # a missing boto3 is reported before a build, not after it
    outcome = build_layer(project, config, reporter, build_tool=build_tool, pin_source=pin_source, force=force,
                          snapshot=True)
    return publish_built_layer(outcome, settings, project, reporter, dry_run=dry_run)


def publish_built_layer(
    outcome: LayerBuildOutcome, settings: PublishSettings, project: Project, reporter: Reporter, *,
    dry_run: bool = False,
) -> PublishResult:
    """Publish what a build wrote, for the target it chose (which names the default layer), with the
    build's fingerprint in the description: the second half of every entry point's publish.

    ``outcome`` comes from ``build_layer(..., snapshot=True)``: its snapshot, taken under the build lock,
    is what is published (and removed afterwards, also after a failure).
    """
    snapshot = outcome.snapshot
    if snapshot is None:
        raise ValueError("publish_built_layer() needs the outcome of build_layer(..., snapshot=True)")
    try:
        target = outcome.target.target
        settings = with_layer_name(settings, project.data, project.root, target)
        return publish_snapshot(snapshot, settings, target, reporter=reporter, fingerprint=snapshot.fingerprint,
                                dry_run=dry_run)
    finally:
        snapshot.remove()


def publish_layer(
    zip_path: Path,
    settings: PublishSettings,
    target: LambdaTarget,
    *,
    reporter: Optional[Reporter] = None,
    fingerprint: Optional[str] = None,
    dry_run: bool = False,
    api: Optional[LayerApi] = None,
) -> PublishResult:
    """Publish an existing zip: it is copied once (and checked against the sha256 its build recorded,
    if it has a record), and only the copy is read."""
    snapshot = take_snapshot(Path(zip_path), recorded_sha256(Path(zip_path)), read_fingerprint(Path(zip_path)))
    try:
        return publish_snapshot(snapshot, settings, target, reporter=reporter or PrintReporter(),
                                fingerprint=fingerprint, dry_run=dry_run, api=api)
    finally:
        snapshot.remove()
