"""How fast the command line answers what needs no model, against `python -c "import torch"`, in one run.

    python bench/cli_latency.py [--root CHECKOUT ...] [--repeats 3] [--json FILE]

Each case runs `python main.py …` as a fresh process from each --root (default: this checkout); the table gives
the best wall time of --repeats and its ratio to importing torch alone, measured in the same run.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def cases(tmp: Path) -> dict[str, list[str]]:
    bad = tmp / "notes.png"
    bad.write_text("not an image")
    return {
        "--help": ["--help"],
        "unknown command": ["frobnicate"],
        "bad --count": ["generate", "x", "--count", "0"],
        "bad --out extension": ["generate", "x", "--out", str(tmp / "x.avi")],
        "missing --out folder": ["generate", "x", "--out", str(tmp / "missing" / "dir" / "a.png")],
        "vary a missing file": ["vary", str(tmp / "missing.png")],
        "info on a non-image": ["info", str(bad)],
    }


def best(command: list[str], cwd: Path, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        subprocess.run(command, cwd=cwd, capture_output=True, timeout=300)
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", action="append", type=Path, help="a checkout to measure (repeatable)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--json")
    args = parser.parse_args()
    roots = args.root or [ROOT]
    with tempfile.TemporaryDirectory() as tmp:
        torch_s = best([sys.executable, "-c", "import torch"], Path(tmp), args.repeats)
    rows = {}
    for root in roots:  # a fresh folder each: an older checkout may create what a case names
        with tempfile.TemporaryDirectory() as tmp:
            rows[str(root)] = {name: best([sys.executable, str(root / "main.py"), *argv], Path(tmp), args.repeats)
                               for name, argv in cases(Path(tmp)).items()}
    print(f"python -c 'import torch': {torch_s:.2f} s\n")
    print("| case | " + " | ".join(Path(r).name or r for r in rows) + " |\n|---|" + "---|" * len(rows))
    for name in next(iter(rows.values())):
        print(f"| {name} | " + " | ".join(f"{rows[r][name]:.2f} s ({rows[r][name] / torch_s:.2f}×)" for r in rows)
              + " |")
    if args.json:
        Path(args.json).write_text(json.dumps({"import_torch_s": torch_s, "rows": rows}, indent=2) + "\n")


if __name__ == "__main__":
    main()
