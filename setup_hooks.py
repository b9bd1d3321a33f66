"""Generate the sync code from the async source: the unasync rules, in one place.

Three uses of the same rules:

* the build hook: ``BuildPyWithUnasync`` (setuptools' ``build_py``, named in
  ``pyproject.toml``) writes ``leap0/_sync/`` from ``leap0/_async/`` into every
  wheel it builds;
* ``python setup_hooks.py`` regenerates the committed ``leap0/_sync/`` and
  ``tests/_sync/`` files;
* ``python setup_hooks.py --check`` writes nothing; it exits 1 after naming
  every generated file that differs from what generation writes (each with its
  first differing line), and 0 when everything matches.

On top of unasync's token rules (``async``/``await`` dropped, ``__aenter__`` to
``__enter__`` and so on), the names below are renamed, and any other
``Async[A-Z]...`` name is an error rather than unasync's default ``Sync...``.
Docstrings and comments are rewritten with the same words, so the sync
docstrings show sync code.

Every rule in ``REPLACEMENTS`` must earn its place: when generating both trees
(``python setup_hooks.py``, with or without ``--check``), a rule that matched no
name, string, docstring or comment in any source file is an error naming it.
The build hook sees only ``leap0/_async/``, so it does not make that check.

unasync is pinned to the version tested here (see ``pyproject.toml``): the
generation calls its private ``Rule._unasync_tokens`` and overrides its private
``Rule._unasync_name``.

Generated files are formatted with ``ruff format`` (the project's settings), so
the whole tree passes ``ruff format --check``. ruff is pinned in the ``dev``
extra and in the build requirements, since another version may format
differently: ``python setup_hooks.py`` and the build hook both need it, so a
wheel's ``leap0/_sync/`` is the committed one whatever else is installed.
"""

from __future__ import annotations

import argparse
import difflib
import logging
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path

try:
    import tokenize_rt
    import unasync
    from setuptools.command.build_py import build_py as _build_py
except ImportError as exc:  # pragma: no cover - only without the dev tools
    if __name__ != "__main__":
        raise
    sys.exit(
        f"setup_hooks.py needs unasync, tokenize-rt and setuptools ({exc}); "
        'install them with: python -m pip install -e ".[dev]"'
    )

ROOT = Path(__file__).resolve().parent

# (source dir, generated dir), relative to the project root.
DIRS = (
    ("leap0/_async", "leap0/_sync"),
    ("tests/_async", "tests/_sync"),
)

REPLACEMENTS = {
    # The public classes keep their plain names in sync code (unasync's
    # default would turn AsyncFoo into SyncFoo).
    "AsyncLeap0Client": "Leap0Client",
    "AsyncSshClient": "SshClient",
    "AsyncSandboxesClient": "SandboxesClient",
    "AsyncSandbox": "Sandbox",
    "AsyncSandboxSsh": "SandboxSsh",
    "AsyncTransport": "Transport",
    "AsyncHttpxTransport": "HttpxTransport",
    # httpx's client, and its close method (unasync knows neither).
    "AsyncClient": "Client",
    "aclose": "close",
    # Sleeping between retries: anyio's sleep becomes time.sleep.
    "async_sleep": "sync_sleep",
    # The admission of requests to the pool: asyncio's semaphore, threading's.
    "AsyncGate": "Gate",
}

HEADER = (
    "# Generated from {source} by `python setup_hooks.py` (unasync). Do not edit:\n"
    "# change the async source, then regenerate.\n"
)

_UNKNOWN_ASYNC = re.compile(r"Async[A-Z]\w*")
# What unasync does to code, done to the code quoted in docstrings and comments:
# ``inline literals`` and the indented block after a line ending in "::". Plain
# prose ("callers await it") is left as written.
_CODE_IN_PROSE = [
    (re.compile(r"\bawait\s+"), ""),
    (re.compile(r"\basync\s+(with|for|def)\b"), r"\1"),
    (re.compile(r"\basyncio\.run\((\w+)\(\)\)"), r"\1()"),
]
_LITERAL = re.compile(r"``.+?``", re.DOTALL)
# Event-loop libraries have no sync twin the rules could write: a call such as
# `await asyncio.sleep(1)` would come out as an un-awaited `asyncio.sleep(1)`.
_LOOP_LIBRARIES = frozenset({"asyncio", "anyio", "trio"})


def _code(text: str) -> str:
    for pattern, repl in _CODE_IN_PROSE:
        text = pattern.sub(repl, text)
    return text


def _code_in_prose(text: str) -> str:
    """``text`` with the code it quotes rewritten as unasync rewrites code."""
    out = []
    block_indent: int | None = None  # the indent of the "::" line of the block we are in
    for line in text.splitlines(keepends=True):
        stripped = line.strip()
        indent = len(line) - len(line.lstrip())
        if block_indent is not None and stripped and indent <= block_indent:
            block_indent = None
        if block_indent is not None:
            out.append(_code(line))
            continue
        out.append(_LITERAL.sub(lambda m: _code(m.group(0)), line))
        if stripped.endswith("::"):
            block_indent = indent
    return "".join(out)


