"""The one adapter over Chroma: embedded persistent client or a Chroma server."""
