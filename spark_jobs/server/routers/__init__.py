"""One router per resource: job groups, flows."""
