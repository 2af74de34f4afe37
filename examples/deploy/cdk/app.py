"""examples/poetry-demo deployed with the AWS CDK (Python): its dependencies as a layer, its handler as a function.

Build both first (from the repository's root): ``make demo``, or ``poetry lambda-layer function`` in
examples/poetry-demo. It writes ../../poetry-demo/build/lambda/layer/layer.zip and
../../poetry-demo/build/lambda/function/function.zip, each with its manifest (``<zip>.json``) beside
it. Then, here: ``pip install -r requirements.txt`` and ``cdk synth`` (or ``cdk deploy``).

Each zip is an asset as it is (a ``.zip`` file is not re-zipped), and the asset's hash is its
manifest's SHA-256 of the zip: CDK does not read or hash the zip to name it, and the name depends on
the zip's bytes alone, so a synth from any machine or folder gives the same assets and template, and
a deploy changes the layer (or the function) only when its bytes changed. The runtime and
architecture are the manifest's target.
"""

import json
from pathlib import Path
from typing import Any, Dict

import aws_cdk as cdk
from aws_cdk import aws_lambda as lambda_

LAYER_ZIP = Path(__file__).resolve().parent / "../../poetry-demo/build/lambda/layer/layer.zip"
FUNCTION_ZIP = Path(__file__).resolve().parent / "../../poetry-demo/build/lambda/function/function.zip"
ARCHITECTURES = {"x86_64": lambda_.Architecture.X86_64, "arm64": lambda_.Architecture.ARM_64}


def read_manifest(zip_path: Path) -> Dict[str, Any]:
    """The manifest the build wrote beside the zip (``layer.zip.json``, ``function.zip.json``)."""
    return json.loads(zip_path.with_name(zip_path.name + ".json").read_text(encoding="utf-8"))


def zip_asset(zip_path: Path) -> lambda_.Code:
    """The zip as it is, named by its manifest's SHA-256."""
    return lambda_.Code.from_asset(str(zip_path), asset_hash_type=cdk.AssetHashType.CUSTOM,
                                   asset_hash=read_manifest(zip_path)["zip"]["sha256"])


class LayerStack(cdk.Stack):
    def __init__(self, scope: cdk.App, construct_id: str, *, zip_path: Path, function_zip: Path, **kwargs: Any) -> None:
        super().__init__(scope, construct_id, **kwargs)
        target = read_manifest(zip_path)["target"]
        runtime = lambda_.Runtime(target["runtime"], lambda_.RuntimeFamily.PYTHON)
        architecture = ARCHITECTURES[target["architecture"]]
        layer = lambda_.LayerVersion(
            self,
            "Deps",
            layer_version_name="poetry-demo-deps",
            description="Runtime dependencies of poetry-demo (lambda-layer-build).",
            code=zip_asset(zip_path),
            compatible_runtimes=[runtime],
            compatible_architectures=[architecture],
        )
        lambda_.Function(
            self,
            "Handler",
            description="poetry-demo's handler.py (lambda-layer-build function).",
            code=zip_asset(function_zip),
            handler="handler.handler",
            runtime=runtime,
            architecture=architecture,
            layers=[layer],
        )


app = cdk.App()
LayerStack(app, "PoetryDemoLayer", zip_path=LAYER_ZIP, function_zip=FUNCTION_ZIP)
app.synth()
