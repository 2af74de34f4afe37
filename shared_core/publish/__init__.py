"""Steps 3 and 4: upload the layer zip and publish a Lambda layer version (boto3 imported on use)."""

from shared_core.publish.aws import load_boto3
from shared_core.publish.publisher import (
    LambdaLayerPublisher,
    PublishResult,
    build_and_publish,
    publish_built_layer,
    publish_layer,
    with_layer_name,
)
from shared_core.publish.settings import (
    HATCH_PUBLISH_TABLE,
    PUBLISH_KEYS,
    PUBLISH_TABLE,
    PublishSettings,
    apply_publish_options,
    publish_table,
    settings_from_tables,
)

__all__ = [
    "HATCH_PUBLISH_TABLE",
    "PUBLISH_KEYS",
    "PUBLISH_TABLE",
    "LambdaLayerPublisher",
    "PublishResult",
    "PublishSettings",
    "apply_publish_options",
    "build_and_publish",
    "load_boto3",
    "publish_built_layer",
    "publish_layer",
    "publish_table",
    "settings_from_tables",
    "with_layer_name",
]
