"""Authentication: API keys in, a ``Principal`` (tenant, key id) out, for every route."""
