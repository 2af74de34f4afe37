# examples/poetry-demo deployed with Terraform: its dependencies as a layer, its handler as a function.
#
# Build both first (from the repository's root): `make demo`, or `poetry lambda-layer function` in
# examples/poetry-demo. It writes ../../poetry-demo/build/lambda/layer/layer.zip and
# ../../poetry-demo/build/lambda/function/function.zip, each with its manifest (<zip>.json) beside it.
#
# source_code_hash comes from each manifest: zip.sha256_base64 is what filebase64sha256() would compute
# (and what Lambda reports as CodeSha256), without reading the zip. The zips' bytes are the same on
# every machine, so a plan shows a change only when the layer or the code changed. The runtime and
# architecture are the manifest's target.

terraform {
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.0"
    }
  }
}

locals {
  layer_dir    = "${path.module}/../../poetry-demo/build/lambda/layer"
  manifest     = jsondecode(file("${local.layer_dir}/layer.zip.json"))
  function_dir = "${path.module}/../../poetry-demo/build/lambda/function"
  function     = jsondecode(file("${local.function_dir}/function.zip.json"))
}

resource "aws_lambda_layer_version" "deps" {
  layer_name               = "poetry-demo-deps"
  description              = "Runtime dependencies of poetry-demo (lambda-layer-build)."
  filename                 = "${local.layer_dir}/${local.manifest.zip.name}"
  source_code_hash         = local.manifest.zip.sha256_base64
  compatible_runtimes      = [local.manifest.target.runtime]
  compatible_architectures = [local.manifest.target.architecture]
}

resource "aws_iam_role" "demo" {
  name = "poetry-demo-function"
  assume_role_policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = "sts:AssumeRole", Principal = { Service = "lambda.amazonaws.com" } }]
  })
}

resource "aws_lambda_function" "demo" {
  function_name    = "poetry-demo"
  role             = aws_iam_role.demo.arn
  handler          = "handler.handler"
  filename         = "${local.function_dir}/${local.function.zip.name}"
  source_code_hash = local.function.zip.sha256_base64
  runtime          = local.function.target.runtime
  architectures    = [local.function.target.architecture]
  layers           = [aws_lambda_layer_version.deps.arn]
}

output "layer_arn" {
  value = aws_lambda_layer_version.deps.arn
}
