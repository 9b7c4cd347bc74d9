"""Wrangle functions, one module per family (see docs/wrangle.md)."""
