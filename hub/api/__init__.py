"""The HTTP API under /api/v1, plus health, readiness and metrics."""
