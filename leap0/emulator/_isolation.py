"""Sessions in namespaces of their sandbox's own (Linux user namespaces), where the OS allows.

Pure standard library; imported when an emulator starts.

Where isolation is in force, each sandbox that has a session gets a holder
process (:mod:`._namespaces`, ``holder``): a user namespace, and in it mount,
PID, IPC and UTS namespaces, the PID namespace's init keeping them. The
sandbox's filesystem is the host's ``/`` read-only, with ``/home/user`` its
``D/home`` and ``/tmp`` its ``D/tmp`` (both writable), an empty tmpfs over
:data:`HIDDEN` and the emulator's state root, its own ``/proc`` (only the
sandbox's processes) and ``/dev``; its hostname is the sandbox's id. The
sandbox user is uid and gid 1000 inside, and outside the emulator's user,
or ``nobody`` (65534) when the emulator runs as root, so that no session
process is root on the host; it holds no capability and cannot gain one.

A session's command starts through the launcher (:func:`wrap`; ``join``),
which enters those namespaces. Ending a sandbox (:func:`end`) kills the
init of its PID namespace, which kills every process in it: no ``/proc``
scan. A sandbox's holder is started at its first session (about 30 ms here)
and is one process outside the sandbox plus its init, and one socket in the
emulator (its lifeline: when it closes, the emulator ended the sandbox or died,
and the holder kills init).
"""

from __future__ import annotations

import contextlib
import functools
import os
import posixpath
import signal
import socket
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterable

from ._settings import ISOLATION_MODES, Isolation, IsolationInForce

__all__ = [
    "HIDDEN",
    "HOME",
    "ISOLATION_MODES",
    "Isolation",
    "IsolationInForce",
    "View",
    "end",
    "end_under",
    "isolation_available",
    "make_sandbox_dirs",
    "openpty",
    "sandbox_owner",
    "wrap",
]

#: Where an isolated session sees its home and its temporary directory.
HOME = "/home/user"
TMP = "/tmp"
#: Host directories an isolated session does not see (an empty tmpfs over each),
#: besides the emulator's state root; ``/home/user`` and ``/tmp`` are binds over them.
HIDDEN = ("/home", "/root", "/run", "/var/run", "/tmp")
#: What a session sees of its own there, not the host's: no host path behind them.
_OWN = ("/proc", "/dev")
#: The host uid and gid of the sandbox user when the emulator runs as root.
NOBODY = 65534
#: How long a sandbox's holder may take to set its namespaces up.
_START_TIMEOUT = 10.0
#: How long ending a sandbox waits for its holder to exit.
_END_TIMEOUT = 5.0

# The pty ioctls Python's termios does not name: _IOR('T', 0x30, int), _IOW('T', 0x31,
# int), _IO('T', 0x41); the direction bits differ on a few machines.
_OLD_IOC = os.uname().machine.startswith(("ppc", "mips", "sparc"))
_IOC_READ, _IOC_WRITE = (2 << 29, 4 << 29) if _OLD_IOC else (2 << 30, 1 << 30)
_TIOCGPTN = _IOC_READ | (4 << 16) | (ord("T") << 8) | 0x30
_TIOCSPTLCK = _IOC_WRITE | (4 << 16) | (ord("T") << 8) | 0x31
_TIOCGPTPEER = (ord("T") << 8) | 0x41

_HERE = os.path.dirname(os.path.abspath(__file__))
# The child imports _namespaces by path (the package itself is not imported there).
_BOOT = f"import sys;sys.path.append({_HERE!r});import _namespaces;_namespaces.main(sys.argv[1:])"


def _under(path: str, prefix: str) -> bool:
    return path == prefix or path.startswith(prefix.rstrip("/") + "/")


