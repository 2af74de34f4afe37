"""The ``hatch`` entry point: registers the ``lambda-layer`` build target with Hatchling."""

from __future__ import annotations

from hatchling.plugin import hookimpl

from .builder import LambdaLayerBuilder


@hookimpl
def hatch_register_builder() -> type[LambdaLayerBuilder]:
    return LambdaLayerBuilder
