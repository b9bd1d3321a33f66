# Generated from tests/_async/__init__.py by `python setup_hooks.py` (unasync). Do not edit:
# change the async source, then regenerate.
