"""The function zip beside the layer (issue 22): the project's own code, for the layer's target,
checked against its layers, and run the way Lambda runs it (/var/task, then /opt/python)."""

from __future__ import annotations

import json
import shutil
import subprocess
import zipfile
from pathlib import Path
from typing import Dict, List

import pytest
from hatchling.metadata.core import ProjectMetadata

from hatch_lambda_layer.function_builder import LambdaFunctionHatchBuilder
from shared_core import lambda_runtime
from shared_core.cli import main
from shared_core.lambda_runtime import LambdaTarget
from shared_core.support.toolchain import find_interpreter
from tests.helpers.hatch_projects import to_toml, write_project

FUNCTION = Path("build/lambda/function/function.zip")
LAYER = Path("build/lambda/layer/layer.zip")
HANDLER = '''import json
import six


def handler(event, context):
    return {"six": six.__name__, "event": event}
'''


def hatch_config(**function: object) -> Dict[str, object]:
    return {
        "build-system": {"requires": ["hatchling"], "build-backend": "hatchling.build"},
        "project": {"name": "demo-fn", "version": "1.0", "requires-python": ">=3.12", "dependencies": ["six"]},
        "tool": {
            "lambda-layer": {"python-version": "3.12", "function": {"handler": "app.main.handler", **function}},
            "hatch": {"build": {"targets": {"wheel": {"packages": ["src/app"]}}}},
        },
    }


def write_code(root: Path) -> None:
    (root / "src/app").mkdir(parents=True)
    (root / "src/app/__init__.py").write_text("")
    (root / "src/app/main.py").write_text(HANDLER)


def members(path: Path) -> List[str]:
    with zipfile.ZipFile(path) as archive:
        return sorted(archive.namelist())


def invoke(function_zip: Path, layer_zip: Path, handler: str, event: object, tmp_path: Path) -> object:
    """Unzip as Lambda does (/var/task, /opt) and call ``handler`` with the target's Python, isolated."""
    task, opt = tmp_path / "var/task", tmp_path / "opt"
    zipfile.ZipFile(function_zip).extractall(task)
    zipfile.ZipFile(layer_zip).extractall(opt)
    python = find_interpreter(LambdaTarget("3.12", "x86_64"))
    assert python, "the tests need a Python 3.12"
    module, _, name = handler.rpartition(".")
    code = (f"import importlib, json, sys; sys.path[:0] = [{str(task)!r}, {str(opt / 'python')!r}]; "
            f"print(json.dumps(getattr(importlib.import_module({module!r}), {name!r})(json.loads(sys.argv[1]), None)))")
    done = subprocess.run([python, "-I", "-S", "-c", code, json.dumps(event)], capture_output=True, text=True, check=True,
                          cwd=tmp_path)
    return json.loads(done.stdout)


@pytest.fixture
def seeded(core_env, seed_wheels, monkeypatch):
    """Offline, with the build backends (hatchling, poetry-core) a project's wheel is built with."""
    monkeypatch.setenv("UV_FIND_LINKS", f"{core_env['UV_FIND_LINKS']},{seed_wheels}")
    return core_env


@pytest.mark.in_process
def test_a_hatch_projects_function_holds_its_code_and_answers_an_event(seeded, tmp_path, capsys):
    root = write_project(tmp_path / "hatch-fn", hatch_config())
    write_code(root)
    config = hatch_config()
    builder = LambdaFunctionHatchBuilder(str(root), metadata=ProjectMetadata(str(root), None, config=config))
    [artifact] = list(builder.build())
    assert artifact == str(root.resolve() / FUNCTION)
    assert members(root / FUNCTION) == [
        "app/__init__.py", "app/__pycache__/__init__.cpython-312.pyc", "app/__pycache__/main.cpython-312.pyc",
        "app/main.py", "demo_fn-1.0.dist-info/INSTALLER", "demo_fn-1.0.dist-info/METADATA",
        "demo_fn-1.0.dist-info/RECORD", "demo_fn-1.0.dist-info/REQUESTED", "demo_fn-1.0.dist-info/WHEEL"]
    assert "six.py" in {name.rsplit("/", 1)[-1] for name in members(root / LAYER)}
    err = capsys.readouterr().err
    assert "handler app.main.handler: imports and is callable with Python 3.12 (" in err
    manifest = json.loads((root / "build/lambda/function/function.zip.json").read_text())
    assert (manifest["kind"], [d["name"] for d in manifest["distributions"]], manifest["source"]["file"]) == (
        "function", ["demo-fn"], ".")
    assert invoke(root / FUNCTION, root / LAYER, "app.main.handler", {"hello": 1}, tmp_path) == {
        "six": "six", "event": {"hello": 1}}
    with zipfile.ZipFile(root / FUNCTION) as archive:
        assert archive.comment == b"lambda-layer-build function zip"


