"""``poetry lambda-layer``: the Poetry application plugin of lambda-layer-build.

Poetry loads :class:`poetry_lambda_layer.plugin.LambdaLayerApplicationPlugin` through the
``poetry.application.plugin`` entry point; the command lives in :mod:`poetry_lambda_layer.command`.
Nothing is imported here, so loading the plugin stays cheap.
"""
