"""Performance benchmarks: `python -m benchmarks [--customers N] [--json FILE]` (see run.py)."""
