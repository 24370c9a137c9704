"""Benchmarks (DESIGN.md section 8).  Run them all with ``python -m bench.run_all``."""
