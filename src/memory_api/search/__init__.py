"""Retrieval: filters, semantic and lexical search, fusion."""
