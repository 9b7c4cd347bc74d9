"""profile stage (see docs/architecture.md)."""