class View:
    """The filesystem as a sandbox's sessions see it, and where each path is on the host.

    Pure: no I/O at construction. ``workdir`` is the sandbox's directory D
    (``SessionTarget.workdir``): ``D/home`` is its home, ``D/tmp`` its
    temporary directory.

    Attributes:
        home: The path a session sees as its home (``/home/user`` isolated).
        tmp: The path a session sees as its temporary directory.
        host_home: ``D/home``; host_tmp: ``D/tmp``.
        root: The directory holding every sandbox's directory.
        owner: ``(uid, gid)`` a file the emulator makes for the sandbox user
            must be given (the emulator runs as root, isolated), or None: as
            the emulator makes it.
    """

    __slots__ = ("home", "host_home", "host_tmp", "isolated", "owner", "root", "tmp", "workdir")

    def __init__(self, workdir: str, isolated: bool) -> None:
        self.workdir = workdir
        self.isolated = isolated
        self.host_home = os.path.join(workdir, "home")
        self.host_tmp = os.path.join(workdir, "tmp")
        self.root = os.path.dirname(os.path.abspath(workdir))
        self.home = HOME if isolated else self.host_home
        self.tmp = TMP if isolated else self.host_tmp
        owner = sandbox_owner()
        self.owner = owner if isolated and owner != (os.geteuid(), os.getegid()) else None

    @classmethod
    def for_sandbox(cls, workdir: str, isolated: bool) -> View:
        return cls(workdir, isolated)

    def to_host(self, path: str) -> tuple[str, bool] | None:
        """``(host path, writable)`` for an absolute, normalised session path; None if hidden.

        Isolated: ``/home/user[/...]`` is ``D/home[/...]`` and ``/tmp[/...]``
        is ``D/tmp[/...]``, both writable; a hidden path (:data:`HIDDEN`,
        the state root, and ``/proc`` and ``/dev``, which are the sandbox's
        own) is None; any other path is the same host path, read-only. Not
        isolated: the path itself, writable.
        """
        if not self.isolated:
            return path, True
        if _under(path, HOME):
            return self.host_home + path[len(HOME) :], True
        if _under(path, TMP):
            return self.host_tmp + path[len(TMP) :], True
        if any(_under(path, hidden) for hidden in HIDDEN + _OWN) or _under(path, self.root):
            return None
        return posixpath.normpath(path), False


@functools.lru_cache(maxsize=1)
def sandbox_owner() -> tuple[int, int]:
    """The host uid and gid of an isolated sandbox's user: the emulator's, or nobody's as root.

    As root, ``nobody`` (65534) where that id exists here (a root in a user
    namespace that maps only itself has no other to give: its own then).
    """
    if os.geteuid() == 0 and _mapped("uid_map", NOBODY) and _mapped("gid_map", NOBODY):
        return NOBODY, NOBODY
    return os.geteuid(), os.getegid()


def _mapped(name: str, wanted: int) -> bool:
    """Whether id ``wanted`` exists in this process's user namespace (its uid or gid map)."""
    try:
        with open(f"/proc/self/{name}") as handle:
            for line in handle:
                inside, _, count = (int(field) for field in line.split())
                if inside <= wanted < inside + count:
                    return True
    except (OSError, ValueError):
        return False
    return False


# -- is it possible here -----------------------------------------------------------------


@functools.lru_cache(maxsize=1)
def isolation_available() -> str | None:
    """None when sessions can be isolated here, else why not (one sentence).

    Tried once per process, for real: a sandbox's namespaces are set up in a
    scratch directory and a command is run in them.
    """
    return _probe()


def _probe() -> str | None:
    if not sys.platform.startswith("linux"):
        return f"sessions are isolated with Linux namespaces, and this is {sys.platform}"
    if not sys.executable:
        return "the namespace launcher needs a Python executable (sys.executable is empty)"
    scratch = tempfile.mkdtemp(prefix="leap0-isolation-probe-")
    workdir = os.path.join(scratch, "sbx-probe")
    try:
        for path in (workdir, os.path.join(workdir, "home"), os.path.join(workdir, "tmp")):
            os.mkdir(path, 0o700)
        if sandbox_owner() != (os.geteuid(), os.getegid()):
            for path in (os.path.join(workdir, "home"), os.path.join(workdir, "tmp")):
                os.chown(path, *sandbox_owner())
        try:
            holder = _Holder.start(workdir, "sbx-probe")
        except OSError as exc:
            return str(exc)
        try:
            argv = holder.argv(["/bin/sh", "-c", "touch /home/user/.probe && test ! -w /etc"], {})
            done = subprocess.run(
                argv,
                env={},
                cwd="/",
                stdin=subprocess.DEVNULL,
                capture_output=True,
                timeout=_START_TIMEOUT,
                check=False,
            )
        finally:
            holder.kill()
        if done.returncode != 0:
            said = done.stderr.decode("utf-8", "replace").strip() or f"exit {done.returncode}"
            return f"a command in the sandbox's namespaces failed here: {said}"
        if not os.path.exists(os.path.join(workdir, "home", ".probe")):
            return "a sandbox's home was not writable from inside its namespaces"
        return None
    except (OSError, subprocess.SubprocessError) as exc:
        return f"the namespace launcher could not run: {exc}"
    finally:
        import shutil

        shutil.rmtree(scratch, ignore_errors=True)


