"""The largest jump between neighbouring frames of a strip: evenly placed frames against refined ones.

    python bench/strip_smoothness.py [--model default] [--frames 9] [--size 64] [--json]

For each pair of prompts below (fixed decoder noise, seed 0), the same number of frames is rendered twice: evenly
along the slerp (`render_strip`), and refined (`engine.refine.render_refined`: the ends, then each frame at the
midpoint of the neighbours that differ most). A jump is the RMS pixel difference (0–1) of two neighbours, read at
64 px. Both plans make exactly `--frames` renders.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from engine import Settings, load_bundle, render_strip  # noqa: E402
from engine.cpu import dtype_named, keep_freed_memory  # noqa: E402
from engine.explore import Source, interpolation  # noqa: E402
from engine.refine import largest_jump, render_refined  # noqa: E402

PAIRS = [("a red circle", "a green square"), ("a small yellow star on the left", "a large blue heart on the right"),
         ("a purple triangle on a white background", "an orange circle on a black background"),
         ("a cyan square", "a red star")]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="default")
    parser.add_argument("--frames", type=int, default=9)
    parser.add_argument("--size", type=int, default=64)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    keep_freed_memory()
    model = load_bundle(args.model, "cpu", dtype_named("auto", "cpu"))
    rows = []
    for a, b in PAIRS:
        strip = interpolation(model, Source(text=a), Source(text=b), args.frames, 0, Settings(size=args.size))
        even = [f.image for f in render_strip(model, strip)]
        refined = render_refined(model, strip, args.frames)
        rows.append({"pair": f"{a} → {b}", "even": largest_jump(even), "refined": largest_jump([f.image for f in refined]),
                     "refined positions": [round(f.record["position"], 4) for f in refined]})
        print(json.dumps(rows[-1]), file=sys.stderr, flush=True)
    mean = lambda k: sum(r[k] for r in rows) / len(rows)  # noqa: E731
    out = {"date": time.strftime("%Y-%m-%d"), "frames": args.frames, "size": args.size, "rows": rows,
           "mean largest jump": {"even": mean("even"), "refined": mean("refined")},
           "ratio refined / even": mean("refined") / mean("even")}
    print(json.dumps(out, indent=1) if args.json else
          f"mean largest jump: even {mean('even'):.4f}, refined {mean('refined'):.4f} "
          f"(×{mean('refined') / mean('even'):.2f})")


if __name__ == "__main__":
    main()
