"""Health of the service's dependencies."""
