"""Architecture guards: the engine never imports Qt; only studio/ knows Qt."""
import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
QT = ("PySide6", "shiboken6", "PyQt5", "PyQt6", "pytestqt")


def test_importing_engine_loads_no_qt():
    code = ("import engine, engine.cli, sys; "
            f"bad = [m for m in sys.modules if m.split('.')[0] in {QT!r}]; assert not bad, bad")
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True)


def imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_only_studio_imports_qt():
    offenders = [str(p.relative_to(ROOT)) for p in list((ROOT / "engine").rglob("*.py")) + [ROOT / "main.py"]
                 if imports(p) & set(QT)]
    assert not offenders


def engine_calls(path: Path) -> set[str]:
    """Names a module takes from the engine that run models: the pipeline and the loader."""
    running = {"generate", "run", "load_bundle", "pipeline"}
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("engine"):
            names |= {a.name for a in node.names} & running
            if node.module.startswith("engine.pipeline"):
                names.add("pipeline")
    return names


def test_worker_is_the_only_bridge():
    """Widgets never run the engine themselves: only studio/worker.py imports the pipeline or loader."""
    users = {p.name for p in (ROOT / "studio").rglob("*.py") if engine_calls(p)}
    assert users == {"worker.py"}


def test_architecture_contracts_hold():
    """The import-linter contracts of pyproject.toml (layers, the studio's surface, no cycles) are kept."""
    done = subprocess.run([str(Path(sys.executable).with_name("lint-imports"))], cwd=ROOT, capture_output=True,
                          text=True)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
