"""Directory indexing: /index_files and friends, the ``index_directory`` job handler, and the
pipeline it runs (scan -> split -> embed -> write). The queue itself is ``memory_api.jobs``."""
