"""``python -m leap0.emulator``: same as ``leap0 emulator``."""

from ._cli import main

raise SystemExit(main())
