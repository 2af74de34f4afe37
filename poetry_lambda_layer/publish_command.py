"""``poetry lambda-layer publish``: build the layer when it is not up to date, then upload and publish it.

The build half is :class:`LambdaLayerCommand`'s own (same options, same lock checks and groups);
the publish half is :func:`shared_core.build_and_publish`. The last line on stdout is the
layer version ARN, also with ``-q``.
"""

from __future__ import annotations

from cleo.helpers import option
from cleo.io.outputs.output import Verbosity

from .command import IOReporter, LambdaLayerCommand


class LambdaLayerPublishCommand(LambdaLayerCommand):
    name = "lambda-layer publish"
    description = "Publishes the Lambda layer as a new layer version, only when the layer changed."

    options = [  # noqa: RUF012 - cleo's declaration style
        *LambdaLayerCommand.options,
        option("layer-name", None, "Layer name (default: <project>-py<XY>-<arch>).", flag=False),
        option("s3-bucket", None, "Upload through this S3 bucket (needed over 50 MB zipped).", flag=False),
        option("s3-prefix", None, "Key prefix in the bucket (default: lambda-layer/).", flag=False),
        option("region", None, "AWS Region (default: boto3's, e.g. AWS_REGION).", flag=False),
        option("profile", None, "AWS profile (default: boto3's, e.g. AWS_PROFILE).", flag=False),
        option("description", None, "Layer version description (tool version and build fingerprint are appended).",
               flag=False),
        option("license-info", None, "Layer version license info.", flag=False),
        option("share-with", None, "AWS account ID or organization ID (o-...) allowed to use the version"
               " (repeatable; comma or space separated).", flag=False, multiple=True),
        option("timeout", None, "Seconds to wait for AWS to connect and to answer each call (default: 60).", flag=False),
        option("dry-run", None, "Say what would be uploaded and published; change nothing in AWS."),
    ]

    help = """\
The <info>lambda-layer publish</info> command builds the layer exactly like <info>poetry lambda-layer</info>
(same options; skipped when up to date), then publishes it as a new version of a Lambda layer,
unless the layer's latest version is already the same layer (the same CodeSha256, compatible
runtimes and architectures, description and licence info).

<info>poetry lambda-layer publish --python 3.12 --arch arm64</info>
<info>poetry lambda-layer publish --s3-bucket my-artifacts --share-with 123456789012</info>
<info>ARN=$(poetry lambda-layer publish -q)</info>

Settings live in <comment>[tool.lambda-layer.publish]</> (<comment>layer-name</>, <comment>s3-bucket</>, <comment>s3-prefix</>,
<comment>region</>, <comment>profile</>, <comment>description</>, <comment>license-info</>, <comment>share-with</>, <comment>timeout</>); the command line wins.
Credentials come from boto3's standard chain. Needs boto3: <comment>poetry self add "lambda-layer-build[publish]"</>.
"""

    interrupted = "Interrupted; run the command again to finish: a version already published is found unchanged."

    def _run(self, reporter: IOReporter) -> int:
        from shared_core import (
            PUBLISH_TABLE,
            LayerBuildToolEnum,
            apply_publish_options,
            build_and_publish,
            publish_table,
            settings_from_tables,
            split_option_values,
        )

        config, source = self._config_and_source(reporter)
        settings = apply_publish_options(
            settings_from_tables((publish_table(self.poetry.pyproject.data), PUBLISH_TABLE)),
            layer_name=self.option("layer-name"),
            s3_bucket=self.option("s3-bucket"),
            s3_prefix=self.option("s3-prefix"),
            region=self.option("region"),
            profile=self.option("profile"),
            description=self.option("description"),
            license_info=self.option("license-info"),
            share_with=split_option_values(self.option("share-with")),
            timeout=self.option("timeout"),
        )
        result = build_and_publish(
            self.poetry.pyproject_path, config, settings, reporter, build_tool=LayerBuildToolEnum.poetry,
            pin_source=source, force=bool(self.option("force")), dry_run=bool(self.option("dry-run")),
            requires_python=self._requires_python(),
        )
        if result.layer_version_arn:
            self.line(result.layer_version_arn, verbosity=Verbosity.QUIET)
        return 0
