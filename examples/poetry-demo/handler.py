"""The example function: its code ships in function.zip, its dependencies in the layer.

`poetry lambda-layer function` (or `make demo`) builds build/lambda/function/function.zip with this
module at its root, after build/lambda/layer/layer.zip; Lambda calls `handler.handler`.
"""

import yaml
from dateutil import parser


def handler(event, context):
    when = parser.isoparse(event.get("when", "2024-01-01T00:00:00+00:00"))
    return {"when": yaml.safe_dump({"when": when.isoformat()}).strip()}
