"""The ``hatch`` entry point: registers the ``lambda-layer`` build target with Hatchling and the
``lambda-layer`` publisher with Hatch (imported only when Hatch asks: build environments have no Hatch)."""

from __future__ import annotations

from typing import Any

from hatchling.plugin import hookimpl

from .builder import LambdaLayerHatchBuilder


@hookimpl
def hatch_register_builder() -> type[LambdaLayerHatchBuilder]:
    return LambdaLayerHatchBuilder


@hookimpl
def hatch_register_publisher() -> Any:
    from .publisher import LambdaLayerHatchPublisher

    return LambdaLayerHatchPublisher
