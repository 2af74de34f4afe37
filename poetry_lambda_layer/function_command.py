"""``poetry lambda-layer function``: the layer (when not up to date), then the function zip of the project's code.

The layer half is :class:`LambdaLayerCommand`'s own (same options, same lock checks and groups);
the function half is :func:`shared_core.build_functions`, its options the function settings'
declarations (and, for ``--upload``, the publish settings that say where). With ``--upload`` the
last lines on stdout are the S3 URIs, one per target, also with ``-q``.
"""

from __future__ import annotations

from typing import Any

from cleo.helpers import option
from cleo.io.outputs.output import Verbosity

from .command import LambdaLayerCommand, setting_options


def _function_settings_class() -> Any:
    from shared_core import FunctionSettings

    return FunctionSettings


def _upload_options() -> Any:
    from shared_core import UPLOAD_SETTINGS, PublishSettings

    return setting_options(PublishSettings, only=UPLOAD_SETTINGS)


class LambdaLayerFunctionCommand(LambdaLayerCommand):
    name = "lambda-layer function"
    description = "Builds the function zip of the project's own code, checked against its Lambda layer."

    options = [  # noqa: RUF012 - cleo's declaration style
        *LambdaLayerCommand.options,
        *setting_options(_function_settings_class()),
        *_upload_options(),
        option("upload", None, "Also put the function zip at s3://BUCKET/PREFIX/FUNCTION/<sha256>.zip and print its URI."),
        option("dry-run", None, "With --upload: say what would be uploaded; change nothing in AWS."),
    ]

    help = """\
The <info>lambda-layer function</info> command builds the layer exactly like <info>poetry lambda-layer</info>
(same options; skipped when up to date), then <comment>function.zip</> of the project's own code for the same
runtime: the project's wheel without its dependencies (or, with <comment>package-mode = false</>, the files
<comment>include</> names, by default <comment>*.py</>), with bytecode for the target. It refuses a function that holds
what the layer holds, or that does not fit Lambda's limit with its layers, and imports <comment>handler</> with the layer.

<info>poetry lambda-layer function --handler app.main.handler</info>
<info>URI=$(poetry lambda-layer function --upload --s3-bucket my-artifacts -q)</info>

Settings live in <comment>[tool.lambda-layer.function]</> (""" + ", ".join(
        f"<comment>{setting.key}</>" for setting in _function_settings_class().settings()) + """); the command line wins.
"""

    def _run(self, reporter: Any) -> int:
        from shared_core import LayerBuildToolEnum, PublishSettings, build_functions

        project = self._project()
        config = project.layer_config(self._given(self._layer_settings()))
        settings = project.function_settings(self._given(_function_settings_class()))
        upload = project.publish_settings(self._given(PublishSettings)) if self.option("upload") else None
        outcomes = build_functions(
            project, config, settings, reporter, build_tool=LayerBuildToolEnum.poetry,
            pin_source=self._lock_source(project, config, reporter), force=bool(self.option("force")), upload=upload,
            dry_run=bool(self.option("dry-run")),
        )
        for outcome in outcomes:
            if outcome.s3_uri:
                self.line(outcome.s3_uri, verbosity=Verbosity.QUIET)
            else:
                reporter.info(str(outcome.path))
        return 0
