"""The processes that put sessions in their sandbox's namespaces (Linux): holder and launcher.

Run as ``python -I -S`` children of the emulator, never imported by it (it
imports :mod:`._isolation`), so this module uses the standard library only,
and little of it: a session's start pays for what is imported here.

``holder``: one per sandbox. It makes a user namespace (the sandbox user,
uid and gid 1000 inside, is the emulator's user outside, or ``nobody`` when
the emulator runs as root), and in it mount, PID, IPC and UTS namespaces;
its child is the PID namespace's init (pid 1), which sets up the sandbox's
filesystem (the host's ``/`` read-only, hidden paths under empty tmpfs,
``/home/user`` and ``/tmp`` bound to the sandbox's directories, its own
``/proc`` and ``/dev``), drops every capability and then only reaps orphans.
Killing init (SIGKILL from outside) kills every process of the sandbox; the
holder kills init when its control socket to the emulator closes (the
emulator ended the sandbox, or died), and init dies with the holder.

``join``: one per session. It enters the sandbox's namespaces
(``setns``), becomes the sandbox user with no capability and
``no_new_privs``, and runs the session's command in a child inside the PID
namespace, whose exit status (or signal) it passes on. The child stays in
the launcher's session and process group, so the emulator's signals and its
kill of the group reach it; the launcher ignores the signals it is sent, and
its child dies with it (``PR_SET_PDEATHSIG``).
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import resource
import select
import signal

# Everything is imported here, before anything runs: once in a sandbox's namespaces the
# Python running this may not be there (a host's /root and /home are hidden).

UID = 1000
GID = 1000
USER = "user"
HOME = "/home/user"

CLONE_NEWNS = 0x00020000
CLONE_NEWUTS = 0x04000000
CLONE_NEWIPC = 0x08000000
CLONE_NEWUSER = 0x10000000
CLONE_NEWPID = 0x20000000

MS_RDONLY = 1
MS_NOSUID = 2
MS_NODEV = 4
MS_NOEXEC = 8
MS_REMOUNT = 32
MS_NOATIME = 1024
MS_NODIRATIME = 2048
MS_BIND = 4096
MS_REC = 16384
MS_SILENT = 32768
MS_PRIVATE = 1 << 18
MS_RELATIME = 1 << 21
MNT_DETACH = 2
#: statvfs's flags that a read-only remount of a bind must keep (the same bits as MS_*).
_KEPT_FLAGS = MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_NOATIME | MS_NODIRATIME | MS_RELATIME

PR_SET_PDEATHSIG = 1
PR_SET_DUMPABLE = 4
PR_SET_NO_NEW_PRIVS = 38

#: pivot_root has no libc wrapper: its number, per machine.
_PIVOT_ROOT = {
    "x86_64": 155,
    "aarch64": 41,
    "arm64": 41,
    "riscv64": 41,
    "loongarch64": 41,
    "ppc64le": 203,
    "ppc64": 203,
    "s390x": 217,
    "i686": 217,
    "i386": 217,
    "armv7l": 218,
    "armv6l": 218,
}
#: mount_setattr (Linux 5.12): the same number on every machine above.
_MOUNT_SETATTR = 442
_AT_FDCWD = -100
_AT_RECURSIVE = 0x8000
_MOUNT_ATTR_RDONLY = 1

_SIGNALS_PASSED = (
    "SIGHUP",
    "SIGINT",
    "SIGQUIT",
    "SIGTERM",
    "SIGPIPE",
    "SIGALRM",
    "SIGUSR1",
    "SIGUSR2",
    "SIGTSTP",
    "SIGTTIN",
    "SIGTTOU",
    "SIGWINCH",
    "SIGCONT",
)


class Refused(Exception):
    """A step the kernel refused: its message says which, and why."""


_libc = ctypes.CDLL(None, use_errno=True)


def _check(result: int, what: str) -> int:
    if result == -1:
        errno = ctypes.get_errno()
        raise Refused(f"{what}: {os.strerror(errno)} (errno {errno})")
    return result


def _path(value: str | None) -> bytes | None:
    return None if value is None else os.fsencode(value)


def mount(
    source: str | None, target: str, fstype: str | None, flags: int, data: str | None = None
) -> None:
    _libc.mount.argtypes = [ctypes.c_char_p] * 3 + [ctypes.c_ulong, ctypes.c_char_p]
    _check(
        _libc.mount(_path(source), _path(target), _path(fstype), flags, _path(data)),
        f"mount {target}",
    )


def umount(target: str, flags: int) -> None:
    _check(_libc.umount2(os.fsencode(target), flags), f"umount {target}")


def unshare(flags: int, what: str) -> None:
    _check(_libc.unshare(flags), what)


def setns(fd: int, nstype: int, what: str) -> None:
    _check(_libc.setns(fd, nstype), f"setns({what})")


def prctl(option: int, value: int) -> None:
    _check(_libc.prctl(option, ctypes.c_ulong(value), 0, 0, 0), f"prctl({option})")


def pivot_root(new: str, old: str) -> None:
    number = _PIVOT_ROOT.get(os.uname().machine)
    if number is None:
        raise Refused(f"pivot_root's system call number is unknown on {os.uname().machine}")
    _check(_libc.syscall(number, os.fsencode(new), os.fsencode(old)), "pivot_root")


def drop_capabilities() -> None:
    """No capability left, none to gain: capset to nothing, then no_new_privs."""

    class Header(ctypes.Structure):
        _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]

    data = (ctypes.c_uint32 * 6)()
    _check(_libc.capset(ctypes.byref(Header(0x20080522, 0)), data), "capset")
    prctl(PR_SET_NO_NEW_PRIVS, 1)


# -- the holder ---------------------------------------------------------------


def _send(sock: int, line: str) -> None:
    os.write(sock, line.encode("utf-8", "surrogateescape") + b"\n")


def _receive_config(sock: int) -> dict[str, str]:
    data = b""
    while not data.endswith(b"\0\0"):
        chunk = os.read(sock, 65536)
        if not chunk:
            os._exit(1)
        data += chunk
    fields = [os.fsdecode(f) for f in data[:-2].split(b"\0")]
    return dict(zip(fields[0::2], fields[1::2], strict=False))


def _await(sock: int, word: str) -> None:
    got = os.read(sock, 64)
    if got.strip() != word.encode():
        os._exit(1)


def holder(sock: int) -> None:
    """The sandbox's namespaces: made, mapped by the emulator, set up by init; kept."""
    try:
        config = _receive_config(sock)
        unshare(
            CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWUTS,
            "user namespaces are refused here: unshare(CLONE_NEWUSER|CLONE_NEWNS|CLONE_NEWPID)",
        )
    except Exception as exc:
        _send(sock, f"E {exc}")
        os._exit(1)
    _send(sock, "U")  # the emulator writes the uid and gid maps now
    _await(sock, "M")
    try:
        name = config["hostname"].encode()
        _check(_libc.sethostname(name, len(name)), "sethostname")
    except Exception as exc:
        _send(sock, f"E {exc}")
        os._exit(1)
    init = os.fork()
    if init == 0:
        try:
            prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
            _init(sock, config)
        except BaseException as exc:  # pragma: no cover - reported to the emulator
            _send(sock, f"E {exc}")
        os._exit(1)
    _send(sock, f"P {init}")
    _hold(sock, init)


