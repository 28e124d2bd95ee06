"""Re-embedding a collection with the configured model, from the text in the database."""
