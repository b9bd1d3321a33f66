"""leap0 (outside its emulator) uses httpx and httpcore through their public API only.

Every ``.py`` file of ``leap0/`` but ``leap0/emulator/`` is parsed; the test
fails, naming file and line, on:

* an import of a private module or name: ``import httpx._utils``,
  ``from httpx._transports.default import ...``, ``from httpcore import _x``;
* an attribute ``._name`` (one leading underscore, not a dunder) read or set
  on the httpx or httpcore module, however imported or renamed, or anywhere
  along a chain of attributes from it (``httpx.HTTPTransport._pool``), and the
  same through ``getattr``/``setattr``/``hasattr``/``delattr`` with a literal
  name;
* a class based on an httpx or httpcore class that defines, or sets on
  ``self``, a ``_name``: that is how httpx's private ``_init_transport`` was
  overridden and its transports' private ``_pool`` set, and any such name may
  be one of theirs.

A first test runs the checker on snippets that break each rule, so it is
known to catch them.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1] / "leap0"
LIBRARIES = ("httpx", "httpcore")


def _private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def _is_library(module: str | None) -> bool:
    return module is not None and module.split(".")[0] in LIBRARIES


class Checker(ast.NodeVisitor):
    """Collects ``(line, message)`` for each use of a private httpx/httpcore name."""

    def __init__(self) -> None:
        self.problems: list[tuple[int, str]] = []
        self.modules: set[str] = set()  # local names bound to httpx/httpcore (or their modules)
        self.classes: set[str] = set()  # local names bound to httpx/httpcore classes

    def report(self, node: ast.AST, message: str) -> None:
        self.problems.append((getattr(node, "lineno", 0), message))

    # imports ---------------------------------------------------------------------------

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            if not _is_library(alias.name):
                continue
            if any(_private(part) for part in alias.name.split(".")):
                self.report(node, f"import of the private module {alias.name}")
            self.modules.add(alias.asname or alias.name.split(".")[0])

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        module = node.module or ""
        if not _is_library(module):
            return
        if any(_private(part) for part in module.split(".")):
            self.report(node, f"import from the private module {module}")
        for alias in node.names:
            if _private(alias.name):
                self.report(node, f"import of the private name {module}.{alias.name}")
            elif alias.name[:1].isupper():
                self.classes.add(alias.asname or alias.name)
            else:
                self.modules.add(alias.asname or alias.name)

    # attributes -------------------------------------------------------------------------

    def rooted(self, node: ast.AST) -> bool:
        """Whether ``node`` is the httpx/httpcore module, one of its classes, or reached from one."""
        while isinstance(node, ast.Attribute):
            node = node.value
        return isinstance(node, ast.Name) and (node.id in self.modules or node.id in self.classes)

    def visit_Attribute(self, node: ast.Attribute) -> None:
        if _private(node.attr) and self.rooted(node.value):
            self.report(node, f"private attribute {ast.unparse(node)}")
        self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        if (
            isinstance(func, ast.Name)
            and func.id in ("getattr", "setattr", "hasattr", "delattr")
            and len(node.args) >= 2
            and self.rooted(node.args[0])
            and isinstance(node.args[1], ast.Constant)
            and isinstance(node.args[1].value, str)
            and _private(node.args[1].value)
        ):
            self.report(node, f"private attribute through {ast.unparse(node)}")
        self.generic_visit(node)

    # subclasses -------------------------------------------------------------------------

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        if any(self.rooted(base) for base in node.bases):
            for item in ast.walk(node):
                if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)) and _private(
                    item.name
                ):
                    self.report(
                        item, f"{node.name} (an httpx/httpcore subclass) defines {item.name}"
                    )
                elif (
                    isinstance(item, ast.Attribute)
                    and isinstance(item.ctx, ast.Store)
                    and isinstance(item.value, ast.Name)
                    and item.value.id == "self"
                    and _private(item.attr)
                ):
                    self.report(
                        item, f"{node.name} (an httpx/httpcore subclass) sets self.{item.attr}"
                    )
                elif isinstance(item, ast.Assign) and item in node.body:
                    for target in item.targets:
                        if isinstance(target, ast.Name) and _private(target.id):
                            self.report(
                                item, f"{node.name} (an httpx/httpcore subclass) sets {target.id}"
                            )
        self.generic_visit(node)


def check(source: str) -> list[tuple[int, str]]:
    checker = Checker()
    tree = ast.parse(source)
    # Imports first (they may sit in functions or under TYPE_CHECKING), then everything.
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            checker.visit_Import(node)
        elif isinstance(node, ast.ImportFrom):
            checker.visit_ImportFrom(node)
    checker.problems.clear()
    checker.visit(tree)
    return sorted(set(checker.problems))


def sources() -> Iterator[Path]:
    for path in sorted(ROOT.rglob("*.py")):
        if "emulator" not in path.relative_to(ROOT).parts:
            yield path


@pytest.mark.parametrize(
    "snippet",
    [
        "import httpx._utils",
        "from httpx._transports.default import ResponseStream",
        "from httpcore import _models",
        "import httpx\nx = httpx._config",
        "import httpx as h\nh.HTTPTransport._pool",
        "def f():\n    import httpcore\n    return httpcore._sync.connection_pool",
        "from httpx import HTTPTransport\nHTTPTransport._pool",
        "import httpx\ngetattr(httpx.Client, '_transport')",
        "import httpx\nclass C(httpx.Client):\n    def _init_transport(self): pass",
        "import httpx\nclass T(httpx.HTTPTransport):\n    def __init__(self, pool):\n"
        "        self._pool = pool",
        "from httpx import AsyncClient\nclass C(AsyncClient):\n    _transport = None",
    ],
)
def test_the_checker_catches(snippet: str) -> None:
    assert check(snippet), snippet


@pytest.mark.parametrize(
    "snippet",
    [
        "import httpx\nhttpx.Client(verify=True).headers",
        "import httpx\nclass T(httpx.HTTPTransport):\n    def __init__(self):\n"
        "        super().__init__()\n        self.pool = None\n    def __exit__(self, *a): pass",
        "class Mine:\n    def _own(self):\n        self._x = 1",
        "import httpx\nself._client.send",  # the SDK's own private names are its own
    ],
)
def test_the_checker_lets_public_use_through(snippet: str) -> None:
    assert check(snippet) == [], snippet


def test_leap0_uses_httpx_and_httpcore_through_their_public_api_only() -> None:
    found = []
    checked = 0
    for path in sources():
        checked += 1
        for line, message in check(path.read_text(encoding="utf-8")):
            found.append(f"{path.relative_to(ROOT.parent)}:{line}: {message}")
    assert checked > 20  # the tree was found
    assert found == []


def test_the_http_module_is_checked() -> None:
    assert ROOT / "_http.py" in set(sources())
    assert ROOT / "_sync" / "_httpx_transport.py" in set(sources())