def console_project(root: Path, files: Dict[str, str], function: str = "") -> Path:
    """A project without packaging: its handler files at its root, six in the layer."""
    root.mkdir(parents=True)
    (root / "pyproject.toml").write_text(
        '[project]\nname = "plain-fn"\nversion = "1"\nrequires-python = ">=3.12"\ndependencies = ["six"]\n'
        f'[tool.lambda-layer]\npython-version = "3.12"\n[tool.lambda-layer.function]\n{function}')
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


def function(project: Path, *args: str) -> int:
    return main(["function", "--project", str(project), "--tool", "hatch", *args])


@pytest.mark.in_process
def test_files_of_a_project_without_packaging_and_up_to_date(core_env, tmp_path, capsys):
    root = console_project(tmp_path / "plain", {"handler.py": HANDLER, "tests/test_handler.py": "x = 1\n"},
                           'handler = "handler.handler"\n')
    assert function(root) == 0
    assert members(root / FUNCTION) == ["__pycache__/handler.cpython-312.pyc", "handler.py"]
    first = (root / FUNCTION).read_bytes()
    capsys.readouterr()
    assert function(root) == 0
    assert "Function zip is up to date (inputs unchanged; --force rebuilds).\n" in capsys.readouterr().out
    (root / "handler.py").write_text(HANDLER + "\nVERSION = 2\n")
    assert function(root) == 0
    assert "up to date" not in capsys.readouterr().out.split("Layer is up to date")[-1]
    assert (root / FUNCTION).read_bytes() != first
    assert invoke(root / FUNCTION, root / LAYER, "handler.handler", 7, tmp_path) == {"six": "six", "event": 7}


@pytest.mark.in_process
def test_each_output_option_moves_its_own_zip(core_env, tmp_path, capsys):
    """--function-output is the function's, --output the layer's (the two settings are both named `output`)."""
    root = console_project(tmp_path / "outputs", {"handler.py": HANDLER})
    assert function(root, "--function-output", "dist/fn.zip") == 0
    assert (root / "dist/fn.zip").is_file() and (root / LAYER).is_file() and not (root / FUNCTION).exists()
    assert members(root / "dist/fn.zip") == ["__pycache__/handler.cpython-312.pyc", "handler.py"]
    assert function(root, "--output", "dist/layer.zip", "--function-output", "dist/fn.zip") == 0
    assert (root / "dist/layer.zip").read_bytes() == (root / LAYER).read_bytes()
    assert function(root, "--function-output", "pyproject.toml") == 1
    assert capsys.readouterr().err == (
        f"error: Cannot write the function zip to {root / 'pyproject.toml'}: it is the project's pyproject.toml "
        f"{root / 'pyproject.toml'}, which the zip would replace. Change --function-output.\n")


@pytest.mark.in_process
def test_a_function_that_vendors_a_layer_dependency_is_refused(core_env, tmp_path, capsys):
    root = console_project(tmp_path / "vendoring", {"handler.py": HANDLER, "six.py": "# a vendored copy\n"})
    assert function(root) == 1
    assert capsys.readouterr().err == (
        "error: The function holds what its layers hold too: module six (also in build/lambda/layer/layer.zip). Lambda "
        "imports whichever comes first on sys.path (the function's), so two copies ship and may disagree. Remove it "
        "from the function (a dependency belongs in the layer), or set `allow-overlap = true` (--allow-overlap) to "
        "ship both on purpose.\n")
    assert not (root / FUNCTION).exists()
    assert function(root, "--allow-overlap") == 0
    assert "warning: the function holds module six (also in build/lambda/layer/layer.zip) (allow-overlap)\n" in \
        capsys.readouterr().err
    assert "six.py" in members(root / FUNCTION)


