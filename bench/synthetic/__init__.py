"""Synthetic catalogs for the benchmarks: installed only where ``SYNTHETIC_DATA`` is on
(the test suite and the benchmark), never in production."""
