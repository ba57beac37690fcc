"""Lowerings: (in progress)."""
