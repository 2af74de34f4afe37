"""``make mutants``: mutation testing of the modules that guard the project's promises, with mutmut.

Each module is mutated on its own, in a copy of the checkout under ``build/mutants/<module>/``
(mutmut reads its settings from the copy's pyproject.toml, so the real one stays clean), and
each mutant is checked only by the tests that guard that module: its tests under tests/core/ and the few
end-to-end tests that call it in process. Prints the kill rate per module and every survivor
(``cd build/mutants/<module> && ../../../.venv/bin/mutmut show <name>`` shows its diff).

    .venv/bin/python tools/mutants.py                      # every module below
    .venv/bin/python tools/mutants.py shared_core/support/names.py # one module
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Sequence, Tuple

REPO = Path(__file__).resolve().parent.parent
WORK = REPO / "build" / "mutants"
COPIED = ("shared_core", "hatch_lambda_layer", "poetry_lambda_layer", "tests", "pyproject.toml", "README.md")
WORKERS = 2

#: Module -> the tests that guard it (pytest arguments, relative to the checkout).
MODULES: Dict[str, Tuple[str, ...]] = {
    # tests/core as a whole where the old grab-bag module of the core's tests guarded a module: a superset
    "shared_core/lambda_runtime.py": ("tests/core", "tests/e2e/test_interpreters.py", "tests/e2e/test_audit.py",
                                      # LAYER_PYTHON_DIR: the path compiled into the layer's bytecode
                                      "tests/e2e/test_pipeline.py::test_bytecode_is_valid_from_read_only_copy"),
    "shared_core/install/audit.py": ("tests/core/install/test_audit.py", "tests/e2e/test_audit.py"),
    "shared_core/pipeline/fingerprint.py": ("tests/core", "tests/e2e/test_fingerprint.py", "tests/e2e/test_outputs.py",
                                   "tests/e2e/test_robustness.py::test_symlinked_output_is_neither_replaced_nor_written_through"),
    "shared_core/pipeline/outputs.py": ("tests/e2e/test_outputs.py",
                                 "tests/e2e/test_robustness.py::test_symlinked_output_is_neither_replaced_nor_written_through"),
    "shared_core/support/digests.py": ("tests/core", "tests/e2e/test_fingerprint.py"),
    "shared_core/support/atomic_file.py": ("tests/core",),
    "shared_core/pack/exclusion.py": ("tests/core/pack/test_exclusion.py", "tests/e2e/test_zipper.py",
                                      "tests/e2e/test_limits.py::test_every_default_exclusion_is_left_out_before_install",
                                      "tests/e2e/test_verify_layer.py"),
    "shared_core/pack/closure.py": ("tests/core/pack/test_closure.py", "tests/e2e/test_verify_layer.py"),
    "shared_core/pack/slimming.py": ("tests/core/pack/test_slimming.py", "tests/e2e/test_zipper.py", "tests/e2e/test_verify_layer.py"),
    "shared_core/support/names.py": ("tests/core",),
    "shared_core/pins/indexes.py": ("tests/core", "tests/e2e/test_credentials.py"),
    "shared_core/pack/size_report.py": ("tests/core/pack/test_size_report.py", "tests/core/support/test_sizes.py",
                                        "tests/e2e/test_limits.py"),
    "shared_core/pack/zip_format.py": ("tests/core/pack/test_zip_writer.py",),
    "shared_core/support/deflate.py": ("tests/core/pack/test_zip_writer.py", "tests/core/pack/test_member_cache.py"),
    "shared_core/pack/zip_writer.py": ("tests/core/pack/test_zip_writer.py", "tests/core/pack/test_member_cache.py",
                                       "tests/core/pack/test_compress_ahead.py",
                                       "tests/core/pipeline/test_lock.py::test_what_a_writer_killed_mid_write_leaves_is_what_the_next_build_removes",
                                       "tests/e2e/test_robustness.py::test_a_failed_write_of_the_zip_is_one_paragraph_and_keeps_the_old_zip"),
}

_SAME_ON_UTF8 = "the text is ASCII metadata and the locale is UTF-8: the same text either way"
_CHUNK = "reading in other chunk sizes gives the same digest"
_BUFFER = "the size of the write buffer (or none) does not change the bytes written"

#: Surviving mutants that cannot change behaviour, with the reason (reviewed by hand). A name that
#: drifts after a code change shows up as an unexplained survivor again, to be reviewed anew.
EQUIVALENT: Dict[str, str] = {
    "shared_core.lambda_runtime.x_normalize_python_version__mutmut_8": "any non-version value fails the same membership test",
    "shared_core.lambda_runtime.x_normalize_python_version__mutmut_9": "any non-version value fails the same membership test",
    "shared_core.lambda_runtime.x__parse_version__mutmut_10": "the ValueError's text is never shown; callers replace it",
    "shared_core.lambda_runtime.xǁLambdaTargetǁcreate__mutmut_23": "the default is lower-cased by normalize_architecture",
    "shared_core.lambda_runtime.xǁLambdaTargetǁaccepts_platform_tag__mutmut_15":
        "no legacy manylinux alias's glibc (2.5, 2.12, 2.17) equals a runtime's (2.26, 2.34)",
    "shared_core.lambda_runtime.xǁLambdaTargetǁextension_suffix_ok__mutmut_17": "abi3 also falls through to `return True`",
    "shared_core.lambda_runtime.xǁLambdaTargetǁextension_suffix_ok__mutmut_18": "abi3 also falls through to `return True`",
    "shared_core.install.audit.x_wheel_tag_problems__mutmut_9": _SAME_ON_UTF8,
    "shared_core.install.audit.x_wheel_tag_problems__mutmut_11": _SAME_ON_UTF8,
    "shared_core.install.audit.x_wheel_tag_problems__mutmut_14": "codec names are case-insensitive",
    "shared_core.install.audit.x_wheel_tag_problems__mutmut_21": "email header names are case-insensitive",
    "shared_core.install.audit.x_wheel_tag_problems__mutmut_22": "email header names are case-insensitive",
    "shared_core.pins.indexes.xǁPackageIndexǁurl_with_credentials__mutmut_10": "rsplit(...)[-1] is the last part whatever maxsplit",
    "shared_core.pins.indexes.xǁPackageIndexǁurl_with_credentials__mutmut_13": "rsplit(...)[-1] is the last part whatever maxsplit",
    "shared_core.pins.indexes.xǁPackageIndexǁurl_with_credentials__mutmut_23": "quote() never escapes the letter X",
    "shared_core.pins.indexes.xǁPackageIndexǁurl_with_credentials__mutmut_32": "quote() never escapes the letter X",
    "shared_core.pins.indexes.x_mask_credentials__mutmut_35": "quote() never escapes the letter X",
    "shared_core.support.digests.x_file_sha256__mutmut_13": _CHUNK,
    "shared_core.support.digests.x_file_sha256__mutmut_15": _CHUNK,
    "shared_core.support.digests.x_file_sha256__mutmut_16": _CHUNK,
    # zip_writer: sizes and settings that never change the archive's bytes
    "shared_core.pack.zip_format.x_local_header__mutmut_5": "needs a member that deflates to exactly 4 GiB",
    **{f"shared_core.pack.zip_writer.x_write_deterministic_zip__mutmut_{n}":
       "a level-0 compressor's output is never smaller than its input, so the member is stored anyway"
       for n in (11, 16)},
    **{f"shared_core.pack.zip_writer.x_write_deterministic_zip__mutmut_{n}": _BUFFER for n in (68, 71, 72, 73)},
}

_RESULT = re.compile(r"^\s+(?P<name>\S+): (?P<status>.+)$")
KILLED = {"killed", "timeout"}  # a mutant that hangs the tests is caught too


@dataclass(frozen=True)
class ModuleResult:
    module: str
    statuses: Dict[str, str]
    seconds: float

    @property
    def killed(self) -> int:
        return sum(status in KILLED for status in self.statuses.values())

    @property
    def survivors(self) -> List[str]:
        return sorted(name for name, status in self.statuses.items() if status not in KILLED)

    @property
    def unexplained(self) -> List[str]:
        return [name for name in self.survivors if name not in EQUIVALENT]

    @property
    def rate(self) -> float:
        return 100.0 * self.killed / len(self.statuses) if self.statuses else 100.0

    @property
    def equivalent(self) -> int:
        """Survivors registered as unable to change behaviour."""
        return len(self.survivors) - len(self.unexplained)

    @property
    def rate_of_non_equivalent(self) -> float:
        """Killed among the mutants that could change behaviour."""
        relevant = len(self.statuses) - self.equivalent
        return 100.0 * self.killed / relevant if relevant else 100.0


def _slug(module: str) -> str:
    return module.replace("/", "_").removesuffix(".py")


def prepare(module: str, tests: Sequence[str]) -> Path:
    """A fresh copy of the checkout whose pyproject.toml tells mutmut what to mutate and run."""
    work = WORK / _slug(module)
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for name in COPIED:
        source = REPO / name
        if source.is_dir():
            shutil.copytree(source, work / name, ignore=ignore)
        else:
            shutil.copy2(source, work / name)
    quoted = ", ".join(f'"{test}"' for test in tests)
    # mutmut copies the source path and tests/ itself, and reads the copy's pyproject.toml
    also_copy = ", ".join(f'"{name}"' for name in COPIED if name not in ("shared_core", "tests", "pyproject.toml"))
    with open(work / "pyproject.toml", "a", encoding="utf-8") as pyproject:
        pyproject.write(
            "\n[tool.mutmut]\n"
            'source_paths = ["shared_core"]\n'
            f'only_mutate = ["{module}"]\n'
            f"also_copy = [{also_copy}]\n"
            f"pytest_add_cli_args_test_selection = [{quoted}]\n"
            'pytest_add_cli_args = ["-p", "no:cacheprovider", "-q", "-x"]\n'
            "use_git_change_detection = false\n"
            # a mutant that loops forever is caught after 5x the clean run's time, not mutmut's default 15x
            "timeout_multiplier = 5.0\n"
        )
    return work


def run_module(module: str, tests: Sequence[str], wheelhouse: Path) -> ModuleResult:
    started = time.monotonic()
    work = prepare(module, tests)
    mutmut = [sys.executable, "-m", "mutmut"]
    env = {**os.environ, "LAMBDA_LAYER_TEST_WHEELHOUSE": str(wheelhouse)}
    with open(work / "mutmut.log", "w", encoding="utf-8") as log:
        subprocess.run([*mutmut, "run", "--max-children", str(WORKERS)], cwd=work, env=env, stdout=log,
                       stderr=subprocess.STDOUT, check=False)
    listed = subprocess.run([*mutmut, "results", "--all", "true"], cwd=work, env=env, capture_output=True, text=True,
                            check=False)
    statuses = {m["name"]: m["status"].strip() for m in map(_RESULT.match, listed.stdout.splitlines()) if m}
    return ModuleResult(module, statuses, time.monotonic() - started)


def build_wheelhouse() -> Path:
    """One wheelhouse for every mutant's test session (each would otherwise build its own)."""
    sys.path.insert(0, str(REPO))
    from tests.helpers.wheelfactory import build_wheelhouse as build

    target = WORK / "wheelhouse"
    shutil.rmtree(target, ignore_errors=True)
    return build(target)


