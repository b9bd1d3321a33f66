"""``leap0``: the command-line interface to Leap0 sandboxes and their SSH access.

Its parts, a module each:

* ``entry``: ``main()``, the exit statuses, running one command;
* ``commands``: every command and option, declared once, in one table (its
  groups in ``sandbox_commands`` and ``ssh_commands``, shared arguments in
  ``arguments``; ``spec``: the table's shapes);
* ``values``: what the user typed, checked as it is parsed;
* ``parser`` and ``epilog``: the argparse parser built from the table, its help;
* ``completion``: bash, zsh and fish completion scripts built from the table;
* ``output``: tables, ``key  value`` lines, JSON, ids (``--format``);
* ``report``: errors on stderr, as text or one JSON object;
* ``retries``: a line on stderr for each long retry wait;
* ``sandbox`` and ``wait``, ``lifecycle``, ``access``: the handlers of
  ``sandbox ...`` (``stop | start | pause`` in ``lifecycle``) and ``ssh ...``;
* ``states``: what a sandbox's state means, and what to do about it;
* ``session``, ``ready``, ``credential``, ``openssh``, ``scp``: ``ssh connect``
  and ``ssh cp`` through OpenSSH (the sandbox running first, the credential
  issued and revoked); ``askpass``: the password handed to ``ssh`` once, from
  a directory no other user can tamper with; ``watchdog``: a process that
  revokes the credential if leap0 is killed;
* ``unshown``: a credential that could not be printed is revoked;
  ``manual``: the commands leap0 tells the user to run to finish by hand;
* ``emulator``: ``leap0 emulator``.

``--help``, ``completion`` and usage errors import none of the SDK's
dependencies (httpx, attrs, cattrs): handlers are named in the table and
imported only to run.
"""

from .entry import main

__all__ = ["main"]
