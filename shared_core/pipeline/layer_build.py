"""Both steps behind one call, for every target asked for, with the "up to date" skip: what every
entry point runs.

Each target is built on its own (its lock, its fingerprint, its zip and manifest); a target that
fails does not stop the others, and the failures are raised together at the end. With several
targets the pins of those not up to date are resolved at once, before the first install.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Sequence, Tuple, Union

from shared_core.errors import ConfigError, user_error
from shared_core.install.inputs import install_inputs
from shared_core.lambda_runtime import LambdaTarget
from shared_core.layout import TARGET_PLACEHOLDER, LayerBuildToolEnum
from shared_core.pack.inputs import pack_inputs
from shared_core.pack.manifest import (
    MANIFEST_VERSION,
    LayerManifest,
    ManifestDistribution,
    ManifestSource,
    exclusions,
    read_manifest,
    source_facts,
    target_facts,
    write_manifest,
    zip_facts,
)
from shared_core.pack.size_report import zipped_size_warning
from shared_core.pins.detect import default_pin_source
from shared_core.pins.source import PinSource, ignored_settings
from shared_core.pipeline.fingerprint import (
    fingerprint_path,
    is_up_to_date,
    read_fingerprint,
    recorded_sha256,
    write_fingerprint,
)
from shared_core.pipeline.lock import layer_lock
from shared_core.pipeline.outcome import LayerBuildOutcome, LayerBuilds, TargetFailure, finished_line, summary_table
from shared_core.pipeline.outputs import (
    check_output_ownership,
    check_output_path,
    ensure_ignore_file,
    prepare_output,
)
from shared_core.pipeline.project import Project
from shared_core.pipeline.sdist import SdistFiles, hatchling_sdist_files, sdist_leak_warning
from shared_core.pipeline.target import TargetChoice, announce_target, announce_targets, choose_target, choose_targets
from shared_core.settings.layer import LayerConfig
from shared_core.support.deflate import compressor_id
from shared_core.support.digests import FileDigests, file_digests
from shared_core.support.reporting import LabelledReporter, Reporter
from shared_core.support.toolchain import find_interpreter, interpreter_release
from shared_core.version import __version__

if TYPE_CHECKING:  # the steps themselves load only when a build runs (see _build_target); so do the shared
    # cache, the snapshot and the ahead resolution, when asked for: an up-to-date build loads none of them
    from shared_core.install.staging import LayerInstallResult
    from shared_core.pack.layer_zip import LayerZipResult
    from shared_core.pipeline.remote_cache import CacheEntry, RemoteCache
    from shared_core.publish.snapshot import LayerSnapshot


def _how_to_change_output(config: LayerConfig, project: Project) -> str:
    origin = config.origin("output")
    if origin is not None:
        return f"Change {origin.label}."
    options = " or pass --output" if project.surface.options else ""
    return f"Set `output` in [{project.surface.table}]{options} to a writable place."


def fingerprint_inputs(source: PinSource, config: LayerConfig, tool: str, target: LambdaTarget,
                       interpreter_version: Optional[str]) -> Dict[str, Any]:
    """Everything that decides the zip's bytes, or whether it may be written at all: each step's own
    (the pins' source, Step 1's, Step 2's), the target, the build tool and our version."""
    return {
        "tool": tool,
        "version": __version__,
        "target": [target.python_version, target.architecture],
        "source": source.fingerprint(),
        **install_inputs(config, interpreter_version),
        **pack_inputs(config),
    }


def _incomplete_message(shortfall: str, staged: "LayerInstallResult", target: LambdaTarget) -> str:
    version = target.python_version
    bytecode = staged.bytecode
    if bytecode is not None and bytecode.compiled and not bytecode.failed and bytecode.invalid:
        fix = (f"Pin releases that are valid Python {version}, or exclude them; until then `allow-invalid-python` "
               "ships them as source, on purpose.")
    else:
        fix = (
            f"Make Python {version} available to the build (on PATH, in pyenv, or `uv python install {version}`)"
            if bytecode is not None and not bytecode.compiled
            else "Fix what stopped those modules from compiling"
        ) + ", or set `compile-bytecode = false` (--no-compile) to build without bytecode on purpose."
    return (
        f"the layer is incomplete ({shortfall}), so it is not recorded as up to date: the next build rebuilds "
        f"it. {fix}"
    )


def _rejected(count: int) -> str:
    """Cache entries that failed verification are rare (a damaged disk, an edited cache): say so."""
    if not count:
        return ""
    entries = "1 cache entry failed verification and was" if count == 1 else f"{count} cache entries failed verification and were"
    return f" ({entries} recompressed)"


def build_layers(
    project: Project,
    config: LayerConfig,
    reporter: Reporter,
    *,
    build_tool: Optional[LayerBuildToolEnum] = None,
    pin_source: Optional[PinSource] = None,
    force: bool = False,
    snapshot: bool = False,
    sdist_files: Optional[SdistFiles] = None,
) -> LayerBuilds:
    """Pin, install, exclude, compile and zip each target, unless its fingerprint says nothing changed.

    ``project`` and ``config`` are read once by the entry point and handed to each step (the
    configuration knows where each value came from, for messages); ``pin_source``: the entry
    point's own (Poetry's checked lock, Hatch's metadata), else the project's files decide.
    ``snapshot``: also copy each zip while its lock is held (:mod:`snapshot`); the caller removes the copy.
    ``sdist_files``: Hatchling's sdist selection, when the entry point can list it in process (the
    Hatch builder); a hatchling project built from elsewhere is asked through a child interpreter.
    With one target its failure is raised as it is; with several, each failure is kept and the
    others build (:meth:`LayerBuilds.raise_failures` raises them together).
    """
    choices = choose_targets(config, project.requires_python, table=project.surface.table)
    several = len(choices) > 1
    if several:
        announce_targets(choices, reporter)
    else:
        announce_target(choices[0], reporter)
    source = pin_source or default_pin_source(project.root, project.data, build_tool, config)
    for warning in ignored_settings(config, source):
        reporter.warning(warning)
    outputs = target_outputs(config, project, choices)
    plans = [_plan(project, config, source, choice, outputs[choice], build_tool) for choice in choices]
    cache = _remote_cache(config, reporter)
    if several:  # what is up to date, or (probably) in the shared cache, is not resolved
        from shared_core.pins.ahead import ResolvedAhead

        source = ResolvedAhead(source, [plan.choice.target for plan in plans if not plan.probably_up_to_date()
                                        and not (cache is not None and not force and cache.probably_has(cache.entry(plan.inputs)))])
    results: List[Union[LayerBuildOutcome, TargetFailure]] = []
    for plan in plans:
        target_reporter = LabelledReporter(reporter, plan.choice.target.name) if several else reporter
        try:
            outcome = _build_target(project, config, target_reporter, plan, source, force=force, snapshot=snapshot,
                                    sdist_files=sdist_files, cache=cache)
        except Exception as error:
            user = user_error(error)
            if user is None or not several:
                raise
            results.append(TargetFailure(plan.choice, plan.output, user))
            reporter.info(f"{plan.choice.target.name}: failed (said at the end)")
            continue
        results.append(outcome)
        if several:
            reporter.info(finished_line(outcome))
    if several:
        for line in summary_table(results, project.root):
            reporter.info(line)
    return LayerBuilds(tuple(result for result in results if isinstance(result, LayerBuildOutcome)),
                       tuple(result for result in results if isinstance(result, TargetFailure)))


def build_layer(
    project: Project,
    config: LayerConfig,
    reporter: Reporter,
    *,
    build_tool: Optional[LayerBuildToolEnum] = None,
    pin_source: Optional[PinSource] = None,
    force: bool = False,
    snapshot: bool = False,
    sdist_files: Optional[SdistFiles] = None,
) -> LayerBuildOutcome:
    """:func:`build_layers` for settings that name one target (the Python API's single-layer call)."""
    choose_target(config, project.requires_python, table=project.surface.table)  # several: an error naming them
    builds = build_layers(project, config, reporter, build_tool=build_tool, pin_source=pin_source, force=force,
                          snapshot=snapshot, sdist_files=sdist_files)
    builds.raise_failures()
    return builds.outcomes[0]


def layer_outputs(project: Project, config: LayerConfig) -> Tuple[Path, ...]:
    """Where each target's zip goes, in the order the targets are built (``hatch clean``, messages)."""
    choices = choose_targets(config, project.requires_python, table=project.surface.table)
    return tuple(target_outputs(config, project, choices).values())


def target_outputs(config: LayerConfig, project: Project, choices: Sequence[TargetChoice]) -> Dict[TargetChoice, Path]:
    """Each target's zip path; two targets writing one file is an error naming ``output``."""
    several = len(choices) > 1
    outputs = {choice: config.output_path(project.root, choice.target.name, several) for choice in choices}
    taken: Dict[Path, TargetChoice] = {}
    for choice, output in outputs.items():
        other = taken.setdefault(output, choice)
        if other is not choice:
            raise ConfigError(
                f"{config.label('output', project.surface.table)} gives {other.target.name} and {choice.target.name} "
                f"the same zip, {output}, and each target needs its own. Put {TARGET_PLACEHOLDER} in it "
                f"(`layers/{TARGET_PLACEHOLDER}.zip`) or name a folder (ending in /) to get one folder per target."
            )
    return outputs


@dataclass(frozen=True)
class _TargetPlan:
    """What one target's build needs before it takes its lock: where it goes and what it depends on."""

    choice: TargetChoice
    output: Path
    interpreter: Optional[str]
    inputs: Dict[str, Any]
    how_to_change_output: str

    def probably_up_to_date(self) -> bool:
        """The fingerprint check without the lock: only to decide what to resolve ahead (the build
        decides again under the lock)."""
        try:
            return is_up_to_date(self.output, self.inputs)
        except OSError:
            return False


def _plan(project: Project, config: LayerConfig, source: PinSource, choice: TargetChoice, output: Path,
          build_tool: Optional[LayerBuildToolEnum]) -> _TargetPlan:
    # found once per target, for the fingerprint, the compile step and the import check
    interpreter = find_interpreter(choice.target) if config.compile_bytecode or config.drop_package_tests else None
    inputs = fingerprint_inputs(source, config, str(getattr(build_tool, "value", build_tool)), choice.target,
                                interpreter_release(interpreter))
    return _TargetPlan(choice, output, interpreter, inputs, _how_to_change_output(config, project))


def _build_target(
    project: Project, config: LayerConfig, reporter: Reporter, plan: _TargetPlan, source: PinSource, *,
    force: bool, snapshot: bool, sdist_files: Optional[SdistFiles], cache: Optional[RemoteCache] = None,
) -> LayerBuildOutcome:
    """One target: up to date under its lock, from the shared cache, or both steps, the manifest and the record
    (then stored in the shared cache)."""
    choice, output, target = plan.choice, plan.output, plan.choice.target
    check_output_path(output, plan.how_to_change_output)
    check_output_ownership(project.paths, config.requirements, output, plan.how_to_change_output, config.report)
    with layer_lock(project.paths, output, reporter):
        manifest = read_manifest(output) if not force and is_up_to_date(output, plan.inputs) else None
        if manifest is not None:
            reporter.info(f"Layer is up to date (inputs unchanged; {project.surface.rebuild}).")
            _report(output, manifest, config, reporter)
            return LayerBuildOutcome(output, up_to_date=True, target=choice, snapshot=_snapshot(output, snapshot),
                                     manifest=manifest)

        prepare_output(output, plan.how_to_change_output)
        ensure_ignore_file(project.paths.build_dir)
        entry = cache.entry(plan.inputs) if cache is not None else None
        if cache is not None and entry is not None and not force:  # --force builds, and stores what it built
            cached = cache.fetch(entry, output, target, config, plan.inputs)
            if cached is not None:
                from shared_core.pipeline.remote_cache import size_report_of

                for line in size_report_of(cached).lines():
                    reporter.info(line)
                oversize = zipped_size_warning(cached.zip.bytes)
                if oversize:
                    reporter.warning(oversize)
                _report(output, cached, config, reporter)
                _warn_of_sdist_leak(project, output, sdist_files, reporter)
                return LayerBuildOutcome(output, up_to_date=False, target=choice, snapshot=_snapshot(output, snapshot),
                                         manifest=cached)
        # Loaded here, not at the top: an up-to-date build (above) never pays for importing the steps.
        from shared_core.install.staging import stage_dependencies
        from shared_core.pack.compress_ahead import ahead_compression
        from shared_core.pack.layer_zip import pack_layer

        ahead = ahead_compression(config.compression_level, config.excluded_patterns, config.drop_package_tests)
        try:  # the zip's members are compressed as soon as their bytes are final, while the build goes on
            staged = stage_dependencies(project.paths, config, source, target, plan.interpreter, reporter, ahead)
            zipped = pack_layer(staged, config, reporter, output, ahead.compressor if ahead is not None else None)
        finally:
            if ahead is not None:
                ahead.compressor.close()
        reporter.info(f"zip: {zipped.files} files at level {config.compression_level} with {zipped.backend}, "
                      f"{zipped.from_cache} from cache{_rejected(zipped.cache_rejected)} ({zipped.seconds:.2f} s)")
        digests = file_digests(zipped.path)
        manifest = layer_manifest(staged, zipped, config, source_facts(source.input_file, project.root), digests)
        manifest_sha256 = write_manifest(zipped.path, manifest)
        _report(zipped.path, manifest, config, reporter)
        shortfall = staged.bytecode.shortfall() if staged.bytecode is not None else ""
        if shortfall:
            # A degraded layer is never "up to date": without a fingerprint the next build redoes it.
            fingerprint_path(zipped.path).unlink(missing_ok=True)
            reporter.warning(_incomplete_message(shortfall, staged, target))
        else:
            write_fingerprint(zipped.path, plan.inputs, digests.sha256, manifest_sha256)
            _store(cache, entry, zipped.path, manifest)
        _warn_of_sdist_leak(project, zipped.path, sdist_files, reporter)
        return LayerBuildOutcome(zipped.path, up_to_date=False, target=choice, install=staged, zip=zipped,
                                 complete=not shortfall, snapshot=_snapshot(zipped.path, snapshot), manifest=manifest)


def _remote_cache(config: LayerConfig, reporter: Reporter) -> Optional["RemoteCache"]:
    """The shared build cache when ``cache`` is set (boto3 and the S3 code load only then)."""
    if not config.cache:
        return None
    from shared_core.pipeline.remote_cache import RemoteCache

    return RemoteCache.of(config, reporter)


def _store(cache: Optional[RemoteCache], entry: Optional[CacheEntry], zip_path: Path, manifest: LayerManifest) -> None:
    """A complete layer goes into the shared cache (an incomplete one never does)."""
    if cache is not None and entry is not None:
        cache.store(entry, zip_path, manifest)


def _warn_of_sdist_leak(project: Project, zip_path: Path, sdist_files: Optional[SdistFiles], reporter: Reporter) -> None:
    """Would the project's sdist pack the layer's files (a hatchling project: Hatchling's own rules)?"""
    if sdist_files is not None or project.build_backend.startswith("hatchling"):
        leak = sdist_leak_warning(project.root, project.paths.build_dir, zip_path,
                                  sdist_files or hatchling_sdist_files(project.root))
        if leak:
            reporter.warning(leak)


def layer_manifest(staged: "LayerInstallResult", zipped: "LayerZipResult", config: LayerConfig, source: ManifestSource,
                   digests: FileDigests) -> LayerManifest:
    """The manifest of the zip Step 2 just wrote, from what both steps handed over and its digests."""
    bytecode = staged.bytecode
    return LayerManifest(
        manifest=MANIFEST_VERSION,
        kind="layer",
        tool=f"lambda-layer-build {__version__}",
        target=target_facts(staged.target),
        zip=zip_facts(zipped.path, digests, zipped.unzipped_bytes, zipped.files),
        compression_level=config.compression_level,
        compressor=compressor_id(zipped.backend),
        bytecode=bytecode is not None and bytecode.compiled,
        source=source,
        distributions=tuple(ManifestDistribution(kept.name, kept.version, kept.files, kept.unzipped_bytes)
                            for kept in zipped.kept),
        excluded=exclusions(zipped.excluded, config.exclude_packages),
    )


def _report(zip_path: Path, manifest: LayerManifest, config: LayerConfig, reporter: Reporter) -> None:
    """With ``--report``, the HTML page of the zip beside it (under the lock, so it is this zip's)."""
    if config.report:
        from shared_core.pack.html_report import write_report  # only when asked: the up-to-date path loads none of it

        reporter.info(f"report: {write_report(zip_path, manifest)}")


def _snapshot(zip_path: Path, wanted: bool) -> Optional[LayerSnapshot]:
    """The zip's private copy, checked against the sha256 its build recorded (while the lock is held)."""
    if not wanted:
        return None
    from shared_core.publish.snapshot import take_snapshot

    return take_snapshot(zip_path, recorded_sha256(zip_path), read_fingerprint(zip_path))
