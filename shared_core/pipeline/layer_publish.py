"""Build each target's layer when it is not up to date, then publish exactly what was built: every entry point's publish."""

from __future__ import annotations

from pathlib import Path
from typing import List, Optional, Tuple

from shared_core.errors import ConfigError, LayerError, PublishError
from shared_core.lambda_runtime import LambdaTarget
from shared_core.layout import TARGET_PLACEHOLDER, LayerBuildToolEnum
from shared_core.pins.source import PinSource
from shared_core.pipeline.fingerprint import read_fingerprint, recorded_sha256
from shared_core.pipeline.layer_build import build_layers
from shared_core.pipeline.outcome import LayerBuildOutcome, LayerBuilds
from shared_core.pipeline.project import Project
from shared_core.pipeline.target import choose_targets
from shared_core.publish.aws import LayerApi, load_boto3
from shared_core.publish.layer_version import PublishResult, publish_snapshot, with_layer_name
from shared_core.publish.snapshot import take_snapshot
from shared_core.settings.layer import LayerConfig
from shared_core.settings.publish import PublishSettings
from shared_core.support.reporting import LabelledReporter, PrintReporter, Reporter


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
) -> Tuple[PublishResult, ...]:
    """Build each target's layer when it is not up to date (:func:`build_layers`, with the same target
    choice), then publish what was built (:func:`publish_builds`): one result per target."""
    load_boto3()  # a missing boto3 is reported before a build, not after it
    check_layer_names(settings, project, config)
    builds = build_layers(project, config, reporter, build_tool=build_tool, pin_source=pin_source, force=force,
                          snapshot=True)
    return publish_builds(builds, settings, project, reporter, dry_run=dry_run)


def publish_builds(builds: LayerBuilds, settings: PublishSettings, project: Project, reporter: Reporter, *,
                   dry_run: bool = False) -> Tuple[PublishResult, ...]:
    """Publish the snapshots ``build_layers(..., snapshot=True)`` took, each target to its own layer.

    When a target failed to build, nothing is published (a fleet gets all its layers or none new);
    when one fails to publish, the others still are, and the failures are raised together.
    """
    try:
        builds.raise_failures()
    except LayerError:
        for outcome in builds.outcomes:
            if outcome.snapshot is not None:
                outcome.snapshot.remove()
        raise
    if len(builds.outcomes) == 1:
        return (publish_built_layer(builds.outcomes[0], settings, project, reporter, dry_run=dry_run),)
    results: List[PublishResult] = []
    failures: List[str] = []
    for outcome in builds.outcomes:
        name = outcome.target.target.name
        try:
            results.append(publish_built_layer(outcome, settings, project, LabelledReporter(reporter, name),
                                               dry_run=dry_run))
        except LayerError as error:
            failures.append(f"{name}: {error}")
    if failures:
        published = "; the others are published" if results else ""
        raise PublishError(f"{len(failures)} of {len(builds.outcomes)} targets failed to publish{published}.\n\n"
                           + "\n\n".join(failures))
    return tuple(results)


def check_layer_names(settings: PublishSettings, project: Project, config: LayerConfig) -> None:
    """Each target publishes to a layer of its own: a fixed ``layer-name`` for several targets is an
    error naming the setting, before anything is built."""
    choices = choose_targets(config, project.requires_python, table=project.surface.table)
    names = {with_layer_name(settings, project.data, project.root, choice.target).layer_name for choice in choices}
    if len(names) < len(choices):
        raise ConfigError(
            f"{settings.label('layer_name')} names one layer, {settings.layer_name!r}, for {len(choices)} targets "
            f"({', '.join(choice.target.name for choice in choices)}); each target needs its own layer. Put "
            f"{TARGET_PLACEHOLDER} in it (`{settings.layer_name}-{TARGET_PLACEHOLDER}`) or leave it unset for "
            "<project>-py<XY>-<arch>."
        )


def publish_built_layer(
    outcome: LayerBuildOutcome, settings: PublishSettings, project: Project, reporter: Reporter, *,
    dry_run: bool = False,
) -> PublishResult:
    """Publish what a build wrote, for the target it chose (which names the default layer), with the
    build's fingerprint in the description: the second half of every entry point's publish.

    ``outcome`` comes from ``build_layers(..., snapshot=True)``: its snapshot, taken under the build lock,
    is what is published (and removed afterwards, also after a failure).
    """
    snapshot = outcome.snapshot
    if snapshot is None:
        raise ValueError("publish_built_layer() needs an outcome of build_layers(..., snapshot=True)")
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
