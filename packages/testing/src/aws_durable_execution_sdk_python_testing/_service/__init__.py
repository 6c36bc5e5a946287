"""The in-memory durable-execution service: executions, checkpoints, timers and history."""
