"""``lambda-layer build|manifest|publish|diff|versions|prune``: the console script for pip and uv projects (and any other)."""

from __future__ import annotations

import argparse
import sys
import traceback
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Sequence, Type

from shared_core.errors import ConfigError, LayerError, failure_of
from shared_core.layout import LayerBuildToolEnum
from shared_core.pipeline.project import Project
from shared_core.settings.declaration import Action, Settings
from shared_core.settings.function import UPLOAD_SETTINGS, FunctionSettings
from shared_core.settings.layer import LayerConfig
from shared_core.settings.publish import PublishSettings
from shared_core.support.reporting import PrintReporter
from shared_core.version import __version__

#: What marks a project directory when looking upwards from the working directory.
PROJECT_MARKERS = ("pyproject.toml", "requirements.txt")


def find_project(start: Path) -> Path:
    """The nearest directory at or above ``start`` holding a pyproject.toml (or, for a pip project
    without one, a requirements.txt), as Poetry and uv find theirs; ``start`` itself when none does."""
    start = start.resolve()
    for marker in PROJECT_MARKERS:
        for directory in (start, *start.parents):
            if (directory / marker).is_file():
                return directory
    return start


def project_pyproject(project: Optional[str], cwd: Path) -> Path:
    """``--project`` (a directory or its pyproject.toml) or the discovered project, as a pyproject path."""
    if project is None:
        return find_project(cwd) / "pyproject.toml"
    path = Path(project).expanduser()
    if not path.exists():
        raise ConfigError(f"--project {project}: no such file or directory. Pass the project's directory or its pyproject.toml.")
    if path.is_dir():
        return path / "pyproject.toml"
    if path.name != "pyproject.toml":
        raise ConfigError(f"--project {project} is a file but not a pyproject.toml. Pass the project's directory or its pyproject.toml.")
    return path


def add_settings(command: argparse.ArgumentParser, cls: Type[Settings], only: Optional[Sequence[str]] = None) -> None:
    """One option per setting ``cls`` declares with a flag (``only``: of these attributes), as its declaration says."""
    for setting in cls.settings():
        if not setting.on_command_line or (only is not None and setting.attribute not in only):
            continue
        names = [name for name in (setting.short, setting.flag) if name]
        dest = _dest(cls, setting.attribute)
        if setting.action in (Action.ENABLE, Action.DISABLE):
            command.add_argument(*names, dest=dest, action="store_true", help=setting.help)
        else:
            repeat = {"action": "append"} if setting.action in (Action.LIST, Action.EXTEND) else {}
            command.add_argument(*names, dest=dest, metavar=setting.metavar, help=setting.help, **repeat)


def _dest(cls: Type[Settings], attribute: str) -> str:
    """Where argparse keeps a setting's value: per class, since two classes may name a setting alike
    (the layer's ``output`` is ``--output``, the function's ``--function-output``)."""
    return f"{cls.__name__}.{attribute}"


def given_settings(args: argparse.Namespace, cls: Type[Settings]) -> Dict[str, Any]:
    """``{attribute: value}`` of ``cls``'s settings as the command line gave them (falsy: not given)."""
    return {setting.attribute: getattr(args, _dest(cls, setting.attribute)) for setting in cls.settings()
            if setting.on_command_line and hasattr(args, _dest(cls, setting.attribute))}


