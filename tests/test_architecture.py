"""The design card, checked on the source: rooms, import direction, no cycles, sizes."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from .conftest import ROOT

SRC = ROOT / "src"
PACKAGE = "carerounds"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join([PACKAGE, *parts])


MODULES = {_module_name(p): p for p in sorted(SRC.rglob("*.py"))}


def _is_package(name: str) -> bool:
    return MODULES[name].name == "__init__.py"


def _type_checking_lines(tree: ast.AST) -> set[int]:
    lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for child in ast.walk(node):
                if hasattr(child, "lineno"):
                    lines.add(child.lineno)
    return lines


def _imports(name: str) -> set[str]:
    """Every module of the package ``name`` imports, at module level or inside functions."""
    tree = ast.parse(MODULES[name].read_text(encoding="utf-8"))
    skip = _type_checking_lines(tree)
    base = name.split(".") if _is_package(name) else name.split(".")[:-1]
    found: set[str] = set()
    for node in ast.walk(tree):
        if getattr(node, "lineno", None) in skip:
            continue
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                anchor = base[:len(base) - node.level + 1]
                prefix = ".".join(anchor + ([node.module] if node.module else []))
            else:
                prefix = node.module or ""
            targets = [prefix] + [f"{prefix}.{a.name}" for a in node.names]
        for target in targets:
            if target in MODULES and target != name:
                found.add(target)
    return found


GRAPH = {name: _imports(name) for name in MODULES}


def _third_party(name: str) -> set[str]:
    tree = ast.parse(MODULES[name].read_text(encoding="utf-8"))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
            found.add(node.module.split(".")[0])
    return found


def test_the_package_has_the_three_rooms():
    assert {f"{PACKAGE}.geo", f"{PACKAGE}.routing", f"{PACKAGE}.scheduler",
            f"{PACKAGE}.scheduler.render", f"{PACKAGE}.scheduler.whatif"} <= set(MODULES)


def test_no_import_cycle_in_src():
    state: dict[str, int] = {}
    stack: list[str] = []
    cycles: list[list[str]] = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(GRAPH[node]):
            # a package's __init__ importing its own submodules is how packages work
            if node.startswith(nxt + ".") and _is_package(nxt):
                continue
            if state.get(nxt) == 1:
                cycles.append(stack[stack.index(nxt):] + [nxt])
            elif nxt not in state:
                visit(nxt)
        stack.pop()
        state[node] = 2

    for name in sorted(GRAPH):
        if name not in state:
            visit(name)
    assert cycles == []


@pytest.mark.parametrize("lower, upper", [("geo", "routing"), ("geo", "scheduler"),
                                          ("routing", "geo"), ("routing", "scheduler")])
def test_layers_do_not_reach_up_or_across(lower, upper):
    bad = {name: sorted(t for t in targets if t.startswith(f"{PACKAGE}.{upper}"))
           for name, targets in GRAPH.items() if name.startswith(f"{PACKAGE}.{lower}")}
    assert {k: v for k, v in bad.items() if v} == {}


def test_core_scheduler_never_imports_rendering_whatif_or_the_cli():
    core = [n for n in GRAPH if n.startswith(f"{PACKAGE}.scheduler")
            and not n.startswith((f"{PACKAGE}.scheduler.render", f"{PACKAGE}.scheduler.whatif"))
            and n not in (f"{PACKAGE}.scheduler.cli", f"{PACKAGE}.scheduler.terminal",
                          f"{PACKAGE}.scheduler.nightly", f"{PACKAGE}.scheduler.week_cli")]
    outer = (f"{PACKAGE}.scheduler.render", f"{PACKAGE}.scheduler.whatif",
             f"{PACKAGE}.scheduler.cli")
    bad = {n: sorted(t for t in GRAPH[n] if t.startswith(outer)) for n in core}
    assert {k: v for k, v in bad.items() if v} == {}


def test_nothing_imports_the_cli():
    assert [n for n, targets in GRAPH.items() if f"{PACKAGE}.scheduler.cli" in targets] == []


def test_argparse_only_in_the_cli():
    assert [n for n in MODULES if "argparse" in _third_party(n)] == [f"{PACKAGE}.scheduler.cli"]


def test_ortools_only_in_the_solver_adapter():
    assert [n for n in MODULES if "ortools" in _third_party(n)] == [f"{PACKAGE}.routing.solver"]


def test_pyvrp_only_in_its_adapter_and_only_lazily():
    assert [n for n in MODULES if "pyvrp" in _third_party(n)] == [f"{PACKAGE}.routing.pyvrp_adapter"]
    tree = ast.parse(MODULES[f"{PACKAGE}.routing.pyvrp_adapter"].read_text(encoding="utf-8"))
    top = [a.name for node in tree.body if isinstance(node, ast.Import) for a in node.names]
    top += [node.module for node in tree.body if isinstance(node, ast.ImportFrom) and node.module]
    assert not [m for m in top if m.split(".")[0] == "pyvrp"]  # the base install lacks it


def test_no_print_in_library_modules():
    printing = []
    for name, path in MODULES.items():
        if name == f"{PACKAGE}.scheduler.cli":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "print":
                printing.append(f"{name}:{node.lineno}")
    assert printing == []


def test_no_scheduler_module_over_700_lines():
    sizes = {n: len(p.read_text(encoding="utf-8").splitlines()) for n, p in MODULES.items()
             if n.startswith(f"{PACKAGE}.scheduler")}
    assert {n: s for n, s in sizes.items() if s > 700} == {}


def test_no_function_over_100_lines():
    long = []
    for name, path in MODULES.items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                length = node.end_lineno - node.lineno + 1
                if length > 100:
                    long.append(f"{name}.{node.name}: {length} lines")
    assert long == []


def test_benchmark_readers_live_outside_the_library():
    assert f"{PACKAGE}.routing.instances" not in MODULES
    assert (ROOT / "benchmarks" / "instances.py").is_file()


def test_every_public_name_of_the_scheduler_api_resolves():
    import carerounds.scheduler as api

    for name in api.__all__:
        assert getattr(api, name) is not None, name


def test_the_terminal_helpers_serve_the_cli_alone():
    helpers = {f"{PACKAGE}.scheduler.terminal", f"{PACKAGE}.scheduler.nightly",
               f"{PACKAGE}.scheduler.week_cli"}
    users = {n for n, targets in GRAPH.items() if targets & helpers} - helpers
    assert users == {f"{PACKAGE}.scheduler.cli"}
