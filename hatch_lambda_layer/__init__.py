"""``hatch build -t lambda-layer``: a Hatch builder plugin, thin over :mod:`shared_core`.

Enable it per project, without touching ``[build-system]``::

    [tool.hatch.build.targets.lambda-layer]
    dependencies = ["lambda-layer-build"]

(until it is on PyPI, from a checkout: ``dependencies = ["lambda-layer-build @ file:///path/to/lambda-layer-build"]``).

Hatchling finds the builder through the ``hatch`` entry point (:mod:`hatch_lambda_layer.hooks`).
"""

PLUGIN_NAME = "lambda-layer"

__all__ = ["PLUGIN_NAME"]