# -- the sandboxes' holders ----------------------------------------------------------------


class _Holder:
    """One sandbox's namespaces: the holder process, its init's pid, the control socket."""

    def __init__(
        self, popen: subprocess.Popen[bytes], sock: socket.socket, init: int, userns: int
    ) -> None:
        self.popen = popen
        self.sock = sock
        self.init = init
        self.userns = userns

    @classmethod
    def start(cls, workdir: str, sandbox_id: str) -> _Holder:
        """Start the holder of the sandbox ``workdir``; OSError (its message why) on failure."""
        ours, theirs = socket.socketpair()
        try:
            popen = subprocess.Popen(
                [sys.executable, "-I", "-S", "-c", _BOOT, "holder", str(theirs.fileno())],
                pass_fds=[theirs.fileno()],
                env={},
                cwd="/",
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
            )
        except BaseException:
            ours.close()
            raise
        finally:
            theirs.close()
        try:
            return cls._handshake(popen, ours, workdir, sandbox_id)
        except BaseException:
            ours.close()
            with contextlib.suppress(OSError):
                popen.kill()
            popen.wait()
            raise

    @classmethod
    def _handshake(
        cls, popen: subprocess.Popen[bytes], sock: socket.socket, workdir: str, sandbox_id: str
    ) -> _Holder:
        sock.settimeout(_START_TIMEOUT)
        root = os.path.realpath(os.path.dirname(os.path.abspath(workdir)))
        config = {
            "hostname": sandbox_id,
            "home": os.path.realpath(os.path.join(workdir, "home")),
            "tmp": os.path.realpath(os.path.join(workdir, "tmp")),
            "root": root,
            "hidden": ":".join(HIDDEN),
            "shell": "/bin/bash" if os.access("/bin/bash", os.X_OK) else "/bin/sh",
        }
        sock.sendall(
            b"".join(os.fsencode(k) + b"\0" + os.fsencode(v) + b"\0" for k, v in config.items())
            + b"\0"
        )
        lines = _Lines(sock)
        word = lines.next()
        if word != "U":
            raise OSError(_failure(word))
        uid, gid = sandbox_owner()
        try:
            for name, text in (
                ("setgroups", "deny"),
                ("uid_map", f"1000 {uid} 1"),
                ("gid_map", f"1000 {gid} 1"),
            ):
                with open(f"/proc/{popen.pid}/{name}", "w") as handle:
                    handle.write(text)
        except OSError as exc:
            raise OSError(f"user namespaces are refused here: writing {name}: {exc}") from None
        sock.sendall(b"M\n")
        init = 0
        ready = False
        while not (init and ready):
            word = lines.next()
            if word.startswith("P "):
                init = int(word[2:])
            elif word == "R":
                ready = True
            else:
                raise OSError(_failure(word))
        userns = os.stat(f"/proc/{init}/ns/user").st_ino
        sock.settimeout(None)
        return cls(popen, sock, init, userns)

    def argv(self, argv: list[str], env: dict[str, str]) -> list[str]:
        lc_ctype = env.get("LC_CTYPE", "-")
        head = [sys.executable, "-I", "-S", "-c", _BOOT, "join", str(self.init), str(self.userns)]
        return [*head, lc_ctype, "--", *argv]

    def alive(self) -> bool:
        return self.popen.poll() is None

    def kill(self) -> None:
        """Kill the sandbox's init (so every process in it), then wait for the holder."""
        # init is the holder's child: while the holder runs, its pid is init's.
        if self.alive():
            with contextlib.suppress(OSError):
                os.kill(self.init, signal.SIGKILL)
        self.sock.close()  # the holder kills init too, should it still run
        try:
            self.popen.wait(_END_TIMEOUT)
        except subprocess.TimeoutExpired:  # pragma: no cover - the holder never hangs
            self.popen.kill()
            self.popen.wait()


