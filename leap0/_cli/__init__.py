"""``leap0``: the command-line interface to Leap0 sandboxes and their SSH access.

Its parts, a module each:

* ``entry``: ``main()``, running one command;
* ``context``: what a handler gets (:class:`~.context.Context`), the exit
  statuses, ``Terminated``;
* ``commands``: every command and option, declared once, in one table (its
  groups in ``sandbox_commands``, ``ssh_commands``, ``auth_commands`` and
  ``emulator_commands``, shared arguments in ``arguments``; ``spec``: the
  table's shapes);
* ``values``: what the user typed, checked as it is parsed;
* ``parser``, ``prescan`` and ``epilog``: the argparse parser built from the
  table, what is read of the line before it, its help;
* ``settings`` and ``profiles``: where the API key, base URL and SSH routes
  come from (a flag, the environment, the profile file of ``auth``, a default);
  ``logs``: ``--debug`` and ``LEAP0_LOG``;
* ``completion``: bash, zsh and fish completion scripts built from the table;
* ``output``: tables, ``key  value`` lines, JSON, ids (``--format``);
* ``report``: errors on stderr, as text or one JSON object;
* ``retries``: a line on stderr for each long retry wait;
* ``sandbox``, ``listing`` and ``wait``, ``lifecycle``, ``access``, ``auth``:
  the handlers of ``sandbox ...`` (``list`` in ``listing``, ``stop | start |
  pause`` in ``lifecycle``), ``ssh ...`` and ``auth ...``; ``results``: the
  JSON of what was done to each thing named (deletions, stop, start, pause);
* ``states``: what a sandbox's state means, and what to do about it;
* ``connect``, ``ready``, ``credential``, ``openssh``, ``scp``: ``ssh connect``
  and ``ssh cp`` through OpenSSH (the sandbox running first, the credential
  issued and revoked); ``askpass``: the password handed to ``ssh`` once, from
  a directory no other user can tamper with; ``watchdog``: a process that
  revokes the credential if leap0 is killed;
* ``unshown``: a credential that could not be printed is revoked;
  ``manual``: the commands leap0 tells the user to run to finish by hand;
* ``emulator``: ``leap0 emulator``, with the emulator's own options.

``--help``, ``completion`` and usage errors import none of the SDK's
dependencies (httpx, attrs, cattrs): handlers are named in the table and
imported only to run.
"""

from .entry import main

__all__ = ["main"]
