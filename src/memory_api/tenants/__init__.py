"""Tenants: the folders each tenant may index, and erasing everything a tenant owns."""
