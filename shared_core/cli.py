"""``lambda-layer build``: the console script for pip and uv projects (and any other)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import List, Optional

from .config import MAX_COMPRESSION_LEVEL, apply_options, load_config, split_option_values
from .errors import LayerError
from .paths import LayerBuildToolEnum
from .pins.extras import EXTRAS_KEY
from .reporting import PrintReporter


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="lambda-layer", description="Build an AWS Lambda layer zip of a project's locked runtime dependencies.")
    commands = root.add_subparsers(dest="command", required=True)
    build = commands.add_parser("build", help="pin, install for the Lambda runtime, exclude, slim and zip")
    build.add_argument("--project", default=".", help="project directory or its pyproject.toml (default: .)")
    build.add_argument("--tool", choices=[tool.value for tool in LayerBuildToolEnum], help="pin source; detected from poetry.lock, uv.lock, requirements.txt when omitted")
    build.add_argument("--python", dest="python_version", metavar="X.Y", help="Lambda Python version (3.9-3.14)")
    build.add_argument("--arch", dest="architecture", choices=["x86_64", "arm64"], help="Lambda architecture")
    build.add_argument("--exclude", action="append", metavar="NAME", help="also exclude this distribution (name or glob; repeatable)")
    build.add_argument("--no-default-excludes", action="store_true", help="do not exclude boto3, botocore, pip, setuptools, ...")
    build.add_argument("--output", metavar="PATH", help="zip path (default: build/lambda/layer/layer.zip)")
    build.add_argument("--force", action="store_true", help="rebuild even when the inputs are unchanged")
    build.add_argument("--no-compile", action="store_true", help="ship no bytecode")
    build.add_argument("--installer", choices=["uv", "pip"], help="installer (default: uv)")
    build.add_argument("-E", "--extras", action="append", metavar="EXTRA", help="extras to include (repeatable or comma-separated)")
    build.add_argument("--all-extras", action="store_true", help="include every extra")
    build.add_argument("--with", dest="with_groups", action="append", metavar="GROUP", help="also include these dependency groups")
    build.add_argument("--without", dest="without_groups", action="append", metavar="GROUP", help="leave out these dependency groups")
    build.add_argument("--only", dest="only_groups", action="append", metavar="GROUP", help="only these dependency groups")
    build.add_argument("--compression-level", metavar=f"0-{MAX_COMPRESSION_LEVEL}", help="deflate level (default 9)")
    build.add_argument("--allow-oversize", action="store_true", help="write a layer over Lambda's 250 MB unzipped limit")
    build.add_argument("--drop-package-tests", action="store_true", help="leave out the test suites packages ship inside themselves (pandas/tests, ...)")
    build.add_argument("-v", "--verbose", action="store_true", help="show every pin and exclusion")
    build.add_argument("-q", "--quiet", action="store_true", help="print errors only")
    return root


def main(argv: Optional[List[str]] = None) -> int:
    args = parser().parse_args(argv)
    reporter = PrintReporter(verbose=args.verbose, quiet=args.quiet)
    try:
        from .pipeline import build_layer

        project = Path(args.project)
        pyproject = project if project.name == "pyproject.toml" else project / "pyproject.toml"
        config = apply_options(
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
            compression_level=args.compression_level,
            allow_oversize=args.allow_oversize,
            drop_package_tests=args.drop_package_tests,
        )
        tool = LayerBuildToolEnum(args.tool) if args.tool else None
        extras_name = "--extras" if args.extras else EXTRAS_KEY
        outcome = build_layer(pyproject, config, reporter, build_tool=tool, force=args.force, extras_name=extras_name)
    except LayerError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("error: interrupted; the previous layer.zip (if any) is unchanged.", file=sys.stderr)
        return 130
    if not args.quiet:
        print(outcome.path)
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