def _hold(sock: int, init: int) -> None:
    """Until init exits, or the emulator closes its end: then kill init, and exit."""
    try:
        pidfd = os.pidfd_open(init)
    except (AttributeError, OSError):
        pidfd = None
    watched = [sock] if pidfd is None else [sock, pidfd]
    while True:
        ready, _, _ = select.select(watched, [], [], 1.0 if pidfd is None else None)
        if sock in ready:
            try:
                data = os.read(sock, 64)
            except OSError:
                data = b""
            if not data:
                os.kill(init, signal.SIGKILL)
        pid, _ = os.waitpid(init, os.WNOHANG)
        if pid:
            os._exit(0)


def _init(sock: int, config: dict[str, str]) -> None:
    """pid 1 of the sandbox: its filesystem, no capability, then reap orphans forever."""
    _filesystem(config)
    drop_capabilities()
    prctl(PR_SET_DUMPABLE, 0)

    def reap(signum: int, frame: object) -> None:
        try:
            while os.waitpid(-1, os.WNOHANG)[0]:
                pass
        except ChildProcessError:
            pass

    signal.signal(signal.SIGCHLD, reap)
    _send(sock, "R")
    for fd in range(3):
        with contextlib.suppress(OSError):
            os.dup2(os.open(os.devnull, os.O_RDWR), fd)
    # The emulator closing its end (or dying) ends the sandbox: pid 1 exits.
    while True:
        try:
            if not os.read(sock, 64):
                os._exit(0)
        except OSError:
            os._exit(0)


def _under(path: str, prefix: str) -> bool:
    return path == prefix or path.startswith(prefix.rstrip("/") + "/")


