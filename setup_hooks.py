"""Generate the sync code from the async source: the unasync rules, in one place.

Three uses of the same rules:

* the build hook: ``BuildPyWithUnasync`` (setuptools' ``build_py``, named in
  ``pyproject.toml``) writes ``leap0/_sync/`` from ``leap0/_async/`` into every
  wheel it builds;
* ``python setup_hooks.py`` regenerates the committed ``leap0/_sync/`` and
  ``tests/_sync/`` files;
* ``python setup_hooks.py --check`` exits 1 naming the first file and line that
  differs from what generation writes, and 0 when everything matches.

On top of unasync's token rules (``async``/``await`` dropped, ``__aenter__`` to
``__enter__`` and so on), the names below are renamed, and any other
``Async[A-Z]...`` name is an error rather than unasync's default ``Sync...``.
Docstrings and comments are rewritten with the same words, so the sync
docstrings show sync code.
"""

from __future__ import annotations

import argparse
import difflib
import logging
import os
import re
import sys
from collections.abc import Iterator
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
    # Imports of the package and test trees.
    "_async": "_sync",
}

HEADER = (
    "# Generated from {source} by `python setup_hooks.py` (unasync). Do not edit:\n"
    "# change the async source, then regenerate.\n"
)

_UNKNOWN_ASYNC = re.compile(r"Async[A-Z]\w*")
_PROSE = [
    (re.compile(r"\bawait\s+"), ""),
    (re.compile(r"\basync\s+(with|for|def)\b"), r"\1"),
    (re.compile(r"\basyncio\.run\((\w+)\(\)\)"), r"\1()"),
]


class GenerationError(Exception):
    pass


class _Rule(unasync.Rule):  # type: ignore[misc]
    """unasync's rule with our names, and no silent ``AsyncFoo`` -> ``SyncFoo``."""

    def _unasync_name(self, name: str) -> str:
        if name in self.token_replacements:
            return str(self.token_replacements[name])
        if _UNKNOWN_ASYNC.fullmatch(name):
            raise GenerationError(f"no sync name for {name!r}: add it to REPLACEMENTS")
        return name


_RULE = _Rule("/_async/", "/_sync/", additional_replacements=REPLACEMENTS)
_WORD_LIST = sorted(map(re.escape, _RULE.token_replacements), key=len, reverse=True)
_WORDS = re.compile(r"\b(" + "|".join(_WORD_LIST) + r")\b")


def _prose(text: str) -> str:
    for pattern, repl in _PROSE:
        text = pattern.sub(repl, text)
    return _WORDS.sub(lambda m: str(_RULE.token_replacements[m.group(1)]), text)


def generate(source_text: str, source_name: str) -> str:
    """The sync twin of one async source file."""
    tokens = tokenize_rt.src_to_tokens(source_text)
    out = []
    for token in _RULE._unasync_tokens(tokens):
        if token.name in ("STRING", "COMMENT", "FSTRING_MIDDLE"):
            token = token._replace(src=_prose(token.src))
        out.append(token)
    return HEADER.format(source=source_name) + tokenize_rt.tokens_to_src(out)


def pairs(root: Path) -> Iterator[tuple[Path, Path, str]]:
    """(source, target, source name) for every async source file under ``root``."""
    for src_dir, dst_dir in DIRS:
        base = root / src_dir
        if not base.is_dir():
            continue
        for source in sorted(base.rglob("*.py")):
            rel = source.relative_to(base)
            yield source, root / dst_dir / rel, f"{src_dir}/{rel.as_posix()}"


def _stale(root: Path) -> Iterator[Path]:
    """Generated files whose source is gone."""
    for src_dir, dst_dir in DIRS:
        base = root / dst_dir
        if not base.is_dir():
            continue
        for target in sorted(base.rglob("*.py")):
            if not (root / src_dir / target.relative_to(base)).exists():
                yield target


def regenerate(root: Path = ROOT) -> list[Path]:
    """Write every generated file; returns those that changed."""
    changed = []
    for source, target, name in pairs(root):
        text = generate(source.read_text(encoding="utf-8"), name)
        if not target.exists() or target.read_text(encoding="utf-8") != text:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
            changed.append(target)
    for target in _stale(root):
        if target.read_text(encoding="utf-8").startswith(HEADER.split("{")[0]):
            target.unlink()
            changed.append(target)
    return changed


def check(root: Path = ROOT) -> str | None:
    """``None`` when every generated file is as generation writes it, else what differs."""
    for source, target, name in pairs(root):
        expected = generate(source.read_text(encoding="utf-8"), name)
        rel = target.relative_to(root).as_posix()
        if not target.exists():
            return f"{rel}: missing (generated from {name})"
        actual = target.read_text(encoding="utf-8")
        if actual != expected:
            exp_lines, act_lines = expected.splitlines(), actual.splitlines()
            pairs_ = zip(exp_lines, act_lines, strict=False)
            number = next(
                (n for n, (want, got) in enumerate(pairs_, start=1) if want != got),
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
    for target in _stale(root):
        return f"{target.relative_to(root).as_posix()}: has no source in _async/"
    return None


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
        for source in sorted(base.rglob("*.py")):
            target = build_root / dst_dir / source.relative_to(base)
            target.parent.mkdir(parents=True, exist_ok=True)
            name = f"{src_dir}/{source.relative_to(base).as_posix()}"
            target.write_text(generate(source.read_text(encoding="utf-8"), name), "utf-8")
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
            problem = check(root)
            if problem:
                print(problem, file=sys.stderr)
                print("run `python setup_hooks.py` and commit the result", file=sys.stderr)
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