class GenerationError(Exception):
    pass


class _Rule(unasync.Rule):  # type: ignore[misc]
    """unasync's rule with our names, and no silent ``AsyncFoo`` -> ``SyncFoo``.

    It records in ``used`` each name of ``token_replacements`` it replaced, in
    code or in prose.
    """

    def __init__(self, replacements: Mapping[str, str]) -> None:
        super().__init__("/_async/", "/_sync/", additional_replacements=dict(replacements))
        self.used: set[str] = set()
        words = sorted(map(re.escape, self.token_replacements), key=len, reverse=True)
        self._words = re.compile(r"\b(" + "|".join(words) + r")\b")

    def _replace(self, name: str) -> str:
        self.used.add(name)
        return str(self.token_replacements[name])

    def _unasync_name(self, name: str) -> str:
        if name in self.token_replacements:
            return self._replace(name)
        if _UNKNOWN_ASYNC.fullmatch(name):
            raise GenerationError(f"no sync name for {name!r}: add it to REPLACEMENTS")
        return name

    def prose(self, text: str) -> str:
        text = _code_in_prose(text)
        return self._words.sub(lambda m: self._replace(m.group(1)), text)

    def generate(self, source_text: str, source_name: str) -> str:
        tokens = tokenize_rt.src_to_tokens(source_text)
        for token in tokens:
            if token.name == "NAME" and token.src in _LOOP_LIBRARIES:
                raise GenerationError(
                    f"{source_name}:{token.line}: {token.src} has no sync twin; use a "
                    "helper outside _async/ with an async and a sync form (see leap0/_sleep.py)"
                )
        out = []
        for token in self._unasync_tokens(tokens):
            if token.name in ("STRING", "COMMENT", "FSTRING_MIDDLE"):
                token = token._replace(src=self.prose(token.src))
            out.append(token)
        return HEADER.format(source=source_name) + tokenize_rt.tokens_to_src(out)


def generate(
    source_text: str, source_name: str, replacements: Mapping[str, str] | None = None
) -> str:
    """The sync twin of one async source file (``replacements``: default ``REPLACEMENTS``)."""
    return _Rule(REPLACEMENTS if replacements is None else replacements).generate(
        source_text, source_name
    )


def pairs(root: Path) -> Iterator[tuple[Path, Path, str]]:
    """(source, target, source name) for every async source file under ``root``."""
    for src_dir, dst_dir in DIRS:
        base = root / src_dir
        if not base.is_dir():
            continue
        for source in sorted(base.rglob("*.py")):
            rel = source.relative_to(base)
            yield source, root / dst_dir / rel, f"{src_dir}/{rel.as_posix()}"


def _ruff() -> list[str] | None:
    """The command that runs ruff here, or None when it is not installed."""
    found = shutil.which("ruff")
    if found:
        return [found]
    try:
        import ruff  # type: ignore[import-not-found]  # noqa: F401
    except ImportError:
        return None
    return [sys.executable, "-m", "ruff"]


def format_texts(texts: Mapping[str, str], required: bool = True) -> dict[str, str]:
    """``texts`` (relative path -> source) formatted by ``ruff format``.

    The settings are this project's (its ``pyproject.toml``), wherever the files
    are generated. One ruff run for all of them. Without ruff: an error when
    ``required``, else the texts as they are.
    """
    command = _ruff()
    if command is None:
        if required:
            raise GenerationError(
                'ruff is needed to format the generated files: python -m pip install -e ".[dev]"'
            )
        return dict(texts)
    with tempfile.TemporaryDirectory() as tmp:
        for rel, text in texts.items():
            path = Path(tmp, rel)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        config = ROOT / "pyproject.toml"
        options = ["--config", str(config)] if config.exists() else ["--isolated"]
        run = subprocess.run(
            [*command, "format", "--quiet", *options, tmp],
            capture_output=True,
            text=True,
            check=False,
        )
        if run.returncode != 0:
            raise GenerationError(
                f"ruff format failed on the generated files: {run.stderr.strip()}"
            )
        return {rel: Path(tmp, rel).read_text(encoding="utf-8") for rel in texts}


