"""A local Leap0 service for tests and offline development.

The emulator answers the Leap0 HTTP routes the SDK uses (sandboxes, their
stop, start and pause, and SSH access) from memory, and runs a real SSH
server: logging in with an issued credential runs commands in a per-sandbox
working directory on this machine.
It needs the ``emulator`` extra: ``python -m pip install ".[emulator]"`` from a
clone of this package (``leap0`` on the package index is the official SDK).

.. warning::
   SSH sessions run as the current user, on this machine, with no isolation.
   A sandbox here is just a directory. A shell session can reach everything
   the user who runs the emulator can: every file, other sandboxes' directories,
   the user's other processes, and the emulator's own environment and memory
   (``/proc/<pid>/environ``, and so an API key passed in the environment).
   Only SFTP is confined to the sandbox's directory, and that is not isolation
   either. By default both servers listen on 127.0.0.1 only.

Starting it
-----------

From Python (``with`` or ``async with``; both servers run in one background
thread with its own event loop)::

    from leap0.emulator import serve

    with serve() as emu:
        emu.base_url   # "http://127.0.0.1:54321"
        emu.api_key    # "emu_..." (random unless given)
        emu.ssh_host, emu.ssh_port
        emu.ssh_known_hosts  # "[127.0.0.1]:PORT ssh-ed25519 AAAA..." (new key each start)
        emu.env()      # {"LEAP0_BASE_URL": ..., "LEAP0_API_KEY": ...}
        emu.settings   # Settings(ssh_lifetime=3600.0, max_sandboxes=3, ssh_api='both',
                       #          request_timeout=30.0, start_delay=0.0, stop_delay=0.0,
                       #          max_unauthenticated=256)
        emu.now()      # the emulator's clock (an aware UTC datetime)
        emu.advance(3600)  # move that clock an hour forward, at once

``serve(*, api_key=None, host="127.0.0.1", api_port=0, ssh_port=0,
ssh_lifetime=3600.0, max_sandboxes=3, ssh_api="both", request_timeout=30.0,
start_delay=0.0, stop_delay=0.0, max_unauthenticated=256, allow_remote=False)``
(``serve`` is :class:`Emulator`; either name prepares one): ports 0 pick free
ports; the settings are

* ``ssh_lifetime``: how long a credential stays valid after it is issued or
  regenerated (seconds, positive, at most ten years);
* ``max_sandboxes``: how many sandboxes may exist at once (409 beyond);
* ``ssh_api``: which SSH routes are served, ``"both"``, ``"single"`` or
  ``"per-credential"`` (see "What it serves");
* ``request_timeout``: how long an HTTP client has to send a whole request
  (request line, headers and body; seconds, at least 0.1 and at most 3600:
  below the floor a client could not even send the request that sets it
  back, and it is refused like any bad setting, ``ValueError`` from ``serve()``
  and ``configure()``, 400 naming the field and the floor from the config
  route, an error from ``leap0 emulator --request-timeout``), counted
  from the request's first byte, or from connecting for a connection's first
  request. A connection that sends part of a request, or nothing, is closed
  then, so slow or stalled clients cannot hold connections (and file
  descriptors) open. Waiting for the answer (a ``delay`` fault, say) does not
  count; an idle kept-alive connection is closed after 5 seconds. SSH
  connections must log in within 30 seconds. (This is the one wait that reads
  the wall clock, not the emulator's: it is about sockets, not the service.)
* ``start_delay``: how long a sandbox is ``starting`` before it is
  ``running``, when created or started again (seconds of the emulator's
  clock, 0 to 3600; 0, the default, makes it ``running`` at once). A change
  applies to the creates and starts after it;
* ``stop_delay``: how long a sandbox is ``stopping`` after a stop request
  before it is ``stopped`` (seconds of the emulator's clock, 0 to 3600). The
  default is 0, as for ``start_delay``: the stop's answer already says
  ``stopped``, so code under test never has to wait or advance the clock. Set
  it above 0 to see ``stopping`` as the service shows it (the stop's answer
  says ``stopping``; a start, pause or delete meanwhile is 409). A change
  applies to the stops after it;
* ``max_unauthenticated``: how many connections that have not authenticated
  yet may wait on each of the two ports (an integer, 8 to 10,000; 256 by
  default). An HTTP connection waits until one of its requests carries the
  API key, an SSH connection until it logs in; each is bounded in time
  already (``request_timeout``; 30 seconds to log in), and this bounds them
  in number, so that idle connections from anyone who can reach the ports
  cannot use up the emulator's file descriptors and lock real clients out.
  One more connection than this closes the oldest waiting one at once: a
  flood's idle connections age and go first, while a real client, which
  sends its key (or logs in) as soon as it connects, is served. A burst of
  more new connections than this at once may see its oldest closed before
  they are served (an SDK client's pool opens at most 100). The closings are
  logged as one warning line a second at most, with how many were closed,
  and so are failed accepts (the process out of file descriptors): never a
  traceback per connection. The floor keeps room for clients: at 0 nothing
  could connect, the control routes included.

A bad setting, or a non-loopback ``host`` without ``allow_remote=True``,
raises ``ValueError``. :class:`Settings` holds the settings, their defaults
and their checks.

From a shell, ``leap0 emulator`` (or ``python -m leap0.emulator``) runs it in
the foreground and prints ``export LEAP0_BASE_URL=...`` and
``export LEAP0_API_KEY=...`` lines to paste into another shell (or
``eval "$(...)"``); Ctrl-C, ``SIGTERM`` or ``SIGHUP`` (its terminal closing)
stops it cleanly: SSH sessions and what they started end, and its folder is
removed. Options: ``--host``, ``--api-port``, ``--ssh-port``, ``--api-key``,
``--ssh-lifetime``, ``--max-sandboxes``,
``--ssh-api {both,single,per-credential}``, ``--request-timeout``,
``--start-delay``, ``--stop-delay``, ``--max-unauthenticated``,
``--allow-remote``.

In pytest, with leap0 installed the plugin gives two fixtures:
``leap0_emulator_server`` (one emulator per session) and ``leap0_emulator``
(the same one, reset before each test, so every test starts empty with the
default settings).

What it serves
--------------

Every request needs ``Authorization: Bearer <key>`` or
``leap0-authorization: <key>`` (else 401). The key is checked before
anything else: a request without it is not counted and consumes no fault.
Every response has exactly one ``x-request-id`` header (injected faults' and
the HTTP server's own 400 for bytes that are not HTTP included); errors are
``{"message": ...}``, and 400 validation errors add
``"errors": [{"field": ..., "error": ...}]``. Paths work with or without a
trailing slash.

Routes match the path as the client sent it, before any decoding: an escaped
``/``, ``?`` or ``#`` (``%2F``, ``%3F``, ``%23``) stays inside its segment, so
it never reaches another route or resource; an id holding one, a control
character or bytes that are not UTF-8 is 404. Escapes of letters, digits and
``-._~`` are the same as the characters (``%73`` is ``s``).

Bodies are checked at the door, and a bad one changes nothing: at most 1 MiB
(413 beyond); anything that does not parse as a JSON object (bad JSON or
encoding, nesting deeper than 32 levels) is 400, and so is any string, key or
value, that is not valid Unicode text (a lone surrogate such as ``"\\ud800"``),
with field errors.

* ``POST /v1/sandbox/`` (201; 400 bad body; 409 beyond ``max_sandboxes``),
  ``GET /v1/sandbox/{id}/`` (200/404), ``DELETE /v1/sandbox/{id}/``
  (204/404, 409 while it is ``starting``, ``stopping`` or ``deleting``; also
  revokes its SSH credentials, ends its SSH sessions and removes its
  directory),
  ``GET /v1/sandboxes?state=&sort=&order-by=&page=&page-size=``.
  The create body is checked as the public OpenAPI description's
  ``SandboxCreateRequest`` says: ``template_name`` is required (a non-empty
  string); vcpu 1-8, memory 512-8192 MiB and even, timeout 1-28800 s (the
  limits the SDK checks too, written once in ``leap0._limits``). A sandbox's
  ``env_vars`` hold at most 1,000 variables, names without ``=``
  or NUL, values without NUL, each ``NAME=value`` at most 131,071 bytes as
  UTF-8 (the longest string Linux passes to a program). ``mounts`` (at most 8
  ``MountRequest`` objects: ``type`` ``"object-storage"``, ``bucket``, an
  absolute ``mount_path`` other than ``/`` and not used twice, an ``endpoint``
  URL with a scheme and host, an optional ``prefix`` ending in ``/``, optional
  ``read_only`` and credentials) and ``network_policy`` (null, or a
  ``NetworkPolicy``: ``mode`` one of ``allow-all``, ``deny-all``, ``custom``;
  at most 50 ``allow_domains``, 10 ``allow_cidrs`` that parse as CIDR ranges,
  20 ``transforms`` each with a ``domain``) are checked the same way, 400 with
  field errors, and then have no effect here: nothing is mounted and no
  traffic is filtered. They are answered back: every sandbox answer lists its
  ``mounts`` (each with an ``mnt-...`` id, its ``type``, ``bucket``,
  ``mount_path``, ``prefix`` and ``read_only``; never its endpoint or
  credentials), and the create answer holds the ``network_policy`` when one
  was given (the description's ``SandboxStatusResponse``, what GET answers,
  has no such field). Unknown fields are ignored.
* The lifecycle routes, each answering the sandbox (``SandboxCreateResponse``,
  as create does) in its new state, 404 for an unknown sandbox, and served in
  every ``ssh_api`` mode (see "Time" for the states):

  - ``POST /v1/sandbox/{id}/stop`` (200): a ``running`` sandbox goes
    ``stopping``, then ``stopped`` after ``stop_delay``; its directory (its
    writable disk) and its credentials are kept. 409 unless it is ``running``.
  - ``POST /v1/sandbox/{id}/start`` (200): a ``stopped`` sandbox goes
    ``starting``, then ``running`` after ``start_delay``. 409 unless it is
    ``stopped``, a ``paused`` one included: the description's start takes a
    stopped sandbox only, and resumes a paused one through "the invoke route or
    the resume endpoint", which it does not list and the emulator does not
    serve (a paused sandbox here stays paused until deleted). The
    description's 429 (sandbox limit) and 503 (no capacity) are never
    answered: ``max_sandboxes`` counts stopped sandboxes too, so starting one
    never passes it (inject a fault to see them).
  - ``POST /v1/sandbox/{id}/pause`` (201): a ``running`` sandbox is ``paused``
    at once (memory and disk saved, the service says). 409 unless it is
    ``running``.
* The SSH credential routes, in two revisions; the ``ssh_api`` setting picks
  which are served. Both create with ``POST /v1/sandbox/{id}/ssh/access``
  (201). Regenerating gives the same id a new password and resets its expiry;
  live sessions continue.

  - The seed's ("single"): one credential per sandbox, addressed through the
    sandbox. ``DELETE .../ssh/access`` (204; 404 none), ``POST .../ssh/validate``
    with ``{"id", "password"}`` (200 ``{"valid", "sandbox_id"}``),
    ``POST .../ssh/regen`` (200; 404 none).
  - The later ("per-credential"): each credential addressed by its id.
    ``DELETE .../ssh/{ssh_id}`` (204; 404 unknown),
    ``POST .../ssh/{ssh_id}/validate`` with ``{"password"}`` (200; an unknown
    ``ssh_id`` is ``valid: false``), ``POST .../ssh/{ssh_id}/regen`` (200; 404
    unknown).

  ``ssh_api="both"`` (the default) serves both sets, so clients of either
  revision work, and a sandbox may hold several credentials, as with
  ``"per-credential"`` (at most 32; each its own password and expiry, each
  regenerated and deleted on its own), as today's service does.
  ``.../ssh/access``, ``.../ssh/validate`` and ``.../ssh/regen`` are the seed's
  routes there, never an ``ssh_id``, and answer as the seed's service did
  while that is unambiguous:

  - ``POST .../ssh/validate`` ``{"id", "password"}`` names its credential, so it
    works whatever the sandbox holds;
  - ``DELETE .../ssh/access`` and ``POST .../ssh/regen`` mean the sandbox's one
    credential: with one held they delete or regenerate it, with none they
    are 404, and with several they are 409 Conflict, changing nothing, with
    the message ``sandbox '<id>' holds N SSH credentials, and this route
    addresses a sandbox's only one: address one by its id (DELETE
    /v1/sandbox/<id>/ssh/{ssh_id}, POST /v1/sandbox/<id>/ssh/{ssh_id}/regen)``.
    Once one is left, they address it again.

  ``ssh_api="single"`` serves only the seed's routes, one credential per
  sandbox (409 on a second create); the later paths are 404 (no route).

  ``ssh_api="per-credential"`` serves only the later routes, and a sandbox may
  hold several credentials, each with its own password and expiry, regenerated
  and deleted on its own: at most 32 per sandbox (409 beyond; ``"both"`` has
  the same bound). The seed's paths
  answer as on such a service: ``DELETE .../ssh/access`` deletes the credential
  whose id is ``access`` (404), and ``POST .../ssh/validate`` or
  ``.../ssh/regen`` match ``.../ssh/{ssh_id}``, which has only ``DELETE``
  (405 with ``Allow: DELETE``).
* Timestamps are RFC 3339 UTC with microseconds, e.g.
  ``2026-11-26T04:00:00.123456Z``, read from the emulator's clock (see "Time").

Time
----

Credential expiry, sandbox timeouts and every timestamp read one clock: the
wall time when the emulator started, moved on by the monotonic clock (so a
step of the system clock neither expires nor revives anything), plus what
was advanced. ``emu.advance(seconds)`` (or ``POST /_emulator/clock`` with
``{"advance": seconds}``) moves it forward at once, so a test never waits:
after ``emu.advance(3600)`` a credential issued with the default one-hour
lifetime no longer validates or logs in, a sandbox created with
``timeout=60`` is stopped after ``emu.advance(61)``, and one stopped with
``stop_delay=5`` is ``stopped`` after ``emu.advance(5)``. The clock only moves
forward (at most a hundred years ahead in all); a reset sets it back to the
wall time.

A sandbox has a current state and, for some states, the time it leaves it
on its own; the changes that came due are made whenever it is looked at
(any request, an SSH login; and every second the server looks by itself),
at the moment they were due, and the requests make the others:

* ``starting`` from its creation, or from a ``start``, until ``start_delay``
  has passed. SSH credentials may be created for it, but do not log in (nor
  validate) yet; ``DELETE``, ``stop`` and ``pause`` are 409 (the service
  refuses deletes in transition);
* ``running``: credentials work until they expire;
* ``stopping`` from a ``stop`` until ``stop_delay`` has passed, then
  ``stopped``. From the ``stop`` on, it runs no more: its SSH sessions are
  closed and their processes killed before the stop's answer (a stop keeps
  no in-memory state), and ``DELETE``, ``start`` and ``pause`` are 409;
* at its ``timeout`` (counted from when it started running, its last start
  included), ``stopped``, or ``paused`` when created with ``auto_pause`` (the
  service pauses it into a snapshot); a ``pause`` request pauses it at once.
  From the first look after the timeout (before the answer, for a
  ``pause``) its SSH sessions are closed and their processes killed
  (``advance()`` does this before it returns);
* while it is not ``running`` (``starting``, ``stopping``, ``stopped``,
  ``paused``, ``deleting``) its credentials do not validate
  (``valid: false``) or log in. They survive a stop: after a ``start`` they
  work again, those not expired meanwhile (expiry runs on while stopped). New
  ones cannot be created or regenerated for a sandbox that is not
  ``starting`` or ``running`` (409), and deleting one still works. A stopped
  or paused sandbox keeps its directory (its disk), and it still counts
  toward ``max_sandboxes`` until it is deleted, which works directly. A
  ``stopped`` one starts again; a ``paused`` one is never resumed here (see
  ``start`` above): delete it;
* ``deleting`` while a ``DELETE`` runs (its credentials are revoked, its
  sessions end, its directory is removed); ``DELETE`` answers 204 once it is
  gone, so only a request made meanwhile sees it: ``GET`` answers it with state
  ``deleting``, a list filtered on ``deleting`` holds it, another ``DELETE``
  (or a credential create) is 409. After the 204, ``GET`` is 404.

Produced: ``starting``, ``running``, ``stopping`` (with ``stop_delay`` above
0), ``stopped``, ``paused`` and ``deleting``. The service's other states are
never produced here: ``snapshotting`` (pausing, by request or at the timeout,
is instantaneous), ``unpausing`` (nothing resumes a paused sandbox), and
``deleted`` (a deleted sandbox is 404, as the list never shows it). A
timeout stops a sandbox at once, without ``stopping``. In list items,
``launch_time`` is when the sandbox's current (or last) run started running
(absent while it is ``starting``), ``state_change_time`` when it entered its
state, and ``timeout_at`` the Unix second of that run's timeout.

Answers and the OpenAPI description
-----------------------------------

The description's operations implemented here: ``createSandbox``,
``getSandbox``, ``deleteSandbox``, ``listSandboxes``, ``stopSandbox``,
``startSandbox``, ``pauseSandbox``, ``createSshAccess``, ``deleteSshAccess``,
``validateSshAccess`` and ``regenSshAccess`` (and the seed's SSH routes). Every
answer of the implemented routes validates against the public OpenAPI
description's schema for its status (``tests/emulator/test_spec_conformance.py``
checks them, for each ``ssh_api``), except where the emulator differs on
purpose:

* ``POST .../ssh/access`` is 409 for a second credential when one per sandbox
  is served (``"single"``), beyond 32 (``"per-credential"``, ``"both"``), or
  for a sandbox that is stopping, stopped, paused or being deleted;
  regenerating for such a sandbox is 409 too, and so are the seed's
  ``DELETE .../ssh/access`` and ``POST .../ssh/regen`` for a sandbox holding
  several credentials (``"both"``) (the description lists none of these);
* 413 for a body over 1 MiB, 405 with an ``Allow`` header for a method a path
  does not take, and 404 for a path no route serves;
* the seed's SSH routes (``"single"`` and ``"both"``) are not in the
  description; their answers have the schemas of the later routes;
* a list query's 400 has field errors (``ValidationErrorResponse``): the
  description's ``oneOf`` of that and ``ErrorResponse`` holds for no such body;
* the ``/_emulator/*`` control routes are the emulator's own.

SSH
---

The SSH server accepts only password logins with a currently valid credential
(user name = access id) of a running sandbox. A session runs ``/bin/sh -c COMMAND`` in the
sandbox's directory (a shell on a pty when a terminal is requested), with
``HOME`` set to that directory and the sandbox's ``env_vars`` in the
environment. SFTP (and so ``scp``) works too, with the sandbox's directory as
``/``: every path of every SFTP operation is resolved, symlinks followed as
the operation would follow them, and refused (permission denied) unless it
stays in that directory; operations on an entry itself (``lstat``, ``remove``,
``rename``, ``rmdir``, ``readlink``, a new link's name) resolve its parent and
leave the last name as is. A link made over SFTP must point inside (an
absolute target is taken inside the sandbox), and ``readlink`` answers the
target as a path inside. What an SFTP or scp client is told names paths the
same way, as inside the sandbox (``scp: No such file or directory:
/dir/file``), never the emulator's host directory. The checks are by path: a
shell session may still
move things under SFTP's feet or hard-link a file from elsewhere in, since it
can reach those files anyway.

Deleting a credential closes the sessions logged in with it (and kills
their processes), not those of the sandbox's other credentials; its timeout,
a stop or pause, deleting the sandbox, a reset, or stopping the emulator
closes all of its sessions. A credential's expiry ends no session: it only refuses new logins.
Processes a session started are killed with it even when they left its
process group (``setsid``, ``nohup``, daemons): every session's environment
holds ``LEAP0_EMULATOR_SESSION=<emulator>/<sandbox id>/<access id>`` (set
last, so ``env_vars`` cannot change it), which its descendants inherit.
Deleting a credential kills the user's processes carrying its mark; a
sandbox's timeout, stop, pause or deletion (a reset, stopping the emulator)
kills those carrying the sandbox's mark and every process of the user whose working
directory is in the sandbox's directory. The limits: this reads Linux's ``/proc``; on other
systems only each session's process group is killed, so a process that
leaves it survives. Even on Linux, a process that both drops the mark (a new
environment, as with ``env -i``) and works elsewhere is not found, nor one
running as another user (``sudo``, setuid programs), and nothing can be
cleaned up if the emulator itself is killed with ``SIGKILL``.

A session without a terminal gets its standard input and output on one Unix
socket (the two directions of a socket pair, as ``sshd`` does where it uses
them) and its standard error on another; with a terminal, a pty. Either way
a held session costs the emulator three file descriptors (its connection's
socket and those two) and no thread: its command is waited for through a
pidfd on Linux (a thread per command elsewhere). Starting an emulator raises
the process's soft limit on open files (``RLIMIT_NOFILE``) to its hard limit,
so the common ``ulimit -n 1024`` (a soft limit) does not cap sessions at a
few hundred; even under a hard limit of 1024, 300 sessions at once work. It is
the whole process's limit: code in it that still uses ``select()`` cannot
watch descriptors from 1024 on.

Scale
-----

A request costs the same with 50,000 sandboxes as with 10
(``benchmarks/bench_emulator.py``): a sandbox or credential is found by id;
a list page is sliced from indexes kept in creation order, overall and per
state, so it costs what it holds; and the changes of state that come on
their own (start and stop delays, timeouts) wait in a heap of deadlines, so
no request, SSH login or once-a-second look goes through all sandboxes. A
sandbox's directory is made when its first SSH credential is issued, so
sandboxes that are never logged into cost no directory. Whatever one request
ends (a reset's every sandbox, a delete, a stop or pause, the timeouts that
came due) is ended in one ``/proc`` sweep (none before a session has run a
command), and resets, deletes, stops, pauses, clock moves and the
once-a-second look run that in a worker thread, so the server goes on
answering meanwhile. Raise ``max_sandboxes`` as far as memory allows.

Fault injection
---------------

To test retry and error handling, script the next answers of a route. Each
request for that exact method and path (trailing slash ignored, compared as
routes are, so ``/v1/sandbox/a b`` is the request path ``/v1/sandbox/a%20b``)
consumes one fault, in order; after they run out, the route behaves
normally. A fault is a :class:`Fault` or its JSON form, with these kinds
(combinable):

* ``{"status": 503, "retry_after": "1", "body": "...", "content_type": "..."}``:
  answer this status instead of the real handler (body defaults to
  ``{"message": "injected fault"}``; ``headers`` adds response headers);
* ``{"body": "<html>oops</html>", "content_type": "text/html"}``: answer this
  raw body, status 200 unless given (malformed, truncated, wrong-shape bodies);
* ``{"delay": 2.5}``: wait, then handle the request normally (client timeouts);
* ``{"drop": true}``: send the status line, headers with a ``Content-Length``
  larger than the body sent, part of the body, then close the connection.

A fault is checked when it is injected (``ValueError``, or 400 with field
errors, and nothing is queued): ``status`` is 200 to 599; ``retry_after``,
``content_type`` and header values are printable ASCII or Latin-1 with spaces
or tabs only between characters (no CR, LF or other control characters);
header names are HTTP tokens, not ``Content-Length``, ``Transfer-Encoding``
(the emulator frames every answer) or ``X-Request-Id`` (every answer has the
emulator's one); ``delay`` is 0 to 3600 seconds; ``drop``
needs a status with a body (not 204 or 304); the path is not a control
route's (``/_emulator`` or below: those always answer, and are never faulted
or counted). Answers to ``HEAD``, 204 and 304 are sent without a body.

From Python::

    emu.inject("POST", f"/v1/sandbox/{sid}/ssh/access",
               Fault(status=503, retry_after="0"), {"delay": 2.5})
    emu.attempts("POST", f"/v1/sandbox/{sid}/ssh/access")  # requests seen
    emu.configure(ssh_lifetime=1.0, max_sandboxes=5)        # until reset
    emu.configure(ssh_api="per-credential")
    emu.configure(request_timeout=0.5)                     # slow-client tests (>= 0.1)
    emu.configure(start_delay=5)                           # "starting" for 5 s
    emu.configure(stop_delay=5)                            # "stopping" for 5 s
    emu.advance(61)                                        # the clock, at once
    emu.reset()                                            # empty state

Over HTTP (same API key required). No setting and no fault can make these
routes unreachable: ``request_timeout`` and ``max_unauthenticated`` have
floors, faults for their paths are refused, and a flood of idle connections
cannot keep a new one out (see ``max_unauthenticated``).

* ``POST /_emulator/faults`` with
  ``{"method": "POST", "path": "/v1/...", "faults": [{...}, ...]}``
  -> 200 ``{"method", "path", "pending"}``;
* ``GET /_emulator/attempts?method=POST&path=/v1/...`` -> ``{"attempts": N}``,
  counting every authenticated request for that method and path since the
  last reset, faulted ones included;
* ``POST /_emulator/reset`` -> 204: clears faults, counters, sandboxes and
  credentials (closing SSH sessions), restores the start-up settings and sets
  the clock back to the wall time;
* ``GET /_emulator/config`` -> the current settings, ``{"ssh_lifetime": 3600.0,
  "max_sandboxes": 3, "ssh_api": "both", "request_timeout": 30.0,
  "start_delay": 0.0, "stop_delay": 0.0, "max_unauthenticated": 256}``;
  ``POST /_emulator/config`` with some of those keys changes them until the
  next reset and answers the new settings (``null`` leaves a setting as is; a
  bad value or an unknown key is 400 with field errors);
* ``GET /_emulator/clock`` -> ``{"now": "2026-...Z", "offset": 0.0}``, the
  clock's time and the seconds advanced since the start or the last reset;
  ``POST /_emulator/clock`` with ``{"advance": seconds}`` moves it forward
  and answers the same (400 with field errors for a negative or non-number
  amount, or one taking the clock more than a hundred years ahead).

What a client can make the emulator keep is bounded: requests are counted
for at most 1,000 distinct method and path pairs until a reset (requests for
further pairs are answered, not counted: ``attempts`` reports 0 for them), and
at most 1,000 faults, holding at most 8 MiB of paths, bodies and headers, may
wait at once (over all routes, so on one route too); injecting beyond that is
refused (``ValueError``; 409 from the faults route) and queues nothing. A reset
frees all of it. The numbers are ``MAX_COUNTED_ROUTES``, ``MAX_PENDING_FAULTS``
and ``MAX_FAULT_BYTES`` in ``leap0.emulator._settings``.

A ``delay`` fault waits in wall-clock time (it is there to make a client's
timeout fire), not on the emulator's clock.

Switching ``ssh_api`` at run time to ``"single"`` while some sandbox holds
more than one credential is refused (``ValueError`` from ``configure``, 409
from the config route), and nothing changes: delete the extra credentials,
or reset, first. Switching between ``"both"`` and ``"per-credential"`` always
goes through.

Where things live
-----------------

Pure Python (no web or SSH imports): ``_settings`` (:class:`Settings`, the
limits), ``_clock`` (the clock), ``_errors`` (``Invalid``, ``NotFound``,
``Conflict``), ``_validate`` (request bodies and queries), ``_faults``
(:class:`Fault`, the book of waiting faults and counters), ``_sandbox`` (one
sandbox: its state, when it changes next, its JSON), ``_deadlines`` (the
heap of when each sandbox changes next), ``_listing`` (sandboxes in creation
order, overall and per state, for list pages), ``_state`` (all sandboxes and
credentials behind one lock, and who is told when access ends; built whole,
the SSH endpoint included).
Connections: ``_waiting`` (those not authenticated yet, bounded in number),
``_burst`` (one log line for a burst of events), ``_accept`` (failed accepts
logged as bursts). HTTP: ``_connection`` (one connection's rules: request
deadlines, the waiting room, the server's own 400), ``_app`` (the door:
request ids, the key, faults, routing, and the one place errors become
answers), ``_api`` (the Leap0 routes), ``_control`` (``/_emulator/*``),
``_http`` (what they share). SSH: ``_ssh`` (the listener and its
connections), ``_session`` (what a session's command needs, both kinds),
``_pipes`` (a command on sockets), ``_pty`` (a command on a pty), ``_child``
(a command's process, waited for through a pidfd), ``_sftp``, ``_reaper``
(ending what sessions started, one sweep for many). ``_fdlimit`` raises the
limit on open files. ``_server`` runs both servers in their thread
(:class:`Emulator`); ``_cli`` is ``leap0 emulator``.
"""

from __future__ import annotations

from ._faults import Fault
from ._server import Emulator, serve
from ._settings import Settings

__all__ = ["Emulator", "Fault", "Settings", "serve"]
