"""Every code example of the seed (error-handling.md) run against this project."""
