"""``hatch publish -p lambda-layer``: a Hatch publisher plugin, thin over :mod:`shared_core.publish`.

It builds the layer exactly like ``hatch build -t lambda-layer`` (the same builder class, target
table and pin source; skipped when up to date), then publishes it. Settings: ``[tool.lambda-layer.publish]``,
then ``[tool.hatch.publish.lambda-layer]`` key by key, then ``-o key=value`` options. Hatch runs a
publisher inside its own environment, so this package (with its ``publish`` extra) must be
installed beside Hatch, not only in a build environment. Hatch is imported only through this module.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, List

from hatch.publish.plugin.interface import PublisherInterface

from . import PLUGIN_NAME

#: Options of ``hatch publish`` itself that reach every publisher; not ours to validate.
_HATCH_OPTIONS = ("no_prompt", "initialize_auth")
#: ``-o`` options that are not ``[tool.lambda-layer.publish]`` keys.
_FLAGS = ("dry-run", "force")


class LambdaLayerHatchPublisher(PublisherInterface):
    PLUGIN_NAME = PLUGIN_NAME

    def publish(self, artifacts: List[str], options: Dict[str, Any]) -> None:
        from .reporting import abort_for_user

        try:
            arns = self._publish(artifacts, options)
        except (Exception, KeyboardInterrupt) as exc:  # LayerError, disk full, read-only folder, undecodable file
            abort_for_user(self.app, exc, publishing=True)
            return
        for arn in arns:  # stdout's only lines, one per target (Hatch's messages go to stderr): scripts capture them
            self.app.display(arn)

    def _publish(self, artifacts: List[str], options: Dict[str, Any]) -> List[str]:
        from shared_core import ConfigError, PublishSettings, check_layer_names, load_boto3, publish_builds

        from .builder import LambdaLayerHatchBuilder
        from .reporting import HatchReporter

        if artifacts:
            raise ConfigError(
                f"`hatch publish -p {PLUGIN_NAME}` builds and publishes the layer itself; pass no artifacts "
                f"(got {' '.join(artifacts)})."
            )
        given = {key.replace("_", "-"): value for key, value in options.items() if key not in _HATCH_OPTIONS}
        flags = {key: _flag(given.pop(key), key) for key in _FLAGS if key in given}
        keys = {setting.key: setting.attribute for setting in PublishSettings.settings()}
        unknown = sorted(set(given) - set(keys))
        if unknown:
            raise ConfigError(
                f"Unknown option for `hatch publish -p {PLUGIN_NAME}`: {', '.join(unknown)}. Options (-o key=value): "
                f"{', '.join((*keys, *_FLAGS))}."
            )
        load_boto3()  # before the build, not after it
        builder = LambdaLayerHatchBuilder(str(Path(self.root).resolve()), app=self.app)
        project = builder.project()
        settings = project.publish_settings({keys[key]: value for key, value in given.items()},
                                            named={attribute: f"Option `-o {key}`" for key, attribute in keys.items()})
        check_layer_names(settings, project, project.layer_config())
        reporter = HatchReporter(self.app)
        builds = builder.build_layer_zips(reporter, force=flags.get("force", False), snapshot=True)
        results = publish_builds(builds, settings, project, reporter, dry_run=flags.get("dry-run", False))
        return [result.layer_version_arn for result in results if result.layer_version_arn]


def _flag(value: Any, key: str) -> bool:
    from shared_core import ConfigError

    text = str(value).strip().lower()
    if text in ("", "1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off"):
        return False
    raise ConfigError(f"Option `-o {key}` must be true or false, got {value!r}.")
