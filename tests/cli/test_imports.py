"""No import cycle among the modules of ``leap0._cli``.

Every import of one of its modules by another counts, wherever it is written:
at the top, inside a function, under ``TYPE_CHECKING``; relative
(``from . import x``, ``from .x import y``) or absolute
(``from leap0._cli.x import y``, ``import leap0._cli.x``). Handlers named in
the command table and imported by ``importlib`` at run time are not edges:
the table only names them.
"""

from __future__ import annotations

import ast
from pathlib import Path

import leap0._cli

PACKAGE = Path(leap0._cli.__file__).parent
NAME = "leap0._cli"


def _modules() -> dict[str, ast.Module]:
    return {
        path.stem: ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for path in sorted(PACKAGE.glob("*.py"))
    }


def _targets(node: ast.AST, modules: set[str]) -> set[str]:
    """The modules of the package that an import statement imports."""
    found: set[str] = set()
    if isinstance(node, ast.Import):
        for alias in node.names:
            if alias.name.startswith(NAME + "."):
                found.add(alias.name[len(NAME) + 1 :].partition(".")[0])
    elif isinstance(node, ast.ImportFrom):
        if node.level == 1:
            base = node.module or ""
        elif node.level == 0 and node.module and node.module.startswith(NAME):
            base = node.module[len(NAME) + 1 :]
        else:
            return found  # another package (``..errors``, ``leap0.models``)
        if base:
            found.add(base.partition(".")[0])
        else:  # from . import x, y: each a module, or a name of __init__
            found |= {alias.name if alias.name in modules else "__init__" for alias in node.names}
    return found & modules


def graph() -> dict[str, set[str]]:
    """Each module of ``leap0._cli`` and the modules of it that it imports."""
    modules = _modules()
    names = set(modules)
    return {
        name: {target for node in ast.walk(tree) for target in _targets(node, names)} - {name}
        for name, tree in modules.items()
    }


def _cycle(edges: dict[str, set[str]]) -> list[str] | None:
    """One import cycle (its modules in order, the first again at the end), or ``None``."""
    state: dict[str, int] = {}  # 1: being visited, 2: done
    path: list[str] = []

    def visit(name: str) -> list[str] | None:
        state[name] = 1
        path.append(name)
        for target in sorted(edges[name]):
            if state.get(target) == 1:
                return [*path[path.index(target) :], target]
            if target not in state and (found := visit(target)) is not None:
                return found
        path.pop()
        state[name] = 2
        return None

    for name in sorted(edges):
        if name not in state and (found := visit(name)) is not None:
            return found
    return None


def test_the_graph_sees_every_kind_of_import() -> None:
    edges = graph()
    assert "parser" in edges["entry"]  # at the top
    assert "openssh" in edges["values"]  # inside a function
    assert "context" in edges["manual"]  # under TYPE_CHECKING
    assert {"askpass", "credential", "openssh", "report"} <= edges["connect"]  # from . import
    assert "output" in edges["watchdog"]  # absolute: from leap0._cli.output import clean
    assert "entry" in edges["__init__"]


def test_the_cycle_finder_finds_one() -> None:
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set(), "c": {"a", "b"}}) is None


def test_no_module_of_the_cli_imports_one_that_imports_it_back() -> None:
    cycle = _cycle(graph())
    assert cycle is None, " -> ".join(cycle or [])


def test_the_context_imports_no_command_machinery() -> None:
    """Handlers, values and openssh import ``context``: it must stay below them all."""
    edges = graph()
    below: set[str] = set()
    pending = ["context"]
    while pending:
        for target in edges[pending.pop()]:
            if target not in below:
                below.add(target)
                pending.append(target)
    assert not below & {"entry", "parser", "commands", "values", "openssh", "connect"}, below
