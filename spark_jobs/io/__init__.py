"""io stage (see docs/architecture.md)."""
