"""Steps 3 and 4: upload the layer zip and publish a Lambda layer version (boto3 imported on use)."""

from .publisher import (
    LambdaLayerPublisher,
    PublishResult,
    build_and_publish,
    publish_layer,
)
from .settings import PublishSettings

__all__ = ["LambdaLayerPublisher", "PublishResult", "PublishSettings", "build_and_publish", "publish_layer"]
