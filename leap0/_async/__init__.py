"""The service clients (the async code is the source; the sync code is generated from it)."""
