"""The dependencies of examples/poetry-demo as a Lambda layer, deployed with the AWS CDK (Python).

Build the layer first (from the repository's root): ``make demo``, or ``poetry lambda-layer`` in
examples/poetry-demo. It writes ../../poetry-demo/build/lambda/layer/layer.zip and its manifest
layer.zip.json beside it. Then, here: ``pip install -r requirements.txt`` and ``cdk synth`` (or
``cdk deploy``).

The zip is the asset as it is (a ``.zip`` file is not re-zipped), and the asset's hash is the
manifest's SHA-256 of the zip: CDK does not read or hash the zip to name it, and the name depends on
the layer's bytes alone, so a synth from any machine or folder gives the same asset and template,
and a deploy changes the layer only when its bytes changed. The runtime and architecture are the
manifest's target.
"""

import json
from pathlib import Path
from typing import Any, Dict

import aws_cdk as cdk
from aws_cdk import aws_lambda as lambda_

LAYER_ZIP = Path(__file__).resolve().parent / "../../poetry-demo/build/lambda/layer/layer.zip"
ARCHITECTURES = {"x86_64": lambda_.Architecture.X86_64, "arm64": lambda_.Architecture.ARM_64}


def read_manifest(zip_path: Path) -> Dict[str, Any]:
    """The manifest the build wrote beside the zip (``layer.zip.json``)."""
    return json.loads(zip_path.with_name(zip_path.name + ".json").read_text(encoding="utf-8"))


class LayerStack(cdk.Stack):
    def __init__(self, scope: cdk.App, construct_id: str, *, zip_path: Path, **kwargs: Any) -> None:
        super().__init__(scope, construct_id, **kwargs)
        manifest = read_manifest(zip_path)
        target = manifest["target"]
        lambda_.LayerVersion(
            self,
            "Deps",
            layer_version_name="poetry-demo-deps",
            description="Runtime dependencies of poetry-demo (lambda-layer-build).",
            code=lambda_.Code.from_asset(
                str(zip_path),
                asset_hash_type=cdk.AssetHashType.CUSTOM,
                asset_hash=manifest["zip"]["sha256"],
            ),
            compatible_runtimes=[lambda_.Runtime(target["runtime"], lambda_.RuntimeFamily.PYTHON)],
            compatible_architectures=[ARCHITECTURES[target["architecture"]]],
        )


app = cdk.App()
LayerStack(app, "PoetryDemoLayer", zip_path=LAYER_ZIP)
app.synth()
