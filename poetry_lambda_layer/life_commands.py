"""``poetry lambda-layer diff|versions|prune``: the published layer's life, as the console script's
``lambda-layer diff|versions|prune``.

``diff`` builds first when the layer is not up to date (the ``poetry lambda-layer`` options and lock
checks), then compares it with a published version (``--layer-version N``: Poetry keeps ``--version``
for itself). ``versions`` and ``prune`` build nothing: ``--python``/``--arch`` and the publish
settings name each target's layer. Result lines go to stdout, also with ``-q``.
"""

from __future__ import annotations

from typing import Any, Dict, List, Type

from cleo.helpers import option
from cleo.io.outputs.output import Verbosity

from .command import LambdaLayerCommand, setting_options

#: The build settings that name a target's layer (for the commands that build nothing).
_TARGET_SETTINGS = ("python_version", "architecture")


def _publish_settings_class() -> Type[Any]:
    from shared_core import PublishSettings

    return PublishSettings


def _target_options() -> List[Any]:
    from shared_core import LayerConfig

    return [item for item in setting_options(LayerConfig) if item.name in ("python", "arch")]


class _LayerLifeCommand(LambdaLayerCommand):
    """What the three share: the publish settings, and their result lines on stdout even with ``-q``."""

    def _publish_settings(self, project: Any) -> Any:
        return project.publish_settings(self._given(_publish_settings_class()))

    def _print(self, lines: List[str]) -> None:
        for line in lines:
            self.line(line, verbosity=Verbosity.QUIET)


class LambdaLayerDiffCommand(_LayerLifeCommand):
    name = "lambda-layer diff"
    description = "Prints what changed from a published layer version (default: the latest) to the local layer."

    options = [  # noqa: RUF012 - cleo's declaration style
        *LambdaLayerCommand.options,
        *setting_options(_publish_settings_class()),
        option("layer-version", None, "The layer version to compare with (default: the latest).", flag=False),
    ]

    def _run(self, reporter: Any) -> int:
        from shared_core import ConfigError, LayerBuildToolEnum, diff_layers

        project = self._project()
        config = project.layer_config(self._given(self._layer_settings()))
        raw = self.option("layer-version")
        try:
            version = int(raw) if raw is not None else None
        except ValueError:
            raise ConfigError(f"--layer-version must be a whole number, got {raw!r}.") from None
        lines = diff_layers(project, config, self._publish_settings(project), reporter, version=version,
                            build_tool=LayerBuildToolEnum.poetry,
                            pin_source=self._lock_source(project, config, reporter), force=bool(self.option("force")))
        self._print(lines)
        return 0


class _NoBuildCommand(_LayerLifeCommand):
    """``versions`` and ``prune``: only the options that name each target's layer."""

    def _given(self, settings: Type[Any]) -> Dict[str, Any]:
        if settings is _publish_settings_class():
            return super()._given(settings)
        return {attribute: self.option(flag) for attribute, flag in zip(_TARGET_SETTINGS, ("python", "arch"))}

    def _config(self, project: Any) -> Any:
        return project.layer_config(self._given(self._layer_settings()))


class LambdaLayerVersionsCommand(_NoBuildCommand):
    name = "lambda-layer versions"
    description = "Lists the layer's versions: date, size, runtimes, architectures and summary."

    options = [*_target_options(), *setting_options(_publish_settings_class())]  # noqa: RUF012

    def _run(self, reporter: Any) -> int:
        from shared_core import version_tables

        project = self._project()
        self._print(version_tables(project, self._config(project), self._publish_settings(project)))
        return 0


class LambdaLayerPruneCommand(_NoBuildCommand):
    name = "lambda-layer prune"
    description = "Deletes old layer versions: never the latest, never one a function in the account and Region uses."

    options = [  # noqa: RUF012 - cleo's declaration style
        *_target_options(),
        *setting_options(_publish_settings_class()),
        option("keep", None, "Keep the N newest versions (N >= 1).", flag=False),
        option("older-than", None, "Delete only versions created more than DAYS days ago.", flag=False),
        option("yes", None, "Delete without asking (otherwise asked on a terminal; nothing is deleted elsewhere)."),
    ]

    def _run(self, reporter: Any) -> int:
        from shared_core import ConfigError, prune_layers

        keep, older_than = self.option("keep"), self.option("older-than")
        try:
            count = int(keep) if keep is not None else None
            days = float(older_than) if older_than is not None else None
        except ValueError:
            raise ConfigError(f"--keep takes a whole number and --older-than a number of days, got {keep!r} and "
                              f"{older_than!r}.") from None
        if count is None:
            raise ConfigError("--keep N is required: how many of the newest versions to keep (1 or more).")
        project = self._project()
        yes = bool(self.option("yes"))

        def confirm(question: str) -> bool:
            return yes or (self.io.is_interactive() and self.confirm(question, default=False))

        prune_layers(project, self._config(project), self._publish_settings(project), reporter, keep=count,
                     older_than_days=days, confirm=confirm)
        return 0
