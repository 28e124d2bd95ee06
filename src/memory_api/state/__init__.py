"""Short-term memory: the JSON state of each agent session."""
