"""One project, one layer, one reading (issue 19): every entry point reads the project the same way.

- pyproject.toml is parsed once per build and once per publish, whatever the pin source;
- the console script in a Hatch project applies Hatch's target table as `hatch build -t
  lambda-layer` does: the same zip, byte for byte, and the target line says which table won;
- the console script and `poetry lambda-layer` offer exactly the declared settings as options,
  and Hatch's target table accepts exactly their keys.
"""

from __future__ import annotations

import hashlib
import re
import subprocess
from pathlib import Path
from typing import List, Set

import pytest
from hatchling.metadata.core import ProjectMetadata

from hatch_lambda_layer.builder import LambdaLayerHatchBuilder
from shared_core.cli import main
from shared_core.settings.function import UPLOAD_SETTINGS, FunctionSettings
from shared_core.settings.layer import LayerConfig
from shared_core.settings.publish import PublishSettings
from shared_core.support import user_files
from shared_core.support.toolchain import find_uv
from shared_core.support.user_files import tomllib

pytestmark = pytest.mark.in_process

LAYER = Path("build/lambda/layer/layer.zip")

UV_PROJECT = '[project]\nname = "counted"\nversion = "1"\nrequires-python = ">=3.11"\ndependencies = ["fake-a"]\n[tool.uv]\n'


@pytest.fixture
def pyproject_reads(monkeypatch) -> List[Path]:
    """Every read of a user's file named pyproject.toml (they all go through ``read_user_text``)."""
    reads: List[Path] = []
    real = user_files.read_user_text

    def counting(path: Path, **kwargs):
        if Path(path).name == "pyproject.toml":
            reads.append(Path(path))
        return real(path, **kwargs)

    monkeypatch.setattr(user_files, "read_user_text", counting)
    for module in ("shared_core.pipeline.project", "shared_core.pins.uv_lock", "shared_core.pins.local"):
        monkeypatch.setattr(f"{module}.read_user_text", counting, raising=False)
    return reads


@pytest.mark.parametrize("pin_source", ["uv.lock", "[project.dependencies]", "requirements.txt"])
def test_pyproject_is_parsed_once_per_build(core_env, make_project, pyproject_reads, pin_source):
    if pin_source == "uv.lock":
        project = make_project(UV_PROJECT)
        subprocess.run([find_uv(), "lock", "--quiet"], cwd=project, check=True, timeout=120)
        args = []
    elif pin_source == "requirements.txt":
        project = make_project(UV_PROJECT.replace("[tool.uv]\n", ""), requirements__txt="fake-a==1.0\n")
        args = []
    else:
        project = make_project(UV_PROJECT)
        args = ["--tool", "hatch"]
    assert main(["build", "--project", str(project), "--python", "3.12", "--no-compile", *args]) == 0
    assert pyproject_reads == [project / "pyproject.toml"]
    pyproject_reads.clear()
    assert main(["build", "--project", str(project), "--python", "3.12", "--no-compile", *args]) == 0  # up to date
    assert pyproject_reads == [project / "pyproject.toml"]


def test_pyproject_is_parsed_once_per_publish(aws, make_project, pyproject_reads):
    project = make_project('[project]\nname = "counted"\nversion = "1"\n[tool.lambda-layer.publish]\nregion = "eu-west-1"\n',
                           requirements__txt="fake-b==1.0\n")
    assert main(["publish", "--project", str(project), "--python", "3.12", "--no-compile"]) == 0
    assert pyproject_reads == [project / "pyproject.toml"]


HATCH_PROJECT = """\
[build-system]
requires = ["hatchling"]
build-backend = "hatchling.build"

[project]
name = "hatched"
version = "1"
requires-python = ">=3.11"
dependencies = ["fake-native", "fake-a", "six"]

[tool.lambda-layer]
python-version = "3.11"
exclude-packages = ["fake-b"]

[tool.hatch.build.targets.lambda-layer]
dependencies = ["lambda-layer-build"]
python-version = "3.12"
architecture = "arm64"
exclude-packages = ["six"]
compression-level = 6
"""


def test_the_console_script_builds_a_hatch_projects_layer_as_hatch_does(core_env, tmp_path, capsys):
    """Settings in Hatch's target table win over [tool.lambda-layer] for every entry point: the same bytes."""
    project = tmp_path / "hatched"
    project.mkdir()
    (project / "pyproject.toml").write_text(HATCH_PROJECT)
    (project / ".gitignore").write_text("/build/\n")
    assert main(["build", "--project", str(project)]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0] == "target: python3.12 arm64 (python-version from [tool.hatch.build.targets.lambda-layer])"
    console = hashlib.sha256((project / LAYER).read_bytes()).hexdigest()
    (project / LAYER).unlink()

    config = tomllib.loads(HATCH_PROJECT)
    builder = LambdaLayerHatchBuilder(str(project), metadata=ProjectMetadata(str(project), None, config=config))
    [artifact] = list(builder.build())
    assert Path(artifact) == project / LAYER
    assert hashlib.sha256(Path(artifact).read_bytes()).hexdigest() == console
    assert "target: python3.12 arm64 (python-version from [tool.hatch.build.targets.lambda-layer])" in capsys.readouterr().err


def _flags(help_text: str) -> Set[str]:
    return set(re.findall(r"(?<![\w-])(--[a-z][a-z0-9-]*)", help_text))


def _declared(*settings: type) -> Set[str]:
    return {setting.flag for cls in settings for setting in cls.settings() if setting.flag}


def _upload() -> Set[str]:
    """The publish settings `function --upload` takes: where the zip goes."""
    return {setting.flag for setting in PublishSettings.settings() if setting.attribute in UPLOAD_SETTINGS}


def test_every_entry_point_offers_the_declared_settings(poetry_app, capsys):
    """`lambda-layer build --help`, `poetry lambda-layer --help` (and their publish commands) list the same
    settings, each declared once; Hatch's target table takes every build setting's key."""
    own = {"--help", "--version", "--project", "--tool", "--force", "--verbose", "--quiet", "--dry-run"}
    function = _declared(LayerConfig, FunctionSettings) | _upload()
    for command, flags in (("build", _declared(LayerConfig)), ("manifest", _declared(LayerConfig)),
                           ("publish", _declared(LayerConfig, PublishSettings)), ("function", function)):
        with pytest.raises(SystemExit):
            main([command, "--help"])
        assert _flags(capsys.readouterr().out) - own - {"--upload"} == flags

    poetry_own = {"--help", "--quiet", "--verbose", "--version", "--ansi", "--no-ansi", "--no-interaction",
                  "--no-plugins", "--no-cache", "--directory", "--project", "--force", "--dry-run"}
    for command, flags in (("lambda-layer", _declared(LayerConfig)),
                           ("lambda-layer publish", _declared(LayerConfig, PublishSettings)),
                           ("lambda-layer function", function)):
        code, out, _ = poetry_app(f"{command} --help")
        assert code == 0
        options = out[out.index("Options:"):out.index("Help:")] if "Help:" in out else out[out.index("Options:"):]
        assert _flags(options) - poetry_own - {"--upload"} == flags

    from shared_core.settings.tables import validate_table

    every_key = {setting.key: setting.default for setting in LayerConfig.settings() if setting.default is not None}
    assert set(validate_table(LayerConfig, every_key, "tool.hatch.build.targets.lambda-layer")) == {
        key.replace("-", "_") for key in every_key}