def _filesystem(config: dict[str, str]) -> None:
    """Build the sandbox's root in a tmpfs and pivot into it (bubblewrap's way)."""
    root = config["root"]
    hidden = [p for p in config["hidden"].split(":") if p]
    resolv = os.path.realpath("/etc/resolv.conf")
    # The sources of the binds, opened while their host path can be walked: a root
    # emulator's sandbox directory is root's alone, and what follows runs as the
    # sandbox user (still holding every capability in its namespace, until exec).
    home = _opened(config["home"])
    tmp = _opened(config["tmp"])
    resolv_fd = _opened(resolv) if _under(resolv, "/run") and os.path.isfile(resolv) else None
    os.setresgid(GID, GID, GID)
    os.setresuid(UID, UID, UID)
    mount(None, "/", None, MS_SILENT | MS_REC | MS_PRIVATE)
    base = "/tmp"
    mount("tmpfs", base, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755")
    os.chdir(base)
    os.mkdir("newroot", 0o755)
    os.mkdir("oldroot", 0o755)
    pivot_root(base, "oldroot")
    os.chdir("/")
    _etc_files(config)
    new = "/newroot"
    mount("/oldroot", new, None, MS_SILENT | MS_BIND | MS_REC)
    _read_only(new)
    # Hidden: an empty tmpfs over each (those under another hidden one are hidden already).
    covered: list[str] = []
    for path in sorted({*hidden, root}, key=len):
        if any(_under(path, done) for done in covered):
            continue
        target = new + path
        if os.path.islink(target) or not os.path.isdir(target):
            continue
        try:
            mount("tmpfs", target, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755,size=1m")
        except Refused:
            if path != root:
                raise
            continue  # a state root the sandbox user cannot walk to: unreachable anyway
        covered.append(path)
    os.makedirs(new + HOME, 0o755, exist_ok=True)
    _bind(_fd_path(home), new + HOME, writable=True)
    _bind(_fd_path(tmp), new + "/tmp", writable=True)
    # /etc/resolv.conf pointing into a hidden directory (systemd-resolved's /run/...).
    if resolv_fd is not None:
        os.makedirs(os.path.dirname(new + resolv), 0o755, exist_ok=True)
        open(new + resolv, "a").close()
        _bind(_fd_path(resolv_fd), new + resolv, writable=False)
    for name in ("passwd", "group", "hosts"):
        if os.path.exists("/" + name) and os.path.isfile(new + "/etc/" + name):
            _bind("/" + name, new + "/etc/" + name, writable=False)
    _dev(new + "/dev")
    mount("proc", new + "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
    umount("/oldroot", MNT_DETACH)
    os.chdir(new)
    pivot_root(".", ".")
    umount(".", MNT_DETACH)
    os.chdir("/")


def _opened(path: str) -> int:
    return os.open(path, os.O_PATH | os.O_CLOEXEC)


def _fd_path(fd: int) -> str:
    """A path to what ``fd`` is, through the host's /proc (in /oldroot until it goes)."""
    return f"/oldroot/proc/self/fd/{fd}"


def _bind(source: str, target: str, writable: bool) -> None:
    mount(source, target, None, MS_SILENT | MS_BIND)
    flags = MS_BIND | MS_REMOUNT | MS_NOSUID | MS_NODEV | (0 if writable else MS_RDONLY)
    flags |= os.statvfs(target).f_flag & (MS_NOEXEC | MS_NOATIME | MS_NODIRATIME | MS_RELATIME)
    mount(None, target, None, MS_SILENT | flags)


def _read_only(top: str) -> None:
    """Every mount under ``top`` read-only: at once (mount_setattr), else one by one."""

    class MountAttr(ctypes.Structure):
        _fields_ = [(n, ctypes.c_uint64) for n in ("set", "clr", "propagation", "userns")]

    attr = MountAttr(_MOUNT_ATTR_RDONLY, 0, 0, 0)
    result = _libc.syscall(
        _MOUNT_SETATTR,
        _AT_FDCWD,
        os.fsencode(top),
        _AT_RECURSIVE,
        ctypes.byref(attr),
        ctypes.sizeof(attr),
    )
    if result == 0:
        return
    for point in _mount_points(top):
        try:
            kept = os.statvfs(point).f_flag & _KEPT_FLAGS
        except OSError:
            continue  # not reachable (covered by another mount): hidden anyway
        mount(None, point, None, MS_SILENT | MS_BIND | MS_REMOUNT | MS_RDONLY | kept)


def _mount_points(top: str) -> list[str]:
    points = []
    with open("/proc/self/mountinfo", "rb") as handle:
        for line in handle:
            point = line.split()[4]
            for code in (b"\\040", b"\\011", b"\\012", b"\\134"):
                point = point.replace(code, bytes([int(code[1:], 8)]))
            path = os.fsdecode(point)
            if _under(path, top):
                points.append(path)
    return points


def _etc_files(config: dict[str, str]) -> None:
    """The generated /etc/passwd, /etc/group and /etc/hosts, in the setup's tmpfs."""
    shell = config["shell"]

    def without_user(name: str, entry: str) -> str | None:
        try:
            with open("/oldroot/etc/" + name) as handle:
                lines = handle.read().splitlines()
        except OSError:
            return None
        kept = [
            line
            for line in lines
            if line.split(":")[0] != USER and line.split(":")[2:3] != [str(UID)]
        ]
        return "\n".join([*kept, entry]) + "\n"

    files = {
        "passwd": without_user("passwd", f"{USER}:x:{UID}:{GID}:{USER}:{HOME}:{shell}"),
        "group": without_user("group", f"{USER}:x:{GID}:"),
    }
    try:
        with open("/oldroot/etc/hosts") as handle:
            hosts = handle.read()
        files["hosts"] = hosts.rstrip("\n") + f"\n127.0.1.1\t{config['hostname']}\n"
    except OSError:
        pass
    for name, text in files.items():
        if text is not None:
            with open("/" + name, "w") as handle:
                handle.write(text)


def _dev(dev: str) -> None:
    """A /dev of its own: the harmless host devices, a devpts of its own, shm."""
    mount("tmpfs", dev, "tmpfs", MS_NOSUID, "mode=0755,size=64k")
    for name in ("null", "zero", "full", "random", "urandom", "tty"):
        if os.path.exists("/oldroot/dev/" + name):
            open(f"{dev}/{name}", "w").close()
            mount("/oldroot/dev/" + name, f"{dev}/{name}", None, MS_SILENT | MS_BIND)
    os.mkdir(dev + "/pts", 0o755)
    mount(
        "devpts",
        dev + "/pts",
        "devpts",
        MS_NOSUID | MS_NOEXEC,
        "newinstance,ptmxmode=0666,mode=620",
    )
    os.symlink("pts/ptmx", dev + "/ptmx")
    os.mkdir(dev + "/shm", 0o1777)
    mount("tmpfs", dev + "/shm", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777")
    for name, target in (
        ("fd", "/proc/self/fd"),
        ("stdin", "/proc/self/fd/0"),
        ("stdout", "/proc/self/fd/1"),
        ("stderr", "/proc/self/fd/2"),
    ):
        os.symlink(target, f"{dev}/{name}")


# -- the launcher -------------------------------------------------------------


def join(init: int, userns: int, lc_ctype: str, argv: list[str]) -> None:
    """Enter the sandbox of ``init`` (whose user namespace is inode ``userns``) and run ``argv``."""
    # Python set LC_CTYPE for itself (PEP 538); the session's environment is as given.
    if lc_ctype == "-":
        os.environ.pop("LC_CTYPE", None)
    else:
        os.environ["LC_CTYPE"] = lc_ctype
    try:
        if os.getuid() == 0:
            os.setgroups([])  # none of root's groups
        fds = {}
        for kind in ("user", "mnt", "pid", "ipc", "uts"):
            fds[kind] = os.open(f"/proc/{init}/ns/{kind}", os.O_RDONLY | os.O_CLOEXEC)
        if os.fstat(fds["user"]).st_ino != userns:
            raise Refused("the sandbox's namespaces are gone")
        setns(fds["user"], CLONE_NEWUSER, "user")
        setns(fds["ipc"], CLONE_NEWIPC, "ipc")
        setns(fds["uts"], CLONE_NEWUTS, "uts")
        setns(fds["mnt"], CLONE_NEWNS, "mnt")
        setns(fds["pid"], CLONE_NEWPID, "pid")
        for fd in fds.values():
            os.close(fd)
        os.setresgid(GID, GID, GID)
        os.setresuid(UID, UID, UID)
        os.chdir(HOME)
    except (OSError, Refused) as exc:
        os.write(2, f"leap0 emulator: cannot enter the sandbox: {exc}\r\n".encode())
        os._exit(255)
    passed = [getattr(signal, name) for name in _SIGNALS_PASSED]
    for signum in passed:
        signal.signal(signum, signal.SIG_IGN)
    pid = os.fork()
    if pid == 0:
        try:
            for signum in passed:
                signal.signal(signum, signal.SIG_DFL)
            prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
            drop_capabilities()
            os.execvp(argv[0], argv)
        except BaseException as exc:
            os.write(2, f"leap0 emulator: cannot run {argv[0]}: {exc}\r\n".encode())
        os._exit(127)
    while True:
        _, status = os.waitpid(pid, 0)
        if os.WIFEXITED(status):
            os._exit(os.WEXITSTATUS(status))
        if os.WIFSIGNALED(status):
            signum = os.WTERMSIG(status)
            resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
            signal.signal(signum, signal.SIG_DFL)
            os.kill(os.getpid(), signum)
            os._exit(128 + signum)


def main(args: list[str]) -> None:
    if args[0] == "holder":
        holder(int(args[1]))
    elif args[0] == "join":
        join(int(args[1]), int(args[2]), args[3], args[5:])
    os._exit(2)
