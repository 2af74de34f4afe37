"""``diff``, ``versions`` and ``prune``: the published layer's life, for each target's own layer.

Each target publishes to its own layer (``{target}`` in ``layer-name``, or the default name), so
each command works target by target, with the layer name, Region and profile a publish would use.
``diff`` builds the local layer first when it is not up to date (its manifest is what is compared).
"""

from __future__ import annotations

from typing import List, Optional

from shared_core.errors import PublishError
from shared_core.layout import LayerBuildToolEnum
from shared_core.pins.source import PinSource
from shared_core.pipeline.layer_build import build_layers
from shared_core.pipeline.layer_publish import check_layer_names
from shared_core.pipeline.project import Project
from shared_core.pipeline.target import choose_targets
from shared_core.publish.aws import LayerApi, load_boto3
from shared_core.publish.history import published_versions, versions_table
from shared_core.publish.layer_version import with_layer_name
from shared_core.publish.provenance import changes_line
from shared_core.publish.prune import Confirm, check_prune_options, prune_layer
from shared_core.settings.layer import LayerConfig
from shared_core.settings.publish import PublishSettings
from shared_core.support.reporting import Reporter


def _layer_settings(project: Project, config: LayerConfig, settings: PublishSettings) -> List[PublishSettings]:
    """Each target's publish settings, its layer name filled in (several targets: one layer each)."""
    load_boto3()
    check_layer_names(settings, project, config)
    choices = choose_targets(config, project.requires_python, table=project.surface.table)
    return [with_layer_name(settings, project.data, project.root, choice.target) for choice in choices]


def _api(settings: PublishSettings) -> LayerApi:
    return LayerApi(settings.region, settings.profile, settings.timeout, settings.terms)


def diff_layers(project: Project, config: LayerConfig, settings: PublishSettings, reporter: Reporter, *,
                version: Optional[int] = None, build_tool: Optional[LayerBuildToolEnum] = None,
                pin_source: Optional[PinSource] = None, force: bool = False) -> List[str]:
    """One ``changes from version N of layer L: ...`` line per target: the local layer (built if need be)
    against version ``version`` (default: the latest), from the manifest stored with it."""
    layers = _layer_settings(project, config, settings)
    builds = build_layers(project, config, reporter, build_tool=build_tool, pin_source=pin_source, force=force)
    builds.raise_failures()
    lines = []
    for outcome, layer in zip(builds.outcomes, layers):
        name = str(layer.layer_name)
        api = _api(layer)
        if layer.s3_bucket:
            api.check_bucket(layer.s3_bucket)
        info = api.version_info(name, version) if version is not None else api.latest_version(name)
        if info is None:
            raise PublishError(f"Layer {name} has no versions in {api.region}: there is nothing to compare the local "
                               "layer with. Publish it first, or check the layer name and Region.")
        lines.append(changes_line(api, layer.s3_bucket, layer.s3_prefix, name, info, outcome.manifest, reporter))
    return lines


def version_tables(project: Project, config: LayerConfig, settings: PublishSettings) -> List[str]:
    """``lambda-layer versions``: each target's layer, a table of its versions (newest first)."""
    lines: List[str] = []
    for layer in _layer_settings(project, config, settings):
        api = _api(layer)
        name = str(layer.layer_name)
        lines += versions_table(name, api.region, published_versions(api, name))
    return lines


def prune_layers(project: Project, config: LayerConfig, settings: PublishSettings, reporter: Reporter, *,
                 keep: int, older_than_days: Optional[float], confirm: Confirm) -> int:
    """``lambda-layer prune``: each target's layer pruned (:func:`prune_layer`); the versions deleted."""
    check_prune_options(keep, older_than_days)  # before any AWS call
    deleted = 0
    for layer in _layer_settings(project, config, settings):
        deleted += prune_layer(_api(layer), str(layer.layer_name), keep, older_than_days, confirm, reporter.info,
                               reporter.warning)
    return deleted
