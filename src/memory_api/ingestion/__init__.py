"""Ingestion: any source -> structural split -> embed -> write (vectors + lexical index)."""
