"""Orchestration: the project read once, the target chosen, both steps run under the build lock,
the outputs guarded and fingerprinted, and the publish that follows a build.

The step packages (``pins``, ``install``, ``pack``, ``publish``) know nothing of each other's
callers; this package is the only place that strings them together.
"""
