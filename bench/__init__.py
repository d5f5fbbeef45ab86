"""Benchmarks that print a figure, the raw limit measured in the same run, and their ratio."""
