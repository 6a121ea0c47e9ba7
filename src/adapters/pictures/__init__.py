"""Pictures converted for a browser."""
