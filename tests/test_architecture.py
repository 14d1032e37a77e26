"""The package boundaries, read from the source: ``lsp_server -> infill -> engine``, training
beside the runtime, no import cycle (imports inside functions count), no runtime file over
the size a reader takes in at once, no probing of backends for what they can do."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("engine", "infill", "lsp_server", "training")
RUNTIME = ("engine", "infill", "lsp_server")
MAX_LINES = 400
# Who may import whom (besides itself).
ALLOWED = {
    "engine": set(),
    "infill": {"engine"},
    "lsp_server": {"infill"},
    "training": {"engine", "infill"},
}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            found[module_name(path)] = path
    return found


MODULES = modules()


def imports(name: str, path: Path) -> set[str]:
    """Our modules that ``name`` imports anywhere in its source (the most specific one named)."""
    is_package = path.name == "__init__.py"
    here = name if is_package else name.rpartition(".")[0]
    out = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = here.split(".")
                base = base[:len(base) - (node.level - 1)]
                origin = ".".join(base + ([node.module] if node.module else []))
            else:
                origin = node.module or ""
            targets = [f"{origin}.{alias.name}" if f"{origin}.{alias.name}" in MODULES else origin
                       for alias in node.names]
        else:
            continue
        for target in targets:
            while target and target not in MODULES:
                target = target.rpartition(".")[0]
            if target and target != name:
                out.add(target)
    return out


GRAPH = {name: imports(name, path) for name, path in MODULES.items()}


def test_each_package_imports_only_the_layers_below_it():
    wrong = [f"{name} imports {target}" for name, targets in GRAPH.items() for target in targets
             if target.split(".")[0] != name.split(".")[0]
             and target.split(".")[0] not in ALLOWED[name.split(".")[0]]]
    assert wrong == []


def find_cycles(graph: dict[str, set[str]]) -> list[str]:
    state: dict[str, int] = {}          # 1: on the current path, 2: done
    cycles = []

    def visit(name: str, path: list[str]) -> None:
        state[name] = 1
        for target in sorted(graph.get(name, ())):
            if state.get(target) == 1:
                cycles.append(" -> ".join(path[path.index(target):] + [target]))
            elif target not in state:
                visit(target, path + [target])
        state[name] = 2

    for name in sorted(graph):
        if name not in state:
            visit(name, [name])
    return cycles


def test_there_is_no_import_cycle():
    assert find_cycles(GRAPH) == []


def test_the_checker_sees_cycles_and_imports_inside_functions():
    assert find_cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == ["a -> b -> c -> a"]
    assert "infill.suggest" in GRAPH["infill.cli"]          # imported inside cmd_complete
    assert "infill.eval.humaneval" in GRAPH["training.corpus"]   # inside default_bench_dir


@pytest.mark.parametrize("package", RUNTIME)
def test_no_runtime_file_is_too_long_to_read_at_once(package):
    long = {str(p.relative_to(ROOT)): n for p in (ROOT / package).rglob("*.py")
            if (n := len(p.read_text().splitlines())) > MAX_LINES}
    assert long == {}


def test_backends_declare_what_they_can_do_and_nobody_probes():
    probe = re.compile(r"\b(?:getattr|hasattr)\(\s*(?:self\.)?(?:backend|be|model_backend)\b")
    found = [f"{p.relative_to(ROOT)}:{i}" for package in ("infill", "lsp_server")
             for p in (ROOT / package).rglob("*.py")
             for i, line in enumerate(p.read_text().splitlines(), 1) if probe.search(line)]
    assert found == []


def test_the_engine_knows_no_programming_language():
    python_only = re.compile(r"\bimport keyword\b|\btree_sitter\b|\"python\"")
    found = [f"{p.relative_to(ROOT)}:{i}" for p in (ROOT / "engine").rglob("*.py")
             for i, line in enumerate(p.read_text().splitlines(), 1) if python_only.search(line)]
    assert found == []


def test_every_package_says_what_it_knows():
    for package in PACKAGES:
        doc = ast.get_docstring(ast.parse((ROOT / package / "__init__.py").read_text()))
        assert doc and len(doc.split()) > 30, package


def test_no_code_branches_on_a_language_name_outside_the_registry():
    """Languages are data (``infill/languages.py``): no other runtime module spells a language's
    name as a string of its own (``language == "python"``, a default of ``"python"``)."""
    from infill.languages import LANGUAGES, lsp_language_ids

    names = set(LANGUAGES) | set(lsp_language_ids())
    found = [f"{p.relative_to(ROOT)}:{node.lineno} {node.value!r}"
             for package in RUNTIME for p in (ROOT / package).rglob("*.py") if p != ROOT / "infill" / "languages.py"
             for node in ast.walk(ast.parse(p.read_text()))
             if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value in names]
    assert found == []
