"""The durable job queue: jobs are rows any process may claim under a lease, and a worker
that runs each claimed job through the handler registered for its kind."""
