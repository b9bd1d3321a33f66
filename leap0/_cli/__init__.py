"""``leap0``: the command-line interface to Leap0 sandboxes and their SSH access.

Its parts, a module each:

* ``entry``: ``main()``, the exit statuses, running one command;
* ``commands``: every command and option, declared once, in one table;
* ``values``: what the user typed, checked as it is parsed;
* ``parser``: the argparse parser built from the table;
* ``completion``: bash, zsh and fish completion scripts built from the table;
* ``output``: tables, ``key  value`` lines, JSON, ids (``--format``);
* ``report``: errors on stderr, as text or one JSON object;
* ``retries``: a line on stderr for each long retry wait;
* ``sandbox`` and ``wait``, ``access``: the handlers of ``sandbox ...`` and ``ssh ...``;
* ``session``, ``openssh``, ``scp``: ``ssh connect`` and ``ssh cp`` through OpenSSH;
* ``emulator``: ``leap0 emulator``.

``--help``, ``completion`` and usage errors import none of the SDK's
dependencies (httpx, attrs, cattrs): handlers are named in the table and
imported only to run.
"""

from .entry import main

__all__ = ["main"]
