"""Invocations in a subprocess: the runner's side, the sandbox process, and the wire.

``sandbox`` runs in the runner's process; ``child`` is the sandbox process's entry point
and is imported only there.
"""
