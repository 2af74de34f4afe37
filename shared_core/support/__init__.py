"""Small helpers every step may use (files written atomically, caches, names, digests, sizes, the
toolchain, reporting); they import nothing above ``lambda_runtime`` and ``errors``.
"""
