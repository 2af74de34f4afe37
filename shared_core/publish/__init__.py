"""Steps 3 and 4: upload the layer zip and publish a Lambda layer version (boto3 imported on use)."""
