"""Benchmark-only pieces, outside the product package: the synthetic clinic and the ceiling view.

A dev-only Django app. ``NEEDLECHART_BENCH=1`` (with ``bench/`` on ``PYTHONPATH``) installs it and routes
its URLs (settings.py); production never sets it.
"""