def generate_all(
    root: Path = ROOT, replacements: Mapping[str, str] | None = None
) -> list[tuple[Path, str, str]]:
    """(target, source name, text) for every generated file, in memory.

    Raises :class:`GenerationError` naming every rule of ``replacements``
    (default ``REPLACEMENTS``) that matched nothing in any source file.
    """
    if replacements is None:
        replacements = REPLACEMENTS
    rule = _Rule(replacements)
    raw = {
        target.relative_to(root).as_posix(): (
            target,
            name,
            rule.generate(source.read_text(encoding="utf-8"), name),
        )
        for source, target, name in pairs(root)
    }
    formatted = format_texts({rel: text for rel, (_, _, text) in raw.items()})
    generated = [(target, name, formatted[rel]) for rel, (target, name, _) in raw.items()]
    unused = [name for name in replacements if name not in rule.used]
    if unused:
        where = ", ".join(f"{src_dir}/" for src_dir, _ in DIRS)
        rules = ", ".join(f"{name!r} -> {replacements[name]!r}" for name in unused)
        raise GenerationError(
            f"unused replacement rule(s) {rules}: nothing in any file under {where}"
            " matched; remove them from REPLACEMENTS"
        )
    return generated


def _stale(root: Path) -> Iterator[Path]:
    """Generated files whose source is gone."""
    for src_dir, dst_dir in DIRS:
        base = root / dst_dir
        if not base.is_dir():
            continue
        for target in sorted(base.rglob("*.py")):
            if not (root / src_dir / target.relative_to(base)).exists():
                yield target


def regenerate(root: Path = ROOT, replacements: Mapping[str, str] | None = None) -> list[Path]:
    """Write every generated file; returns those that changed.

    Nothing is written when generation fails.
    """
    changed = []
    for target, _name, text in generate_all(root, replacements):
        if not target.exists() or target.read_text(encoding="utf-8") != text:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
            changed.append(target)
    for target in _stale(root):
        if target.read_text(encoding="utf-8").startswith(HEADER.split("{")[0]):
            target.unlink()
            changed.append(target)
    return changed


def _difference(rel: str, name: str, expected: str, actual: str) -> str:
    exp_lines, act_lines = expected.splitlines(), actual.splitlines()
    number = next(
        (
            n
            for n, (want, got) in enumerate(zip(exp_lines, act_lines, strict=False), start=1)
            if want != got
        ),
        min(len(exp_lines), len(act_lines)) + 1,
    )
    diff = "".join(
        list(
            difflib.unified_diff(
                expected.splitlines(keepends=True),
                actual.splitlines(keepends=True),
                "generated",
                rel,
                n=1,
            )
        )[:12]
    )
    return f"{rel}:{number}: differs from what {name} generates\n{diff}"


def check(root: Path = ROOT, replacements: Mapping[str, str] | None = None) -> list[str]:
    """Every way the generated files differ from what generation writes; empty when none.

    One entry per file: differing (with its first differing line), missing, or
    with no source. Raises :class:`GenerationError` as :func:`generate_all` does.
    """
    problems = []
    for target, name, expected in generate_all(root, replacements):
        rel = target.relative_to(root).as_posix()
        if not target.exists():
            problems.append(f"{rel}: missing (generated from {name})")
            continue
        actual = target.read_text(encoding="utf-8")
        if actual != expected:
            problems.append(_difference(rel, name, expected, actual))
    for target in _stale(root):
        problems.append(f"{target.relative_to(root).as_posix()}: has no source in _async/")
    return problems


class BuildPyWithUnasync(_build_py):  # type: ignore[misc]
    """setuptools' ``build_py`` that writes ``leap0/_sync/`` from ``leap0/_async/`` in the build."""

    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return  # an editable install uses the committed files in place
        build_root = Path(self.build_lib)
        src_dir, dst_dir = DIRS[0]
        base = build_root / src_dir
        written = []
        # Only this tree is here, so a rule used only by the tests is no error.
        rule = _Rule(REPLACEMENTS)
        texts = {}
        for source in sorted(base.rglob("*.py")):
            rel = f"{dst_dir}/{source.relative_to(base).as_posix()}"
            name = f"{src_dir}/{source.relative_to(base).as_posix()}"
            texts[rel] = rule.generate(source.read_text(encoding="utf-8"), name)
        # Formatted as in the repository: ruff is a build requirement, so the wheel's
        # files are the committed ones whatever the build machine has installed.
        for rel, text in format_texts(texts).items():
            target = build_root / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, "utf-8")
            written.append(str(target))
        if written:
            self.announce(f"unasync: wrote {len(written)} files into {dst_dir}", level=logging.INFO)
            if not self.dry_run:
                self.byte_compile(written)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--check", action="store_true", help="exit 1 if a generated file differs; write nothing"
    )
    parser.add_argument("--root", type=Path, default=ROOT, help="project root (default: here)")
    args = parser.parse_args(argv)
    root = args.root.resolve()
    try:
        if args.check:
            problems = check(root)
            if problems:
                for problem in problems:
                    print(problem, file=sys.stderr)
                print(
                    f"{len(problems)} generated file(s) differ: run `python setup_hooks.py`"
                    " and commit the result",
                    file=sys.stderr,
                )
                return 1
            print("generated files are up to date")
            return 0
        for path in regenerate(root):
            print(f"wrote {os.path.relpath(path, root)}")
        return 0
    except GenerationError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
