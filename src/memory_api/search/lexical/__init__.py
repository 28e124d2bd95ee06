"""The lexical (BM25) index, kept in the relational database beside the chunk rows."""
