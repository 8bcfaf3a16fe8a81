"""Keeps the outcome summaries in step with signed sessions and adverse events."""
