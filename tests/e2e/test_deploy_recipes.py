"""The deploy recipes in examples/deploy/ (issues 20, 22): each hands its tool the zips a build writes, as
they are: the layer's and the function's.

Each test lays out a copy of examples/deploy/ beside a stand-in for examples/poetry-demo (its target,
read from the real example's pyproject.toml, and pins from the fixture wheelhouse), at the place the
recipes name, builds it with ``lambda-layer build`` and checks the recipe against that build:

- SAM: the real cfn-lint passes the template; ContentUri is the zip; the parameters' defaults are the
  manifest's target.
- Terraform (no binary here): main.tf read by :mod:`tests.helpers.terraform_text`; ``source_code_hash``
  is the manifest's ``zip.sha256_base64``, equal to base64(sha256(zip)) computed here, and follows a
  rebuilt layer; ``filename`` is the zip; runtimes and architectures are the manifest's target.
- Serverless: ``package.artifact`` is the zip; runtimes and architectures are the target.
- CDK (``LAMBDA_LAYER_CDK_TESTS=1``: aws-cdk-lib and the ``cdk`` CLI in .venv/cdk/, ``make cdk-tools``):
  ``cdk synth`` of two copies at different absolute paths, with different HOME and TMPDIR, writes the
  same template and asset manifest; the asset is named by the manifest's SHA-256 and holds the zip byte
  for byte; a changed layer changes the name.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, Optional, Tuple

import pytest
import yaml

from shared_core.cli import main
from shared_core.support.user_files import tomllib
from tests.helpers.paths import REPO_ROOT
from tests.helpers.terraform_text import TerraformFile

pytestmark = pytest.mark.in_process

EXAMPLES = REPO_ROOT / "examples"
REQUIREMENTS = "fake-a==1.0\nfake-native==1.0\nsix==1.16.0\n"
#: Where the CDK test's tools are: `make cdk-tools` (or `make test` with the flag) installs them there.
CDK_TOOLS = Path(os.environ.get("LAMBDA_LAYER_CDK_TOOLS", REPO_ROOT / ".venv" / "cdk"))


def demo_target() -> Tuple[str, str]:
    """What examples/poetry-demo builds for: its ``[tool.lambda-layer]`` python-version and architecture."""
    table = tomllib.loads((EXAMPLES / "poetry-demo" / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["lambda-layer"]
    return table["python-version"], table["architecture"]


@dataclass(frozen=True)
class Checkout:
    """A copy of examples/deploy/ and a built stand-in for examples/poetry-demo, under ``examples``."""

    examples: Path

    @property
    def project(self) -> Path:
        return self.examples / "poetry-demo"

    @property
    def layer(self) -> Path:
        return self.project / "build" / "lambda" / "layer" / "layer.zip"

    @property
    def function(self) -> Path:
        return self.project / "build" / "lambda" / "function" / "function.zip"

    def handler(self) -> str:
        """The handler the project's function table names (what the recipes must call)."""
        return tomllib.loads((self.project / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["lambda-layer"][
            "function"]["handler"]

    def recipe(self, tool: str) -> Path:
        return self.examples / "deploy" / tool

    def manifest(self, zip_path: Optional[Path] = None) -> Dict[str, Any]:
        zip_path = zip_path or self.layer
        return json.loads(zip_path.with_name(zip_path.name + ".json").read_text(encoding="utf-8"))

    def build(self, requirements: str) -> None:
        """The layer and the function (``lambda-layer function`` builds both), as `make demo` does."""
        (self.project / "requirements.txt").write_text(requirements)
        assert main(["function", "--project", str(self.project)]) == 0


def lay_out(base: Path, requirements: str = REQUIREMENTS) -> Checkout:
    python, architecture = demo_target()
    checkout = Checkout(base / "examples")
    shutil.copytree(EXAMPLES / "deploy", checkout.recipe("."), ignore=shutil.ignore_patterns("cdk.out", "__pycache__"))
    checkout.project.mkdir()
    (checkout.project / "pyproject.toml").write_text(
        f'[project]\nname = "poetry-demo"\nversion = "0.1.0"\nrequires-python = ">=3.9"\n\n'
        f'[tool.lambda-layer]\npython-version = "{python}"\narchitecture = "{architecture}"\n\n'
        '[tool.lambda-layer.function]\nhandler = "handler.handler"\n')
    # the example's handler, over the fixture wheelhouse's six instead of PyPI's yaml and dateutil
    (checkout.project / "handler.py").write_text("import six\n\n\ndef handler(event, context):\n    return six.__name__\n")
    checkout.build(requirements)
    return checkout


def base64_sha256(data: bytes) -> str:
    """Terraform's filebase64sha256, Lambda's CodeSha256: the raw digest in base64, not its hex."""
    return base64.b64encode(hashlib.sha256(data).digest()).decode("ascii")


def same_file(recipe: Path, relative: str, built: Path) -> bool:
    return (recipe / relative).resolve() == built.resolve()


def test_recipes_name_no_host_account_or_secret():
    """Committed recipes carry no address (registry, loopback or any other), no account id and no key."""
    files = sorted(path for path in (EXAMPLES / "deploy").rglob("*") if path.is_file())
    assert [path.relative_to(EXAMPLES).as_posix() for path in files] == [
        "deploy/cdk/app.py", "deploy/cdk/cdk.json", "deploy/cdk/requirements.txt",
        "deploy/sam/template.yaml", "deploy/serverless/serverless.yml", "deploy/terraform/main.tf"]
    for path in files:
        text = path.read_text(encoding="utf-8")
        assert re.findall(r"[A-Za-z][A-Za-z0-9+.-]*://|localhost|127\.0\.0\.1|\b\d{12}\b|AKIA[0-9A-Z]{16}", text) == [], path


# -- SAM --------------------------------------------------------------------------------------------


class _CloudFormationYaml(yaml.SafeLoader):
    """YAML with CloudFormation's short forms (``!Ref x`` reads as ``{"Ref": "x"}``)."""


def _short_form(loader: yaml.Loader, suffix: str, node: yaml.Node) -> Dict[str, Any]:
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node)
    else:
        value = loader.construct_mapping(node)
    return {"Ref" if suffix == "Ref" else f"Fn::{suffix}": value}


_CloudFormationYaml.add_multi_constructor("!", _short_form)


def cfn_lint(*templates: Path) -> subprocess.CompletedProcess:
    program = Path(sys.executable).with_name("cfn-lint")
    if not program.exists():
        pytest.fail(f"no cfn-lint beside {sys.executable}: run `make test` (the test extra installs it)")
    # run in the templates' folder's parent, where no .cfnlintrc of this checkout's can apply
    return subprocess.run([str(program), *map(str, templates)], cwd=templates[0].parents[1], capture_output=True,
                          text=True, timeout=300)


def test_sam_template_passes_cfn_lint_and_uploads_the_built_zip(core_env, tmp_path):
    checkout = lay_out(tmp_path)
    template_path = checkout.recipe("sam") / "template.yaml"
    # with a copy whose ContentUri is misspelt, so the one run shows the lint can fail (cfn-lint's
    # start-up is most of its time)
    misspelt = tmp_path / "misspelt.yaml"
    misspelt.write_text(template_path.read_text(encoding="utf-8").replace("      ContentUri:", "      ContentUrl:"))
    lint = cfn_lint(template_path, misspelt)
    assert (lint.returncode, lint.stderr) == (2, "")
    assert lint.stdout == (
        f"E3003 'ContentUri' is a required property\n{misspelt}:34:5\n\n"
        f"E3002 Additional properties are not allowed ('ContentUrl' was unexpected. Did you mean 'ContentUri'?)\n"
        f"{misspelt}:37:7\n\n")

    template = yaml.load(template_path.read_text(encoding="utf-8"), Loader=_CloudFormationYaml)  # SafeLoader plus the short forms
    assert template["Transform"] == "AWS::Serverless-2016-10-31"
    layer = template["Resources"]["DepsLayer"]
    assert layer["Type"] == "AWS::Serverless::LayerVersion"
    properties = layer["Properties"]
    assert same_file(template_path.parent, properties["ContentUri"], checkout.layer)  # a zip: uploaded as it is
    assert properties["ContentUri"].endswith("/layer.zip")
    assert (properties["CompatibleRuntimes"], properties["CompatibleArchitectures"]) == (
        [{"Ref": "Runtime"}], [{"Ref": "Architecture"}])
    python, architecture = demo_target()
    target = checkout.manifest()["target"]
    assert (target["runtime"], target["architecture"]) == (f"python{python}", architecture)
    assert {name: parameter["Default"] for name, parameter in template["Parameters"].items()} == {
        "Runtime": target["runtime"], "Architecture": target["architecture"]}
    function = template["Resources"]["DemoFunction"]
    assert function["Type"] == "AWS::Serverless::Function"
    properties = function["Properties"]
    assert same_file(template_path.parent, properties["CodeUri"], checkout.function)  # a zip: uploaded as it is
    assert (properties["Handler"], properties["Runtime"], properties["Architectures"], properties["Layers"]) == (
        checkout.handler(), {"Ref": "Runtime"}, [{"Ref": "Architecture"}], [{"Ref": "DepsLayer"}])


# -- Terraform --------------------------------------------------------------------------------------


def test_terraform_reads_the_hash_and_target_from_the_manifest(core_env, tmp_path):
    checkout = lay_out(tmp_path)
    tf = TerraformFile(checkout.recipe("terraform") / "main.tf")
    layer = tf.resource("aws_lambda_layer_version", "deps")
    assert tf.locals["manifest"] == 'jsondecode(file("${local.layer_dir}/layer.zip.json"))'
    assert layer["source_code_hash"] == "local.manifest.zip.sha256_base64"

    data = checkout.layer.read_bytes()
    assert tf.value(layer["source_code_hash"]) == base64_sha256(data) == checkout.manifest()["zip"]["sha256_base64"]
    assert [path.resolve() for path in tf.files_read] == [checkout.layer.with_name("layer.zip.json").resolve()]
    tf.files_read.clear()
    assert Path(tf.value(layer["filename"])).resolve() == checkout.layer.resolve()
    python, architecture = demo_target()
    assert tf.value(layer["compatible_runtimes"]) == [f"python{python}"]
    assert tf.value(layer["compatible_architectures"]) == [architecture]

    function = tf.resource("aws_lambda_function", "demo")
    assert tf.locals["function"] == 'jsondecode(file("${local.function_dir}/function.zip.json"))'
    assert function["source_code_hash"] == "local.function.zip.sha256_base64"
    assert tf.value(function["source_code_hash"]) == base64_sha256(checkout.function.read_bytes())
    assert Path(tf.value(function["filename"])).resolve() == checkout.function.resolve()
    assert (tf.value(function["handler"]), tf.value(function["runtime"]), tf.value(function["architectures"])) == (
        checkout.handler(), f"python{python}", [architecture])
    assert function["layers"] == "[aws_lambda_layer_version.deps.arn]"

    # another layer, another hash: the plan sees exactly the changes the zip has
    checkout.build(REQUIREMENTS + "fake-c==1.0\n")
    changed = checkout.layer.read_bytes()
    assert changed != data
    assert tf.value(layer["source_code_hash"]) == base64_sha256(changed)


# -- Serverless -------------------------------------------------------------------------------------


def test_serverless_artifact_is_the_built_zip(core_env, tmp_path):
    checkout = lay_out(tmp_path)
    recipe = checkout.recipe("serverless")
    config = yaml.safe_load((recipe / "serverless.yml").read_text(encoding="utf-8"))
    layer = config["layers"]["deps"]
    assert same_file(recipe, layer["package"]["artifact"], checkout.layer)
    target = checkout.manifest()["target"]
    python, architecture = demo_target()
    assert (target["runtime"], target["architecture"]) == (f"python{python}", architecture)
    assert (layer["compatibleRuntimes"], layer["compatibleArchitectures"]) == ([target["runtime"]], [target["architecture"]])
    assert (config["provider"]["runtime"], config["provider"]["architecture"]) == (target["runtime"], target["architecture"])
    function = config["functions"]["handler"]
    assert same_file(recipe, function["package"]["artifact"], checkout.function)
    assert (function["handler"], function["layers"]) == (checkout.handler(), [{"Ref": "DepsLambdaLayer"}])


# -- CDK ---------------------------------------------------------------------------------------------

needs_cdk = pytest.mark.skipif(os.environ.get("LAMBDA_LAYER_CDK_TESTS") != "1",
                               reason="set LAMBDA_LAYER_CDK_TESTS=1 (make test then installs aws-cdk-lib and the cdk CLI "
                                      "into .venv/cdk/)")
STACK = "PoetryDemoLayer"


def cdk_synth(app: Path, machine: Path) -> Path:
    """``cdk synth`` in ``app`` as on another machine (its own HOME and TMPDIR), offline; -> its cdk.out."""
    cli = CDK_TOOLS / "node_modules" / ".bin" / "cdk"
    if not (CDK_TOOLS / ".installed").exists() or not cli.exists():
        pytest.fail(f"the CDK tools are not in {CDK_TOOLS}: run `make cdk-tools` (or `make test` with LAMBDA_LAYER_CDK_TESTS=1)")
    for folder in ("home", "tmp"):
        (machine / folder).mkdir(parents=True, exist_ok=True)
    env = {key: value for key, value in os.environ.items() if not key.startswith(("AWS_", "CDK_", "JSII_"))}
    env.update(
        # the app's `python3` is the side venv's, with aws-cdk-lib
        PATH=os.pathsep.join([str(CDK_TOOLS / "venv" / "bin"), env.get("PATH", "")]),
        HOME=str(machine / "home"), TMPDIR=str(machine / "tmp"),
        # nothing leaves the machine: no telemetry, no notices (--no-notices), no instance metadata, no
        # AWS configuration, and any HTTP(S) the CLI would still try goes to a closed loopback port
        CDK_DISABLE_CLI_TELEMETRY="true", AWS_EC2_METADATA_DISABLED="true",
        AWS_CONFIG_FILE=os.devnull, AWS_SHARED_CREDENTIALS_FILE=os.devnull,
        HTTPS_PROXY="http://127.0.0.1:9", HTTP_PROXY="http://127.0.0.1:9", NO_PROXY="",
        JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION="1",
        # jsii's unpacked copy of aws-cdk-lib (~200 MB, ~10 s to unpack) is shared like the venv it
        # comes from, and kept with it: it is the tool, not the machine
        JSII_RUNTIME_PACKAGE_CACHE_ROOT=str(CDK_TOOLS / "jsii-cache"),
    )
    done = subprocess.run([str(cli), "synth", "--quiet", "--no-notices"], cwd=app, env=env,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    return app / "cdk.out"


def zip_asset(cdk_out: Path, data: bytes) -> Tuple[str, Dict[str, Any]]:
    """The zip asset of the stack's asset manifest that holds ``data``: its hash and entry."""
    assets = json.loads((cdk_out / f"{STACK}.assets.json").read_text(encoding="utf-8"))["files"]
    [(asset_hash, entry)] = [(key, entry) for key, entry in assets.items() if entry["source"]["path"].endswith(".zip")
                             and (cdk_out / entry["source"]["path"]).read_bytes() == data]
    return asset_hash, entry


def layer_asset(cdk_out: Path, checkout: "Checkout") -> Tuple[str, Dict[str, Any]]:
    return zip_asset(cdk_out, checkout.layer.read_bytes())


def resource(cdk_out: Path, kind: str) -> Dict[str, Any]:
    template = json.loads((cdk_out / f"{STACK}.template.json").read_text(encoding="utf-8"))
    [found] = [value for value in template["Resources"].values() if value["Type"] == kind]
    return found["Properties"]


def layer_resource(cdk_out: Path) -> Dict[str, Any]:
    return resource(cdk_out, "AWS::Lambda::LayerVersion")


@needs_cdk
def test_cdk_synth_names_the_asset_by_the_manifest_on_any_machine(core_env, tmp_path):
    machine_a, machine_b = tmp_path / "machine-a", tmp_path / "b"
    first = lay_out(machine_a / "src")
    second = lay_out(machine_b / "elsewhere" / "checkout")
    out_a = cdk_synth(first.recipe("cdk"), machine_a)
    out_b = cdk_synth(second.recipe("cdk"), machine_b)

    for name in (f"{STACK}.template.json", f"{STACK}.assets.json"):
        assert (out_a / name).read_bytes() == (out_b / name).read_bytes(), name
    data = first.layer.read_bytes()
    sha256 = hashlib.sha256(data).hexdigest()
    assert first.manifest()["zip"]["sha256"] == sha256
    # CDK names a custom-hashed asset by the SHA-256 of the hash it is given: here the manifest's
    expected = hashlib.sha256(sha256.encode("ascii")).hexdigest()
    asset_hash, entry = layer_asset(out_a, first)
    assert asset_hash == expected
    assert entry["source"] == {"path": f"asset.{expected}.zip", "packaging": "file"}
    assert (out_a / f"asset.{expected}.zip").read_bytes() == data  # the zip itself, not re-zipped
    python, architecture = demo_target()
    properties = layer_resource(out_a)
    assert properties["Content"]["S3Key"] == f"{expected}.zip"
    assert (properties["CompatibleRuntimes"], properties["CompatibleArchitectures"]) == ([f"python{python}"], [architecture])
    # the function: its zip as an asset named by its manifest, its layer the one above
    function_sha256 = first.manifest(first.function)["zip"]["sha256"]
    assert function_sha256 == hashlib.sha256(first.function.read_bytes()).hexdigest()
    function_hash = hashlib.sha256(function_sha256.encode("ascii")).hexdigest()
    assert zip_asset(out_a, first.function.read_bytes())[0] == function_hash
    function = resource(out_a, "AWS::Lambda::Function")
    assert (function["Code"]["S3Key"], function["Handler"], function["Runtime"], function["Architectures"]) == (
        f"{function_hash}.zip", first.handler(), f"python{python}", [architecture])
    assert len(function["Layers"]) == 1 and list(function["Layers"][0]) == ["Ref"]

    first.build(REQUIREMENTS + "fake-c==1.0\n")
    changed = hashlib.sha256(first.layer.read_bytes()).hexdigest()
    assert changed != sha256
    out_a = cdk_synth(first.recipe("cdk"), machine_a)
    assert layer_asset(out_a, first)[0] == hashlib.sha256(changed.encode("ascii")).hexdigest()
    assert layer_resource(out_a)["Content"]["S3Key"] == f"{hashlib.sha256(changed.encode('ascii')).hexdigest()}.zip"
