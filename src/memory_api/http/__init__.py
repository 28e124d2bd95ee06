"""HTTP plumbing shared by every route: middleware and exception handlers."""
