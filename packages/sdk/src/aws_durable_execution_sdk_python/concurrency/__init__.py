"""Map and parallel results."""