def add_build_options(command: argparse.ArgumentParser, tool_version: bool = True) -> None:
    """The build options, shared by ``build``, ``publish`` and ``diff`` (which build first when needed);
    ``diff`` takes ``--version N`` for a layer version instead of the tool's."""
    if tool_version:
        command.add_argument("--version", action="version", version=f"lambda-layer-build {__version__}")
    command.add_argument("--project", help="project directory or its pyproject.toml (default: the nearest pyproject.toml at or above the working directory)")
    command.add_argument("--tool", choices=[tool.value for tool in LayerBuildToolEnum], help="pin source; detected from poetry.lock, uv.lock, requirements.txt when omitted")
    command.add_argument("--force", action="store_true", help="rebuild even when the inputs are unchanged")
    add_settings(command, LayerConfig)
    command.add_argument("-v", "--verbose", action="store_true", help="show every pin and exclusion, the installer's whole output on failure")
    command.add_argument("-q", "--quiet", action="store_true", help="print warnings and errors only")


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="lambda-layer", description="Build an AWS Lambda layer zip of a project's locked runtime dependencies.")
    root.add_argument("--version", action="version", version=f"lambda-layer-build {__version__}")
    commands = root.add_subparsers(dest="command", required=True)
    add_build_options(commands.add_parser("build", help="pin, install for the Lambda runtime, exclude, slim and zip"))
    add_build_options(commands.add_parser(
        "manifest", help="build if needed, then print each target's manifest as one line of JSON (for scripts)"))
    publish = commands.add_parser("publish", help="build if needed, then upload and publish a layer version (only when the layer changed)")
    add_build_options(publish)
    add_settings(publish, PublishSettings)
    publish.add_argument("--dry-run", action="store_true", help="say what would be uploaded and published; change nothing in AWS")
    function = commands.add_parser(
        "function", help="build the layer if needed, then the function zip of the project's own code, checked against it")
    add_build_options(function)
    add_settings(function, FunctionSettings)
    add_settings(function, PublishSettings, only=UPLOAD_SETTINGS)
    function.add_argument("--upload", action="store_true",
                          help="also put the function zip at s3://BUCKET/PREFIX/FUNCTION/<sha256>.zip and print its URI")
    function.add_argument("--dry-run", action="store_true", help="with --upload: say what would be uploaded; change nothing")
    diff = commands.add_parser("diff", help="build if needed, then print what changed from a published version "
                                            "(default: the latest) to the local layer")
    add_build_options(diff, tool_version=False)
    add_settings(diff, PublishSettings)
    diff.add_argument("--version", "--layer-version", dest="layer_version", type=_count, metavar="N",
                      help="the layer version to compare with (default: the latest)")
    versions = commands.add_parser("versions", help="list each target's layer versions: date, size, runtimes, "
                                                    "architectures, summary")
    add_layer_options(versions)
    prune = commands.add_parser("prune", help="delete old layer versions: never the latest, never one a function "
                                              "in the account and Region uses")
    add_layer_options(prune)
    prune.add_argument("--keep", type=_count, required=True, metavar="N", help="keep the N newest versions (N >= 1)")
    prune.add_argument("--older-than", type=float, metavar="DAYS",
                       help="delete only versions created more than DAYS days ago")
    prune.add_argument("--yes", action="store_true", help="delete without asking (otherwise asked on a terminal, "
                                                          "and nothing is deleted elsewhere)")
    return root


def _count(value: str) -> int:
    """A whole number for ``--version`` / ``--keep``; argparse says which option was wrong."""
    try:
        return int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number, got {value!r}") from None


def add_layer_options(command: argparse.ArgumentParser) -> None:
    """What names each target's layer without building it: the project, the target, the publish settings."""
    command.add_argument("--project", help="project directory or its pyproject.toml (default: the nearest "
                                           "pyproject.toml at or above the working directory)")
    add_settings(command, LayerConfig, only=("python_version", "architecture"))
    add_settings(command, PublishSettings)
    command.add_argument("-v", "--verbose", action="store_true", help="say more")
    command.add_argument("-q", "--quiet", action="store_true", help="print warnings, errors and the result only")


def _confirm(yes: bool) -> Callable[[str], bool]:
    """``--yes``, else the user's answer on a terminal; elsewhere nothing is deleted."""
    def confirm(question: str) -> bool:
        if yes:
            return True
        if not sys.stdin.isatty():
            return False
        return input(f"{question} [y/N] ").strip().lower() in ("y", "yes")
    return confirm


