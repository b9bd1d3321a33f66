"""The process's soft limit on open files, raised to its hard limit when an emulator starts.

Every SSH session holds a few file descriptors (its connection's socket and
two more), every HTTP connection one; the soft limit many systems start
programs with (``ulimit -n`` 1024) is far below the hard limit they allow,
and running out fails sessions with "Too many open files". Raising the soft
limit up to the hard one needs no privilege. It is the whole process's limit,
so code in the same process that still uses ``select()`` (which cannot watch
descriptors from 1024 on) should not rely on the low limit. Pure standard
library; where :mod:`resource` is missing (Windows) nothing changes.
"""

from __future__ import annotations

import logging

__all__ = ["raise_open_files_limit"]

log = logging.getLogger("leap0.emulator")

#: The most the soft limit is raised to when the hard limit is unlimited.
_UNLIMITED_CAP = 1 << 20


def raise_open_files_limit() -> tuple[int, int] | None:
    """Raise ``RLIMIT_NOFILE``'s soft limit to the hard one; the (soft, hard) now, or None.

    None where the platform has no such limit. A refusal (some systems cap
    the soft limit below an unlimited hard one) leaves the limit as it was.
    """
    try:
        import resource
    except ImportError:  # pragma: no cover - not POSIX
        return None
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = _UNLIMITED_CAP if hard == resource.RLIM_INFINITY else hard
    if soft != resource.RLIM_INFINITY and soft < target:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        except (ValueError, OSError) as exc:
            log.debug("could not raise the open files limit from %d to %d: %s", soft, target, exc)
        else:
            soft = target
    return soft, hard
