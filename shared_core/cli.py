"""``lambda-layer build`` / ``lambda-layer publish``: the console script for pip and uv projects (and any other)."""

from __future__ import annotations

import argparse
import sys
import traceback
from pathlib import Path
from typing import List, Optional

from shared_core.config import MAX_COMPRESSION_LEVEL, LayerConfig, apply_options, load_config, split_option_values
from shared_core.errors import ConfigError, LayerError, user_error
from shared_core.lambda_runtime import ARCHITECTURE_ALIASES, ARCHITECTURES
from shared_core.paths import LayerBuildToolEnum
from shared_core.reporting import PrintReporter
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


def add_build_options(command: argparse.ArgumentParser) -> None:
    """The build options, shared by ``build`` and ``publish`` (which builds first when needed)."""
    command.add_argument("--version", action="version", version=f"lambda-layer-build {__version__}")
    command.add_argument("--project", help="project directory or its pyproject.toml (default: the nearest pyproject.toml at or above the working directory)")
    command.add_argument("--tool", choices=[tool.value for tool in LayerBuildToolEnum], help="pin source; detected from poetry.lock, uv.lock, requirements.txt when omitted")
    command.add_argument("--python", dest="python_version", metavar="X.Y", help="Lambda Python version (3.9-3.14)")
    aliases = ", ".join(sorted(ARCHITECTURE_ALIASES))
    command.add_argument("--arch", dest="architecture", metavar="ARCH", help=f"Lambda architecture: {' or '.join(ARCHITECTURES)} (aliases: {aliases})")
    command.add_argument("--exclude", action="append", metavar="NAME", help="also exclude this distribution (name or glob; repeatable)")
    command.add_argument("--no-default-excludes", action="store_true", help="do not exclude boto3, botocore, pip, setuptools, ...")
    command.add_argument("-o", "--output", metavar="PATH", help="zip path, or a directory (existing, or ending in /) to put layer.zip in (default: build/lambda/layer/layer.zip)")
    command.add_argument("--force", action="store_true", help="rebuild even when the inputs are unchanged")
    command.add_argument("--no-compile", action="store_true", help="ship no bytecode")
    command.add_argument("--installer", choices=["uv", "pip"], help="installer (default: uv)")
    command.add_argument("-E", "--extras", action="append", metavar="EXTRA", help="extras to include (repeatable or comma-separated)")
    command.add_argument("--all-extras", action="store_true", help="include every extra")
    command.add_argument("--with", dest="with_groups", action="append", metavar="GROUP", help="also include these dependency groups")
    command.add_argument("--without", dest="without_groups", action="append", metavar="GROUP", help="leave out these dependency groups")
    command.add_argument("--only", dest="only_groups", action="append", metavar="GROUP", help="only these dependency groups")
    command.add_argument("--all-groups", action="store_true", help="include every dependency group")
    command.add_argument("--compression-level", metavar=f"0-{MAX_COMPRESSION_LEVEL}", help="deflate level (default 9)")
    command.add_argument("--allow-oversize", action="store_true", help="write a layer over Lambda's 250 MB unzipped limit")
    command.add_argument("--drop-package-tests", action="store_true", help="leave out the test suites packages ship inside themselves (pandas/tests, ...)")
    command.add_argument("--allow-invalid-python", action="store_true", help="ship modules the target Python cannot compile as source (a warning, and an incomplete layer) instead of failing")
    command.add_argument("-v", "--verbose", action="store_true", help="show every pin and exclusion, the installer's whole output on failure")
    command.add_argument("-q", "--quiet", action="store_true", help="print warnings and errors only")


