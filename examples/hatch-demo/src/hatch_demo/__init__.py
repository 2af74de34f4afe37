"""The function code; the layer holds its dependencies."""