def _run_versions(args: argparse.Namespace, project: Project, config: LayerConfig, reporter: PrintReporter) -> int:
    """``diff``, ``versions`` and ``prune``; their result lines on stdout, also with -q."""
    from shared_core.pipeline import version_commands

    settings = project.publish_settings(given_settings(args, PublishSettings))
    if args.command == "diff":
        tool = LayerBuildToolEnum(args.tool) if args.tool else None
        lines = version_commands.diff_layers(project, config, settings, reporter, version=args.layer_version,
                                             build_tool=tool, force=args.force)
    elif args.command == "versions":
        lines = version_commands.version_tables(project, config, settings)
    else:
        version_commands.prune_layers(project, config, settings, reporter, keep=args.keep,
                                      older_than_days=args.older_than, confirm=_confirm(args.yes))
        lines = []
    for line in lines:
        print(line, flush=True)
    return 0


def _run(args: argparse.Namespace, reporter: PrintReporter) -> int:
    project = Project.load(project_pyproject(args.project, Path.cwd()))
    config = project.layer_config(given_settings(args, LayerConfig))
    if args.command in ("diff", "versions", "prune"):
        return _run_versions(args, project, config, reporter)
    tool = LayerBuildToolEnum(args.tool) if args.tool else None
    if args.command == "function":
        from shared_core.pipeline.function_build import build_functions

        settings = project.function_settings(given_settings(args, FunctionSettings))
        upload = project.publish_settings(given_settings(args, PublishSettings)) if args.upload else None
        for outcome in build_functions(project, config, settings, reporter, build_tool=tool, force=args.force,
                                       upload=upload, dry_run=args.dry_run):
            if outcome.s3_uri:  # with --upload, the URIs are the last lines on stdout, also with -q
                print(outcome.s3_uri)
            elif not args.quiet:
                print(outcome.path)
        return 0
    if args.command == "publish":
        from shared_core.pipeline.layer_publish import build_and_publish

        settings = project.publish_settings(given_settings(args, PublishSettings))
        results = build_and_publish(project, config, settings, reporter, build_tool=tool, force=args.force,
                                    dry_run=args.dry_run)
        for result in results:  # the last lines on stdout, one per target, also with -q: scripts capture them
            if result.layer_version_arn:
                print(result.layer_version_arn)
        return 0
    from shared_core.pipeline.layer_build import build_layers

    builds = build_layers(project, config, reporter, build_tool=tool, force=args.force)
    for outcome in builds.outcomes:
        if args.command == "manifest":
            print(outcome.manifest.to_line() if outcome.manifest else "null", flush=True)
        elif not args.quiet:
            print(outcome.path)
    builds.raise_failures()
    return 0


def main(argv: Optional[List[str]] = None) -> int:
    args = parser().parse_args(argv)
    # `manifest` keeps stdout for the JSON: the build says only warnings (and, with -v, everything) on stderr
    quiet = args.quiet or (args.command == "manifest" and not args.verbose)
    reporter = PrintReporter(verbose=args.verbose, quiet=quiet, stdout=sys.stderr if args.command == "manifest" else None)
    try:
        return _run(args, reporter)
    except (Exception, KeyboardInterrupt) as exc:  # one paragraph for what the user can fix, a traceback for a bug
        failure = failure_of(exc, publishing=args.command == "publish")
        if args.verbose and not isinstance(exc, (LayerError, KeyboardInterrupt)):
            reporter.end_progress()
            traceback.print_exc()
        if failure is None:
            reporter.error(f"error: internal error ({type(exc).__name__}: {exc}). This is a bug in lambda-layer-build: "
                           "run again with -v for the traceback and report it.")
            return 1
        if args.verbose and failure.details:
            reporter.error(failure.details)
        reporter.error(f"error: {failure.message}")
        return failure.exit_code


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
