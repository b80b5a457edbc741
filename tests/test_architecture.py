"""The code base's shape, checked with the suite (no database): every module imports on its own, no app has a
module-level import cycle, functions do not import their own app's modules (but tasks, and apps' `ready()`), the
import-linter contracts of pyproject.toml hold, and no module outgrows ~400 lines.

Each check names what breaks it: the module and its traceback, the cycle, the lazy imports, the contract, the
modules too long.
"""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
import traceback
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
APPS = tuple(
    name for name in ("portal", "accounts", "enrollment", "payments", "canteen", "mockpsp") if (ROOT / name).is_dir()
)
LINE_LIMIT = 400
LINE_CHECKED_DIRS = (*APPS, "tests", "bench")
# Modules whose functions may import their own app: a Celery task imports its service in its body (services queue
# tasks, so the reverse import is the module-level one), and `AppConfig.ready()` is where Django lets an app import
# what needs the registry (checks, hooks).
LAZY_IMPORT_ALLOWED = ("tasks.py", "apps.py")


def _python_files(top: str) -> Iterator[Path]:
    for path in sorted((ROOT / top).rglob("*.py")):
        if "__pycache__" not in path.parts:
            yield path


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _is_package(path: Path) -> bool:
    return path.name == "__init__.py"


# --- (a) every module imports on its own -------------------------------------------------------------------------


def _import_one(module: str) -> str | None:
    """In a forked child: import `module`, return its traceback (None when it imports)."""
    import importlib

    try:
        importlib.import_module(module)
    except BaseException:  # any failure (SystemExit included) is the module's, reported with its traceback
        return traceback.format_exc()
    return None


def import_each_main(modules: list[str]) -> None:
    """Run in a fresh interpreter: set Django up once, then import each module in a child forked from that state,
    so that each module is imported first, on its own (not after the modules the suite happened to import)."""
    import multiprocessing

    import django

    django.setup()
    preloaded = sorted(m for m in modules if m in sys.modules)
    context = multiprocessing.get_context("fork")
    with context.Pool(processes=max(2, os.cpu_count() or 2), maxtasksperchild=1) as pool:
        failures = {m: tb for m, tb in zip(modules, pool.map(_import_one, modules, chunksize=1), strict=True) if tb}
    sys.stdout.write(json.dumps({"failures": failures, "preloaded": preloaded}) + "\n")


def test_every_module_imports_on_its_own():
    """Each module of the apps, imported first in a process of its own once Django is set up: a module that only
    imports when another was imported before it (an import cycle, a missing import) fails here. The modules
    `django.setup()` itself loads (apps, models, admin and what they import) are covered by the set-up."""
    modules = [_module_name(path) for app in APPS for path in _python_files(app)]
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "portal.settings_test", "PYTHONPATH": str(ROOT)}
    code = f"from tests.test_architecture import import_each_main; import_each_main({modules!r})"
    result = subprocess.run(  # noqa: S603 - this interpreter, a fixed script
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False
    )
    assert result.returncode == 0, f"the import run itself failed:\n{result.stderr[-4000:]}"
    report = json.loads(result.stdout.strip().splitlines()[-1])
    failures = report["failures"]
    if failures:
        pytest.fail(
            f"{len(failures)} module(s) do not import on their own (after django.setup()):\n\n"
            + "\n".join(f"== {module}\n{tb}" for module, tb in failures.items()),
            pytrace=False,
        )


# --- (b) import graph inside each app -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Import:
    importer: str
    imported: str
    line: int
    in_function: bool


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


class _ImportCollector(ast.NodeVisitor):
    """Imports of one module, each marked as executed at import time (module body, class bodies, if/try/with
    blocks) or inside a function; imports under `if TYPE_CHECKING:` are skipped (never executed)."""

    def __init__(self, module: str, is_package: bool, known: set[str]) -> None:
        self.module, self.is_package, self.known = module, is_package, known
        self.depth = 0
        self.found: list[Import] = []

    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda) -> None:
        self.depth += 1
        self.generic_visit(node)
        self.depth -= 1

    visit_AsyncFunctionDef = visit_FunctionDef
    visit_Lambda = visit_FunctionDef

    def visit_If(self, node: ast.If) -> None:
        if _is_type_checking(node.test):
            for child in node.orelse:
                self.visit(child)
            return
        self.generic_visit(node)

    def _add(self, target: str, line: int) -> None:
        self.found.append(Import(self.module, target, line, self.depth > 0))

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self._add(alias.name, node.lineno)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        base = node.module or ""
        if node.level:
            package = self.module if self.is_package else self.module.rpartition(".")[0]
            for _ in range(node.level - 1):
                package = package.rpartition(".")[0]
            base = f"{package}.{base}" if base else package
        for alias in node.names:
            submodule = f"{base}.{alias.name}"
            # `from package import module` imports the module; `from module import name` the module itself.
            self._add(submodule if submodule in self.known else base, node.lineno)