def add_publish_options(command: argparse.ArgumentParser) -> None:
    """``[tool.lambda-layer.publish]`` on the command line; given options win over the table."""
    command.add_argument("--layer-name", metavar="NAME", help="layer name (default: <project>-py<XY>-<arch>)")
    command.add_argument("--s3-bucket", metavar="BUCKET", help="upload through this bucket (needed over 50 MB zipped)")
    command.add_argument("--s3-prefix", metavar="PREFIX", help="key prefix in the bucket (default: lambda-layer/)")
    command.add_argument("--region", metavar="REGION", help="AWS Region (default: boto3's, e.g. AWS_REGION)")
    command.add_argument("--profile", metavar="PROFILE", help="AWS profile (default: boto3's, e.g. AWS_PROFILE)")
    command.add_argument("--description", metavar="TEXT", help="layer version description (tool version and build fingerprint are appended)")
    command.add_argument("--license-info", metavar="TEXT", help="layer version license info")
    command.add_argument("--share-with", action="append", metavar="ID", help="AWS account ID or organization ID (o-...) allowed to use the version (repeatable or comma-separated)")
    command.add_argument("--timeout", metavar="SECONDS", help="seconds to wait for AWS to connect and to answer each call (default: 60)")
    command.add_argument("--dry-run", action="store_true", help="say what would be uploaded and published; change nothing in AWS")


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="lambda-layer", description="Build an AWS Lambda layer zip of a project's locked runtime dependencies.")
    root.add_argument("--version", action="version", version=f"lambda-layer-build {__version__}")
    commands = root.add_subparsers(dest="command", required=True)
    add_build_options(commands.add_parser("build", help="pin, install for the Lambda runtime, exclude, slim and zip"))
    publish = commands.add_parser("publish", help="build if needed, then upload and publish a layer version (only when the layer changed)")
    add_build_options(publish)
    add_publish_options(publish)
    return root


def _config(args: argparse.Namespace, pyproject: Path) -> LayerConfig:
    return apply_options(
        load_config(pyproject),
        python_version=args.python_version,
        architecture=args.architecture,
        exclude=split_option_values(args.exclude),
        no_default_excludes=args.no_default_excludes,
        output=args.output,
        no_compile=args.no_compile,
        installer=args.installer,
        extras=split_option_values(args.extras),
        all_extras=args.all_extras,
        with_groups=split_option_values(args.with_groups),
        without_groups=split_option_values(args.without_groups),
        only_groups=split_option_values(args.only_groups),
        all_groups=args.all_groups,
        compression_level=args.compression_level,
        allow_oversize=args.allow_oversize,
        drop_package_tests=args.drop_package_tests,
        allow_invalid_python=args.allow_invalid_python,
    )


def _publish(args: argparse.Namespace, pyproject: Path, config: LayerConfig, tool: Optional[LayerBuildToolEnum],
             reporter: PrintReporter) -> Optional[str]:
    from shared_core.publish.publisher import build_and_publish, load_publish_settings
    from shared_core.publish.settings import apply_publish_options

    settings = apply_publish_options(
        load_publish_settings(pyproject),
        layer_name=args.layer_name,
        s3_bucket=args.s3_bucket,
        s3_prefix=args.s3_prefix,
        region=args.region,
        profile=args.profile,
        description=args.description,
        license_info=args.license_info,
        share_with=split_option_values(args.share_with),
        timeout=args.timeout,
    )
    result = build_and_publish(pyproject, config, settings, reporter, build_tool=tool, force=args.force,
                               dry_run=args.dry_run)
    return result.layer_version_arn


def main(argv: Optional[List[str]] = None) -> int:
    args = parser().parse_args(argv)
    reporter = PrintReporter(verbose=args.verbose, quiet=args.quiet)
    try:
        from shared_core.pipeline import build_layer

        pyproject = project_pyproject(args.project, Path.cwd())
        config = _config(args, pyproject)
        tool = LayerBuildToolEnum(args.tool) if args.tool else None
        if args.command == "publish":
            arn = _publish(args, pyproject, config, tool, reporter)
            if arn:  # the last line on stdout, also with -q: scripts capture it
                print(arn)
            return 0
        outcome = build_layer(pyproject, config, reporter, build_tool=tool, force=args.force)
    except LayerError as error:
        reporter.end_progress()
        if args.verbose and error.details:
            print(error.details, file=sys.stderr)
        print(f"error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        reporter.end_progress()
        print("error: interrupted; the previous layer.zip (if any) is unchanged.", file=sys.stderr)
        return 130
    except Exception as exc:  # the contract: one paragraph for what the user can fix, a traceback for a bug
        error = user_error(exc)
        if args.verbose:
            traceback.print_exc()
        if error is None:
            print(
                f"error: internal error ({type(exc).__name__}: {exc}). This is a bug in lambda-layer-build: run "
                "again with -v for the traceback and report it.", file=sys.stderr,
            )
        else:
            print(f"error: {error}", file=sys.stderr)
        return 1
    if not args.quiet:
        print(outcome.path)
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
