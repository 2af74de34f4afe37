# The dependencies of examples/poetry-demo as a Lambda layer, deployed with Terraform.
#
# Build the layer first (from the repository's root): `make demo`, or `poetry lambda-layer` in
# examples/poetry-demo. It writes ../../poetry-demo/build/lambda/layer/layer.zip and its manifest
# layer.zip.json beside it.
#
# source_code_hash comes from the manifest: zip.sha256_base64 is what filebase64sha256() would compute
# (and what Lambda reports as CodeSha256), without reading the zip. The zip's bytes are the same on
# every machine, so a plan shows a change only when the layer changed. The runtime and architecture
# are the manifest's target.

terraform {
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.0"
    }
  }
}

locals {
  layer_dir = "${path.module}/../../poetry-demo/build/lambda/layer"
  manifest  = jsondecode(file("${local.layer_dir}/layer.zip.json"))
}

resource "aws_lambda_layer_version" "deps" {
  layer_name               = "poetry-demo-deps"
  description              = "Runtime dependencies of poetry-demo (lambda-layer-build)."
  filename                 = "${local.layer_dir}/${local.manifest.zip.name}"
  source_code_hash         = local.manifest.zip.sha256_base64
  compatible_runtimes      = [local.manifest.target.runtime]
  compatible_architectures = [local.manifest.target.architecture]
}

output "layer_arn" {
  value = aws_lambda_layer_version.deps.arn
}
