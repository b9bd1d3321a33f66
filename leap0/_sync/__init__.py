# Generated from leap0/_async/__init__.py by `python setup_hooks.py` (unasync). Do not edit:
# change the async source, then regenerate.
"""The service clients (the async code is the source; the sync code is generated from it)."""
