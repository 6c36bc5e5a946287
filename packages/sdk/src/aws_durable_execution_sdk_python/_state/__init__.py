"""Execution state: what one invocation knows of the execution, and how it checkpoints."""
