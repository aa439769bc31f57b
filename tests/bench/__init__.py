"""Benchmarks: run by hand with a documented command, never collected by pytest (see pyproject addopts)."""
