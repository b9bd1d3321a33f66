"""``python -m leap0._cli``: the same as the ``leap0`` command."""

from .entry import main

raise SystemExit(main())
