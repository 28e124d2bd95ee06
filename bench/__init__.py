"""Benchmarks: one command each, ratios measured within one run (see BENCHMARKS.md)."""
