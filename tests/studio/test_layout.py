"""The studio's shape: it uses only the engine's public surface, and its files stay small."""
import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PUBLIC = {"engine", "engine.record", "engine.library", "engine.explore", "engine.limits", "engine.requests",
          "engine.animation", "engine.families",
          "engine.sources", "engine.cpu",  # image loading and the CPU's precision: leaf modules the engine exports
          "engine.vocabulary"}  # a model's words (the prompt box marks and completes them)
MAX_LINES = 350


def engine_modules(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
        elif isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
    return {n for n in names if n == "engine" or n.startswith("engine.")}


def test_the_studio_uses_only_the_engines_public_surface():
    used = {str(p.relative_to(ROOT)): engine_modules(p) - PUBLIC for p in (ROOT / "studio").rglob("*.py")}
    assert {path: names for path, names in used.items() if names} == {}


def test_no_studio_module_or_test_is_over_350_lines():
    files = [*(ROOT / "studio").rglob("*.py"), *(ROOT / "tests" / "studio").glob("*.py"),
             *(ROOT / "tests" / "reliability").glob("*.py")]
    long = {str(p.relative_to(ROOT)): n for p in files if (n := len(p.read_text().splitlines())) > MAX_LINES}
    assert long == {}
