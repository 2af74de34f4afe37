"""Poetry's entry point: registers ``poetry lambda-layer`` without importing anything heavy.

Poetry imports this module (and calls :meth:`LambdaLayerApplicationPlugin.activate`) on every
invocation, so it only imports Poetry's plugin base class. The command class is imported when
the command is run or listed, and ``shared_core`` only inside its ``handle()``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable, List, Type

from poetry.plugins.application_plugin import ApplicationPlugin

if TYPE_CHECKING:  # pragma: no cover
    from poetry.console.application import Application
    from poetry.console.commands.command import Command

COMMAND_NAME = "lambda-layer"
PUBLISH_COMMAND_NAME = "lambda-layer publish"
FUNCTION_COMMAND_NAME = "lambda-layer function"
#: The published layer's life: ``poetry lambda-layer diff|versions|prune`` (poetry_lambda_layer.life_commands).
LIFE_COMMANDS = {
    "lambda-layer diff": "LambdaLayerDiffCommand",
    "lambda-layer versions": "LambdaLayerVersionsCommand",
    "lambda-layer prune": "LambdaLayerPruneCommand",
}


def _command_factory() -> "Command":
    from .command import LambdaLayerCommand

    return LambdaLayerCommand()


def _publish_command_factory() -> "Command":
    from .publish_command import LambdaLayerPublishCommand

    return LambdaLayerPublishCommand()


def _function_command_factory() -> "Command":
    from .function_command import LambdaLayerFunctionCommand

    return LambdaLayerFunctionCommand()


def _life_command_factory(class_name: str) -> Callable[[], "Command"]:
    def factory() -> "Command":
        from . import life_commands

        return getattr(life_commands, class_name)()

    return factory


class LambdaLayerApplicationPlugin(ApplicationPlugin):
    """Adds ``poetry lambda-layer`` (build an AWS Lambda layer zip from ``poetry.lock``), ``poetry lambda-layer publish``,
    ``poetry lambda-layer function`` and ``poetry lambda-layer diff|versions|prune``."""

    @property
    def commands(self) -> List[Type["Command"]]:
        from . import life_commands
        from .command import LambdaLayerCommand
        from .function_command import LambdaLayerFunctionCommand
        from .publish_command import LambdaLayerPublishCommand

        return [LambdaLayerCommand, LambdaLayerPublishCommand, LambdaLayerFunctionCommand,
                *(getattr(life_commands, class_name) for class_name in LIFE_COMMANDS.values())]

    def activate(self, application: "Application") -> None:
        # Same as the base class, but with a factory that imports the command module lazily
        # (the base class would touch ``self.commands``, and so import it, on every poetry run).
        application.command_loader.register_factory(COMMAND_NAME, _command_factory)
        application.command_loader.register_factory(PUBLISH_COMMAND_NAME, _publish_command_factory)
        application.command_loader.register_factory(FUNCTION_COMMAND_NAME, _function_command_factory)
        for name, class_name in LIFE_COMMANDS.items():
            application.command_loader.register_factory(name, _life_command_factory(class_name))
