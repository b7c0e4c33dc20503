"""The package's shape: no import cycle, no file over 500 lines, constants defined once."""
import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "artlab"


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> set[str]:
    """artlab modules a file imports, at module level or inside functions (a lazy import is still a dependency)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        names = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
        for name in names:
            if name.startswith("artlab"):
                parts = name.split(".")
                found.update(".".join(parts[:i]) for i in range(2, len(parts) + 1))  # parents are imported too
    return found


def test_there_is_no_import_cycle_in_the_package():
    modules = {_module_name(p): p for p in PACKAGE.rglob("*.py")}
    # a module's own packages are initialised before it runs, so importing a sibling adds no edge to them
    graph = {name: {m for m in _imports(path) if m in modules and m != name and not name.startswith(m + ".")}
             for name, path in modules.items()}
    state, path, cycles = {}, [], []

    def visit(node):
        state[node] = "open"
        path.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == "open":
                cycles.append(path[path.index(nxt):] + [nxt])
            elif nxt not in state:
                visit(nxt)
        path.pop()
        state[node] = "done"

    for node in sorted(graph):
        if node not in state:
            visit(node)
    assert not cycles, "import cycles: " + "; ".join(" -> ".join(c) for c in cycles)


def test_no_module_is_over_500_lines():
    long = {str(p.relative_to(ROOT)): n for p in PACKAGE.rglob("*.py") if (n := len(p.read_text().splitlines())) > 500}
    assert not long, f"split these by concern: {long}"


def test_shared_constants_are_defined_once():
    definitions = {"TICKS_PER_QUARTER": [], "MUSIC_SUFFIXES": [], "EVAL_SEED": [], "_plain": [], "_TICKS": [],
                   "_SUFFIXES": [], "_Windows": [], "_Grammar": []}
    for path in PACKAGE.rglob("*.py"):
        for node in ast.parse(path.read_text()).body:
            targets = [t.id for t in getattr(node, "targets", []) if isinstance(t, ast.Name)]
            if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
                targets.append(node.name)
            for name in targets:
                if name in definitions:
                    definitions[name].append(str(path.relative_to(ROOT)))
    assert all(len(places) <= 1 for places in definitions.values()), definitions
    assert not any(definitions[name] for name in ("_plain", "_TICKS", "_SUFFIXES", "_Windows", "_Grammar"))


def test_argument_checks_go_through_the_shared_helpers():
    hand_written = re.compile(r"isinstance\([\w.]+, bool\) or not isinstance")
    offenders = [f"{p.relative_to(ROOT)}:{i}" for p in PACKAGE.rglob("*.py")
                 for i, line in enumerate(p.read_text().splitlines(), 1)
                 if hand_written.search(line) and p.name != "errors.py"]
    allowed = {"image_size", "size", "seed", "n"}  # checks with more to say than a range (powers of two, 2**32)
    offenders = [o for o in offenders if not any(f"isinstance({a}, bool)" in (ROOT / o.split(':')[0]).read_text()
                                                 .splitlines()[int(o.split(':')[1]) - 1] for a in allowed)]
    assert not offenders, f"use artlab.errors.whole_number / real_number / probability: {offenders}"