@pytest.mark.in_process
@pytest.mark.parametrize("files, name", [
    ({"six/__init__.py": "x = 1\n"}, "six"),  # a package where the layer has a module of that name
    ({"six/moves.py": "x = 1\n", "six/__init__.py": ""}, "six"),
    ({"fake_a/__init__.py": "", "fake_a/extra.py": ""}, "fake_a"),
])
def test_a_module_the_layer_imports_under_the_same_name_is_an_overlap(core_env, tmp_path, capsys, files, name):
    """Not the same file but the same import name: Python imports only the function's."""
    root = console_project(tmp_path / "shadowing", {"handler.py": HANDLER, **files})
    pyproject = root / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace('dependencies = ["six"]', 'dependencies = ["six", "fake-a"]'))
    assert function(root, "--include", "handler.py", *(arg for path in files for arg in ("--include", path))) == 1
    assert capsys.readouterr().err.startswith(
        f"error: The function holds what its layers hold too: module {name} (also in build/lambda/layer/layer.zip). ")
    assert not (root / FUNCTION).exists()


@pytest.mark.in_process
def test_a_function_of_the_runtimes_boto3_is_refused(core_env, tmp_path, capsys):
    root = console_project(tmp_path / "boto", {"handler.py": HANDLER, "boto3/__init__.py": ""},
                           'include = ["*.py", "boto3/*.py"]\n')
    assert function(root) == 1
    assert "module boto3 (also in the Lambda runtime)" in capsys.readouterr().err


@pytest.mark.in_process
def test_a_function_over_the_limit_with_its_layers_is_refused_with_both_sizes(core_env, tmp_path, capsys, monkeypatch):
    root = console_project(tmp_path / "big", {"handler.py": HANDLER + "#" * 5000 + "\n"})
    assert main(["build", "--project", str(root), "--tool", "hatch", "--no-compile"]) == 0
    layer_bytes = sum(info.file_size for info in zipfile.ZipFile(root / LAYER).infolist())
    monkeypatch.setattr(lambda_runtime, "UNZIPPED_LIMIT", layer_bytes + 1000)
    capsys.readouterr()
    assert function(root, "--no-compile") == 1
    function_bytes = len(HANDLER) + 5001
    total = function_bytes + layer_bytes
    assert capsys.readouterr().err == (
        f"error: The function unzips to {function_bytes:,} bytes and its layers to {layer_bytes:,} "
        f"(build/lambda/layer/layer.zip {layer_bytes:,}): {total:,} together, {total - layer_bytes - 1000:,} over Lambda's "
        f"limit of {layer_bytes + 1000:,} bytes for a function and all its layers. Make the function or the layer smaller "
        "(exclude-packages, drop-package-tests), or move code into another function.\n")
    assert not (root / FUNCTION).exists()


@pytest.mark.in_process
@pytest.mark.parametrize("code, handler, error", [
    ("def other(event, context):\n    return 1\n", "handler.handler",
     "error: The handler handler.handler does not import with the function and its layers on python3.12 x86_64 "
     "(manylinux, glibc 2.34): AttributeError: module 'handler' has no attribute 'handler'. Fix the module (or "
     "`handler` in [tool.lambda-layer.function]); a dependency it needs belongs in the layer. Nothing was written.\n"),
    ("import missing_dependency\n", "handler.handler",
     "error: The handler handler.handler does not import with the function and its layers on python3.12 x86_64 "
     "(manylinux, glibc 2.34): ModuleNotFoundError: No module named 'missing_dependency'. Fix the module (or "
     "`handler` in [tool.lambda-layer.function]); a dependency it needs belongs in the layer. Nothing was written.\n"),
    ("handler = 42\n", "handler.handler",
     "error: The handler handler.handler is a int, not a function Lambda can call. Point `handler` at a function "
     "taking (event, context). Nothing was written.\n"),
])
def test_a_handler_that_does_not_import_or_call_is_refused(core_env, tmp_path, capsys, code, handler, error):
    root = console_project(tmp_path / "broken", {"handler.py": code})
    assert function(root, "--handler", handler) == 1
    assert capsys.readouterr().err == error
    assert not (root / FUNCTION).exists()


@pytest.mark.in_process
def test_the_handler_check_says_when_it_cannot_run(core_env, tmp_path, capsys):
    root = console_project(tmp_path / "arm", {"handler.py": HANDLER}, 'handler = "handler.handler"\n')
    assert function(root, "--arch", "arm64") == 0
    assert "handler handler.handler: not checked, this machine is Linux x86_64, the target Linux aarch64\n" in \
        capsys.readouterr().out


