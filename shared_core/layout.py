"""Where each build tool leaves the installed packages and where the layer is written.

Everything we create or delete lives under ``build/lambda/layer/`` of the project, the
reference tool's layout, so a user's own files and virtualenvs are never touched.
"""

from __future__ import annotations

import enum
import os
from dataclasses import dataclass
from pathlib import Path
from typing import List, Optional

from shared_core.errors import LayoutError

#: The layer zip's path relative to the project when ``output`` is not set.
DEFAULT_OUTPUT = "build/lambda/layer/layer.zip"
#: The function zip's, likewise (``lambda-layer function``).
DEFAULT_FUNCTION_OUTPUT = "build/lambda/function/function.zip"
#: In ``output`` (and a layer name), each target's name: ``py312-arm64``.
TARGET_PLACEHOLDER = "{target}"
#: The ignore file's name, and (below) its text.
IGNORE_FILE_NAME = ".gitignore"
#: Written into the build directory we own so that git (and every tool that honours nested
#: ignore files: poetry-core in a git repository, setuptools-scm, ...) leaves our output alone.
#: ``*`` ignores the file itself too, as virtualenv's does.
IGNORE_FILE_TEXT = "# Created by lambda-layer-build: everything here is build output.\n*\n"


def zip_output_path(project_root: Path, output: Optional[str], target: str, several: bool,
                    default: str = DEFAULT_OUTPUT) -> Path:
    """``output`` relative to the project (else ``default``, ``build/lambda/layer/layer.zip``) for
    ``target`` (``py312-arm64``); ``several``: the build makes more than one zip, each needs a place
    of its own (``build/lambda/layer/<target>/layer.zip`` by default).

    ``{target}`` in ``output`` is the target's name. An existing directory, or a path ending in
    ``/``, means "put the zip there" under the default's file name (in a folder per target when
    there are several). The folder is resolved, the zip's own name is not: a symlink there is
    replaced by the new zip, never written through (its target stays as it is).
    """
    name = Path(default).name
    if not output:
        path = Path(project_root) / default
        if several:
            path = path.parent / target / name
    else:
        path = Path(project_root) / Path(output.replace(TARGET_PLACEHOLDER, target)).expanduser()
        if output.endswith(("/", os.sep)) or path.is_dir():
            if several and TARGET_PLACEHOLDER not in output:
                path = path / target
            path = path / name
    return path.parent.resolve() / path.name


class LayerBuildToolEnum(str, enum.Enum):
    """The tool whose project (and lock) the layer is built from."""

    pip = "pip"
    poetry = "poetry"
    uv = "uv"
    hatch = "hatch"


@dataclass(frozen=True)
class LayerPaths:
    """The fixed paths of a build under ``<project>/build/lambda/<artifact>/``: ``layer`` (the layer's
    dependencies), or ``function`` (the function's own code, staged and locked apart from the layer's)."""

    project_root: Path
    artifact: str = "layer"

    @classmethod
    def for_pyproject(cls, path_pyproject_toml: Path) -> "LayerPaths":
        """The project is the folder the given pyproject.toml path is in (that folder resolved).

        The file itself is not followed: a pyproject.toml that links to another project's builds
        here, into this folder's ``build/``, from this folder's locks.
        """
        return cls(Path(os.path.abspath(Path(path_pyproject_toml).expanduser())).parent.resolve())

    @property
    def pyproject(self) -> Path:
        return self.project_root / "pyproject.toml"

    @property
    def build_dir(self) -> Path:
        return self.project_root / "build" / "lambda" / self.artifact

    @property
    def artifacts_dir(self) -> Path:
        return self.build_dir / "artifacts"

    @property
    def artifacts_python(self) -> Path:
        """Where pip and hatch layouts (and our own Step 1, for every tool) put the packages."""
        return self.artifacts_dir / "python"

    @property
    def repo_venv(self) -> Path:
        """The build virtualenv a poetry or uv Step 1 of the reference tool creates."""
        return self.build_dir / "repo" / ".venv"

    @property
    def default_zip(self) -> Path:
        return self.project_root / DEFAULT_OUTPUT

    def venv_site_packages(self) -> Optional[Path]:
        """``repo/.venv``'s site-packages, found in the venv itself (POSIX ``lib/python3.X`` or Windows ``Lib``)."""
        windows = self.repo_venv / "Lib" / "site-packages"
        if windows.is_dir():
            return windows
        candidates: List[Path] = sorted(
            path for path in (self.repo_venv / "lib").glob("python3*/site-packages") if path.is_dir()
        )
        if len(candidates) > 1:
            found = ", ".join(str(path) for path in candidates)
            raise LayoutError(
                f"{self.repo_venv} holds several site-packages ({found}); remove {self.build_dir} and "
                "build again so only one Python version is staged."
            )
        return candidates[0] if candidates else None

    def staged_site_packages(self, build_tool: LayerBuildToolEnum) -> Path:
        """The directory Step 2 packs: ``artifacts/python`` first, else (poetry, uv) the repo venv."""
        if self.artifacts_python.is_dir():
            return self.artifacts_python
        if build_tool in (LayerBuildToolEnum.poetry, LayerBuildToolEnum.uv):
            site_packages = self.venv_site_packages()
            if site_packages is not None:
                return site_packages
            looked = f"{self.artifacts_python} or {self.repo_venv}/lib/python3.*/site-packages"
        else:
            looked = str(self.artifacts_python)
        raise LayoutError(
            f"No installed packages to pack: looked in {looked}. Run Step 1 first "
            "(`lambda-layer build` or LambdaLayerBuilder(...).run())."
        )