def report(results: Sequence[ModuleResult]) -> str:
    width = max(len(result.module) for result in results)
    lines = [f"{'module':<{width}}  mutants  killed  equivalent  unexplained  kill rate  (of non-equivalent)   time"]
    for result in results:
        counts = Counter(result.statuses.values())
        lines.append(
            f"{result.module:<{width}}  {len(result.statuses):>7}  {result.killed:>6}  {result.equivalent:>10}  "
            f"{len(result.unexplained):>11}  {result.rate:>8.1f}%  {result.rate_of_non_equivalent:>17.1f}%  "
            f"{result.seconds:>5.0f} s" + ("" if set(counts) <= KILLED | {"survived"} else f"  ({dict(counts)})")
        )
    for result in results:
        for name in result.unexplained:
            lines.append(f"  {result.statuses[name]}, unexplained: {name}")
    return "\n".join(lines)


def main(argv: Sequence[str]) -> int:
    chosen = list(argv) or list(MODULES)
    unknown = [module for module in chosen if module not in MODULES]
    if unknown:
        print(f"unknown module(s): {', '.join(unknown)}; choose from: {', '.join(MODULES)}", file=sys.stderr)
        return 2
    if importlib.util.find_spec("mutmut") is None:
        print("mutmut is not installed in this interpreter: run `make mutants` (it installs mutmut into .venv).",
              file=sys.stderr)
        return 2
    wheelhouse = build_wheelhouse()
    results = []
    for module in chosen:
        result = run_module(module, MODULES[module], wheelhouse)
        if not result.statuses:  # a run that mutated nothing measured nothing: never a 100% kill rate
            print(f"{module}: mutmut reported no mutants; see {WORK / _slug(module) / 'mutmut.log'}", file=sys.stderr)
            return 1
        print(f"{module}: {result.killed}/{len(result.statuses)} killed ({result.rate:.1f}%) in {result.seconds:.0f} s",
              flush=True)
        results.append(result)
    print(report(results))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
