"""Map and parallel: bounded, deterministic fan-out over child contexts."""
