"""Plugins: lifecycle hooks for instrumentation, on pluggy."""
