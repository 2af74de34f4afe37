"""Step 1a: the exact pins for the target runtime, from the project's lock or dependency list.

One module per source (``poetry_lock``, ``uv_lock``, ``requirements_file``, ``dependency_list``),
the dependency graph that prunes what only excluded distributions need, and the extras check.
"""
