"""``poetry lambda-layer publish``: build the layer when it is not up to date, then upload and publish it.

The build half is :class:`LambdaLayerCommand`'s own (same options, same lock checks and groups);
the publish half is :func:`shared_core.build_and_publish`, its options the publish settings'
declarations. The last line on stdout is the layer version ARN, also with ``-q``.
"""

from __future__ import annotations

from typing import Any

from cleo.helpers import option
from cleo.io.outputs.output import Verbosity

from .command import LambdaLayerCommand, setting_options


def _publish_settings_class() -> Any:
    from shared_core import PublishSettings

    return PublishSettings


class LambdaLayerPublishCommand(LambdaLayerCommand):
    name = "lambda-layer publish"
    description = "Publishes the Lambda layer as a new layer version, only when the layer changed."

    options = [  # noqa: RUF012 - cleo's declaration style
        *LambdaLayerCommand.options,
        *setting_options(_publish_settings_class()),
        option("dry-run", None, "Say what would be uploaded and published; change nothing in AWS."),
    ]

    help = """\
The <info>lambda-layer publish</info> command builds the layer exactly like <info>poetry lambda-layer</info>
(same options; skipped when up to date), then publishes it as a new version of a Lambda layer,
unless the layer's latest version is already the same layer (CodeSha256, runtimes, architectures,
description and licence).

<info>poetry lambda-layer publish --python 3.12 --arch arm64</info>
<info>poetry lambda-layer publish --s3-bucket my-artifacts --share-with 123456789012</info>
<info>ARN=$(poetry lambda-layer publish -q)</info>

Settings live in <comment>[tool.lambda-layer.publish]</> (""" + ", ".join(
        f"<comment>{setting.key}</>" for setting in _publish_settings_class().settings()) + """);
the command line wins. Credentials come from boto3's standard chain. Needs boto3: <comment>poetry self add
"lambda-layer-build[poetry,publish]"</> (from a checkout: <comment>poetry self add "/path/to/lambda-layer-build[poetry,publish]"</>).
"""

    publishing = True

    def _run(self, reporter: Any) -> int:
        from shared_core import LayerBuildToolEnum, build_and_publish

        project = self._project()
        config = project.layer_config(self._given(self._layer_settings()))
        settings = project.publish_settings(self._given(_publish_settings_class()))
        results = build_and_publish(
            project, config, settings, reporter, build_tool=LayerBuildToolEnum.poetry,
            pin_source=self._lock_source(project, config, reporter), force=bool(self.option("force")),
            dry_run=bool(self.option("dry-run")),
        )
        for result in results:  # one ARN line per target, also with -q: scripts capture them
            if result.layer_version_arn:
                self.line(result.layer_version_arn, verbosity=Verbosity.QUIET)
        return 0
