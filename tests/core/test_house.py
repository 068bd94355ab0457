"""The house rules a reader of apps/ relies on, checked over the source (ast), so that `make test` fails
the day one is broken:

- one transaction idiom: above apps.audit, work runs in `audited_transaction()`; `transaction.atomic` only
  for another database (`using=`: the key store), where the audit log is not;
- no private transaction internals of Django (a Django upgrade must not silently break audit writes);
- no import circle inside an app (a service queues a task by name, it never imports the task module);
- test helpers shared between test modules live in helpers.py or conftest.py.
"""

import ast
from pathlib import Path

from tests.conftest import ROOT

APPS = ROOT / "apps"
# The foundation below the audit log (core) and the module that builds the idiom on transaction.atomic.
ATOMIC_ALLOWED = {APPS / "audit" / "services.py"}
PRIVATE_TRANSACTION_NAMES = {"atomic_blocks", "needs_rollback", "run_on_commit", "savepoint_ids", "savepoint_state",
                             "commit_on_exit", "in_atomic_block_savepoint"}


def _modules() -> list[Path]:
    return sorted(p for p in APPS.rglob("*.py") if "migrations" not in p.parts)


def _name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _atomic_calls(tree: ast.AST) -> list[int]:
    """Lines using `transaction.atomic` (call or bare decorator) without `using=`."""
    lines = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "atomic":
            if not any(k.arg == "using" for k in node.keywords):
                lines.append(node.lineno)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            lines += [d.lineno for d in node.decorator_list if isinstance(d, ast.Attribute) and d.attr == "atomic"]
    return lines


def test_services_run_their_work_in_audited_transaction_only():
    found = []
    for path in _modules():
        if path.is_relative_to(APPS / "core") or path in ATOMIC_ALLOWED:
            continue
        found += [f"{path.relative_to(ROOT)}:{line}" for line in _atomic_calls(ast.parse(path.read_text()))]
    assert not found, f"use apps.audit.services.audited_transaction() (transaction.atomic only with using=): {found}"


def test_nothing_reaches_into_djangos_transaction_internals():
    found = [f"{path.relative_to(ROOT)}:{node.lineno} .{node.attr}" for path in _modules()
             for node in ast.walk(ast.parse(path.read_text()))
             if isinstance(node, ast.Attribute) and node.attr in PRIVATE_TRANSACTION_NAMES]
    assert not found, f"private transaction API (use transaction.get_rollback(), on_commit, execute_wrapper): {found}"


def _imports(path: Path, known: set[str]) -> set[str]:
    """The modules of apps/ this one imports, anywhere in it (a function-local import counts too)."""
    package = _name(path) if path.name == "__init__.py" else _name(path).rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[:len(anchor) - node.level + 1]
                base = ".".join([*anchor, *([base] if base else [])])
            found |= {f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base for alias in node.names}
    return {name for name in found if name in known}


def _circles(graph: dict[str, set[str]]) -> list[list[str]]:
    circles, state = [], {}

    def visit(node: str, trail: list[str]) -> None:
        state[node] = "open"
        for target in sorted(graph[node]):
            if state.get(target) == "open":
                circles.append([*trail[trail.index(target):], target])
            elif target not in state:
                visit(target, [*trail, target])
        state[node] = "done"

    for node in sorted(graph):
        if node not in state:
            visit(node, [node])
    return circles


def test_no_import_circle_inside_any_app():
    modules = {_name(p): p for p in _modules()}
    known = set(modules)
    graph = {name: {t for t in _imports(path, known) if t != name and t.split(".")[1] == name.split(".")[1]}
             for name, path in modules.items()}
    circles = [" -> ".join(c) for c in _circles(graph)]
    assert not circles, f"import circles inside an app: {circles}"


def test_the_circle_finder_finds_a_circle():
    assert _circles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c", "a"]]
    assert _circles({"a": {"b"}, "b": set()}) == []


def test_no_test_module_imports_from_another():
    """Shared helpers live in a helpers.py or conftest.py (a test module imported elsewhere runs its tests'
    module-level code twice and ties unrelated tests together)."""
    found = []
    for path in sorted((ROOT / "tests").rglob("test_*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and (node.module or "").rpartition(".")[2].startswith("test_"):
                found.append(f"{path.relative_to(ROOT)}:{node.lineno} from {node.module}")
    assert not found, found