def _app_imports() -> list[Import]:
    """Every import between two modules of the same app."""
    files = {_module_name(path): path for app in APPS for path in _python_files(app) if "migrations" not in path.parts}
    known = set(files)
    found: set[Import] = set()
    for module, path in files.items():
        collector = _ImportCollector(module, _is_package(path), known)
        collector.visit(ast.parse(path.read_text(), filename=str(path)))
        app = module.partition(".")[0]
        found.update(
            i
            for i in collector.found
            if i.imported in known and i.imported.partition(".")[0] == app and i.imported != module
        )
    return sorted(found, key=lambda i: (i.importer, i.line, i.imported))


def _cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan), each as one cycle through them."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[set[str]] = []

    def connect(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for succ in sorted(edges.get(node, ())):
            if succ not in index:
                connect(succ)
                low[node] = min(low[node], low[succ])
            elif succ in on_stack:
                low[node] = min(low[node], index[succ])
        if low[node] == index[node]:
            component = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.add(member)
                if member == node:
                    break
            if len(component) > 1:
                components.append(component)

    for node in sorted(edges):
        if node not in index:
            connect(node)
    return [_cycle_in(component, edges) for component in components]


def _cycle_in(component: set[str], edges: dict[str, set[str]]) -> list[str]:
    """One cycle through the component's first module (breadth-first, so the shortest)."""
    start = min(component)
    paths = {start: [start]}
    queue = [start]
    while queue:
        node = queue.pop(0)
        for succ in sorted(edges.get(node, set()) & component):
            if succ == start:
                return [*paths[node], start]
            if succ not in paths:
                paths[succ] = [*paths[node], succ]
                queue.append(succ)
    raise AssertionError("a strongly connected component always has a cycle")  # pragma: no cover


def test_no_module_level_import_cycle_inside_an_app():
    edges: dict[str, set[str]] = {}
    for imp in _app_imports():
        if not imp.in_function:
            edges.setdefault(imp.importer, set()).add(imp.imported)
    cycles = _cycles(edges)
    if cycles:
        pytest.fail("module-level import cycles:\n" + "\n".join(" -> ".join(cycle) for cycle in cycles), pytrace=False)


def _lazy_imports() -> list[Import]:
    return [
        imp
        for imp in _app_imports()
        if imp.in_function and not imp.importer.endswith(tuple(f".{name[:-3]}" for name in LAZY_IMPORT_ALLOWED))
    ]


def test_functions_do_not_import_their_own_app():
    """Inside an app, a module imports its siblings at the top; only a task (its service) and `ready()` import in
    a function body."""
    lazy = _lazy_imports()
    if lazy:
        pytest.fail(
            f"{len(lazy)} import(s) of the same app inside a function body:\n"
            + "\n".join(f"{imp.importer} (line {imp.line}) -> {imp.imported}" for imp in lazy),
            pytrace=False,
        )


# --- (c) import-linter ---------------------------------------------------------------------------------------------


def test_import_contracts_hold():
    """`lint-imports` with the contracts of pyproject.toml (the layers between the apps, mockpsp's isolation)."""
    code = "from importlinter.cli import lint_imports_command; lint_imports_command()"
    result = subprocess.run(  # noqa: S603 - this interpreter, a fixed script
        [sys.executable, "-c", code, "--no-cache"],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if result.returncode != 0:
        pytest.fail(result.stdout[result.stdout.find("Broken contracts") :] or result.stderr, pytrace=False)


# --- (d) module length -------------------------------------------------------------------------------------------


def _long_modules() -> list[tuple[str, int]]:
    found = []
    for top in LINE_CHECKED_DIRS:
        for path in _python_files(top):
            if "migrations" in path.parts:
                continue
            lines = len(path.read_text().splitlines())
            if lines > LINE_LIMIT:
                found.append((str(path.relative_to(ROOT)), lines))
    return sorted(found, key=lambda item: -item[1])


def test_no_module_over_400_lines():
    long_modules = _long_modules()
    if long_modules:
        pytest.fail(
            f"modules over {LINE_LIMIT} lines (migrations excepted):\n"
            + "\n".join(f"{path}: {lines}" for path, lines in long_modules),
            pytrace=False,
        )