@pytest.mark.in_process
def test_other_layers_count_and_are_checked(core_env, tmp_path, capsys):
    root = console_project(tmp_path / "more", {"handler.py": HANDLER})
    other = tmp_path / "other.zip"
    with zipfile.ZipFile(other, "w") as archive:
        archive.writestr("python/handler.py", "x = 1\n")
    assert function(root, "--with-layer", str(other)) == 1
    assert f"module handler (also in {other})" in capsys.readouterr().err
    assert function(root, "--with-layer", "arn:aws:lambda:eu-west-1:123456789012:layer:x") == 1
    assert capsys.readouterr().err == (
        "error: --with-layer must hold layer zips (paths) or layer version ARNs "
        "(arn:aws:lambda:REGION:ACCOUNT:layer:NAME:VERSION), got 'arn:aws:lambda:eu-west-1:123456789012:layer:x'.\n")
    assert function(root) == 0
    shutil.copy(root / FUNCTION, tmp_path / "fn.zip")  # a function zip given as a layer: Lambda would not import it
    assert function(root, "--with-layer", str(tmp_path / "fn.zip")) == 1
    assert capsys.readouterr().err == (
        f"error: {tmp_path / 'fn.zip'} is a function zip (`lambda-layer function` wrote it), not a layer. Point the "
        "function's `layers` at layer zips (build/lambda/layer/...) or layer version ARNs.\n")


@pytest.mark.in_process
def test_a_foreign_file_at_the_function_zip_path_is_refused_and_kept(core_env, tmp_path, capsys):
    root = console_project(tmp_path / "foreign", {"handler.py": HANDLER})
    (root / "build/lambda/function").mkdir(parents=True)
    (root / FUNCTION).write_bytes(b"mine")
    assert function(root) == 1
    assert capsys.readouterr().err == (
        f"error: Cannot write the function zip to {root / FUNCTION}: it is a file that is not a function zip this tool "
        "wrote (its archive comment says so): the build replaces only what it wrote. Move it away or set `output` in "
        "[tool.lambda-layer.function] (or pass --function-output) to a writable place.\n")
    assert (root / FUNCTION).read_bytes() == b"mine"
    with zipfile.ZipFile(root / FUNCTION, "w") as archive:  # a zip, even one of code, is not ours without our comment
        archive.writestr("handler.py", HANDLER)
    theirs = (root / FUNCTION).read_bytes()
    assert function(root) == 1
    assert "is a file that is not a function zip this tool wrote" in capsys.readouterr().err
    assert (root / FUNCTION).read_bytes() == theirs


@pytest.mark.in_process
def test_the_function_zip_goes_to_a_content_addressed_key(aws, core_env, tmp_path, capsys):
    import hashlib

    from tests.helpers.aws_emulator import REGION

    root = console_project(tmp_path / "upload", {"handler.py": HANDLER})
    aws.s3.create_bucket(Bucket="artifacts", CreateBucketConfiguration={"LocationConstraint": REGION})
    assert function(root, "--upload", "--s3-bucket", "artifacts", "-q") == 0
    digest = hashlib.sha256((root / FUNCTION).read_bytes()).hexdigest()
    uri = f"s3://artifacts/lambda-layer/plain-fn/{digest}.zip"
    assert capsys.readouterr().out == uri + "\n"
    stored = aws.s3.get_object(Bucket="artifacts", Key=f"lambda-layer/plain-fn/{digest}.zip")["Body"].read()
    assert stored == (root / FUNCTION).read_bytes()
    assert function(root, "--upload", "--s3-bucket", "artifacts") == 0
    assert f"upload: {uri} is already there with this zip's SHA-256 checksum; not uploaded again" in capsys.readouterr().out
    assert function(root, "--upload") == 1
    assert capsys.readouterr().err.startswith("error: Uploading the function zip needs an S3 bucket: set `s3-bucket`")


@pytest.mark.in_process
def test_the_function_settings_table_names_its_keys(core_env, tmp_path, capsys):
    root = console_project(tmp_path / "keys", {"handler.py": HANDLER}, 'handler = "not a handler"\n')
    assert function(root) == 1
    assert capsys.readouterr().err == (
        "error: Field `tool.lambda-layer.function.handler` must be the handler as Lambda takes it, module.attribute "
        "(app.main.handler), got 'not a handler'.\n")
    (root / "pyproject.toml").write_text(to_toml({"tool": {"lambda-layer": {"function": {"handlers": "x.y"}}}}))
    assert function(root) == 1
    assert capsys.readouterr().err.startswith(
        "error: Unknown field `tool.lambda-layer.function.handlers` in pyproject.toml. Known keys: include, handler, "
        "output, layers, allow-overlap.")