class _Lines:
    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock
        self._data = b""

    def next(self) -> str:
        while b"\n" not in self._data:
            try:
                chunk = self._sock.recv(4096)
            except TimeoutError:
                raise OSError("the sandbox's namespaces took too long to set up") from None
            if not chunk:
                return ""
            self._data += chunk
        line, _, self._data = self._data.partition(b"\n")
        return line.decode("utf-8", "replace")


def _failure(word: str) -> str:
    if word.startswith("E "):
        return word[2:]
    return "the namespace holder exited during its setup"


_lock = threading.Lock()
_holders: dict[str, _Holder] = {}


def _holder(workdir: str, sandbox_id: str) -> _Holder:
    with _lock:
        holder = _holders.get(workdir)
        if holder is not None and holder.alive():
            return holder
        if holder is not None:
            holder.kill()
        holder = _Holder.start(workdir, sandbox_id)
        _holders[workdir] = holder
        return holder


def wrap(argv: list[str], *, workdir: str, sandbox_id: str, env: dict[str, str]) -> list[str]:
    """``argv`` run inside the sandbox's namespaces, as the sandbox user, in its home.

    The result is to be started with exactly ``env`` (passed through to
    ``argv`` unchanged), in a new session (:func:`._child.spawn`); the
    launcher reads nothing of the emulator's environment. The sandbox's
    namespaces are made at its first session (:func:`end` ends them). The
    launcher's child runs ``argv`` in the launcher's session and process
    group: a terminal that is the launcher's controlling tty is its too.

    Raises:
        OSError: The sandbox's namespaces could not be set up.
    """
    return _holder(workdir, sandbox_id).argv(argv, env)


def openpty(*, workdir: str, sandbox_id: str) -> tuple[int, int, str]:
    """A new pty of the sandbox's own ``/dev/pts``: ``(master, slave, its name inside)``.

    The host's ptys are not in an isolated sandbox's ``/dev``, so a session's
    terminal is made in the sandbox's: ``tty`` names it there, and no session
    can open another sandbox's. Both ends are close-on-exec.

    Raises:
        OSError: The sandbox's namespaces could not be set up.
    """
    import fcntl

    holder = _holder(workdir, sandbox_id)
    flags = os.O_RDWR | os.O_NOCTTY | os.O_CLOEXEC
    master = os.open(f"/proc/{holder.init}/root/dev/pts/ptmx", flags)
    try:
        fcntl.ioctl(master, _TIOCSPTLCK, b"\0\0\0\0")
        number = int.from_bytes(fcntl.ioctl(master, _TIOCGPTN, b"\0\0\0\0"), sys.byteorder)
        try:
            slave = fcntl.ioctl(master, _TIOCGPTPEER, flags)
        except OSError:  # before Linux 4.13: by its name
            slave = os.open(f"/proc/{holder.init}/root/dev/pts/{number}", flags)
        if sandbox_owner() != (os.geteuid(), os.getegid()):
            with contextlib.suppress(OSError):
                os.fchown(slave, *sandbox_owner())
    except BaseException:
        os.close(master)
        raise
    return master, slave, f"/dev/pts/{number}"


def end(workdirs: Iterable[str]) -> int:
    """End the namespaces of these sandboxes: every process in them is dead on return.

    Returns how many sandboxes had namespaces to end.
    """
    with _lock:
        ending = [h for h in (_holders.pop(w, None) for w in workdirs) if h is not None]
    for holder in ending:
        holder.kill()
    return len(ending)


def end_under(root: str) -> int:
    """End the namespaces of every sandbox whose directory is in ``root`` (an emulator's)."""
    with _lock:
        workdirs = [w for w in _holders if os.path.dirname(w) == root]
    return end(workdirs)


def make_sandbox_dirs(workdir: str, isolated: bool) -> None:
    """Make ``D/home`` and ``D/tmp`` in the sandbox's new directory ``D``, for its user."""
    for name, mode in (("home", 0o700), ("tmp", 0o1777)):
        path = os.path.join(workdir, name)
        with contextlib.suppress(FileExistsError):
            os.mkdir(path, 0o700)
            os.chmod(path, mode)
            if isolated and sandbox_owner() != (os.geteuid(), os.getegid()):
                os.chown(path, *sandbox_owner())
