"""The house rules, read from the source with `ast`: public seams, and arrows that point down.

1. A module imports another package's public names (its `__init__`), never
   its private modules (`kerascope.pkg._mod`) or private names.
2. A package imports only packages on lower floors (docs/architecture.md).
"""

from __future__ import annotations

import ast
import pathlib

SOURCE = pathlib.Path(__file__).resolve().parents[1] / "src" / "kerascope"

#: Every package (a subpackage, or a module at the top level) and its floor.
#: On floor 10 the CLI sits above its input loading and the demo, and
#: `python -m kerascope` above the CLI.
FLOORS: dict[str, float] = {
    "errors": 1,
    "_text": 1,
    "_progress": 1,
    "keys": 1,
    "backends": 2,
    "data": 2,
    "select": 2,
    "prefetch": 2,
    "capture": 3,
    "stats": 4,
    "store": 5,
    "diagnostics": 5,
    "examples": 4.5,
    "compare": 5,
    "interventions": 5,
    "visualize": 6,
    "monitor": 6,
    "export": 6,
    "distributed": 7,
    "plot": 8,
    "report": 9,
    "viewer": 9,
    "_inputs": 10,
    "_demo": 10,
    "cli": 10.5,
    "__main__": 10.9,
}


def _modules() -> list[tuple[str, pathlib.Path]]:
    found = []
    for path in sorted(SOURCE.rglob("*.py")):
        parts = path.relative_to(SOURCE.parent).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found.append((".".join(parts), path))
    return found


def _package(module: str) -> str | None:
    """`kerascope.stats._api` -> `stats`; the top-level package itself -> None."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else None


def _imports(module: str, path: pathlib.Path) -> list[tuple[int, str]]:
    """`(line, imported module or name)` for every kerascope import, lazy ones included."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    is_package = path.name == "__init__.py"
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = module.split(".")
                anchor = anchor if is_package else anchor[:-1]
                anchor = anchor[: len(anchor) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            found += [(node.lineno, f"{base}.{alias.name}") for alias in node.names]
    return [(line, name) for line, name in found if name.split(".")[0] == "kerascope"]


def _private_reach(module: str, target: str) -> bool:
    """Whether `target` is a private module or name inside another package."""
    own, theirs = _package(module), _package(target)
    if theirs is None or own is None or own == theirs:
        return False
    return any(part.startswith("_") and part != "__version__" for part in target.split(".")[2:])


def test_the_walk_sees_the_code():
    modules = dict(_modules())
    assert "kerascope.stats._api" in modules
    imports = [
        name for _, name in _imports("kerascope.stats._api", modules["kerascope.stats._api"])
    ]
    assert "kerascope.stats._runner.StatisticsRunner" in imports
    assert _private_reach("kerascope.monitor._callback", "kerascope.stats._api.run_statistics")
    assert _private_reach("kerascope.cli._commands", "kerascope.capture._spec.input_spec")
    assert not _private_reach("kerascope.stats._api", "kerascope.stats._runner.StatisticsRunner")
    assert not _private_reach("kerascope.stats._api", "kerascope._progress.ProgressBar")


def test_no_module_reaches_into_another_packages_private_modules():
    reaches = [
        f"{module} line {line}: {target}"
        for module, path in _modules()
        for line, target in _imports(module, path)
        if _private_reach(module, target)
    ]
    assert not reaches, (
        "Modules import private modules of another package; add a public seam "
        "(the package's __init__) and import that:\n" + "\n".join(reaches)
    )


def test_imports_point_down_the_floors():
    upward = []
    for module, path in _modules():
        own = _package(module)
        if own is None:
            continue  # the top level re-exports the verbs of every floor
        assert own in FLOORS, f"{own!r} has no floor: add it to FLOORS and docs/architecture.md"
        for line, target in _imports(module, path):
            theirs = _package(target)
            if theirs is None or theirs == own or theirs not in FLOORS:
                continue  # the top level (`__version__`), the own package, or a name
            if FLOORS[theirs] >= FLOORS[own]:
                upward.append(
                    f"{module} (floor {FLOORS[own]}) line {line}: {target} (floor {FLOORS[theirs]})"
                )
    assert not upward, "Imports that point sideways or up:\n" + "\n".join(upward)
