"""Collections: the registry that is the system of record for each collection of a tenant."""
