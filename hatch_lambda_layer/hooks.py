"""The ``hatch`` entry point: registers the ``lambda-layer`` and ``lambda-function`` build targets with
Hatchling and the ``lambda-layer`` publisher with Hatch (imported only when Hatch asks: build
environments have no Hatch)."""

from __future__ import annotations

from typing import Any, List

from hatchling.plugin import hookimpl

from .builder import LambdaLayerHatchBuilder
from .function_builder import LambdaFunctionHatchBuilder


@hookimpl
def hatch_register_builder() -> List[type[LambdaLayerHatchBuilder]]:
    return [LambdaLayerHatchBuilder, LambdaFunctionHatchBuilder]


@hookimpl
def hatch_register_publisher() -> Any:
    from .publisher import LambdaLayerHatchPublisher

    return LambdaLayerHatchPublisher
