"""Wrangle transforms, one module per family (see docs/wrangle.md)."""
