"""CLIP's training step with its batches drawn in this process or by worker processes, one run: steps a second.

    python bench/clip_training.py [--device cuda] [--batch 512] [--workers 0 4 15] [--steps 100] [--json out.json]
Each row runs the real trainer (`engine.training.stages.train_clip`: twins rendered, captions phrased, both towers
and the optimiser) from the shipped weights for `steps` steps on the jittered world, timed between the loss log's first
record (step 50) and its last, so that start-up, warm-up and the workers' fork are outside it. Ratios are against
the first row.
Alone, `--draw-only` times the batch drawing (what the host must keep up with), not the step.
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from engine import load_bundle  # noqa: E402
from engine.devices import resolve_device  # noqa: E402
from engine.training.data import scene_set  # noqa: E402
from engine.training.recipe import DEFAULT_BUNDLE  # noqa: E402
from engine.training.stages import clip_batches, train_clip  # noqa: E402


def steps_a_second(device: str, batch: int, workers: int, steps: int, data, run_dir: Path) -> float:
    """Training steps a second between the loss log's first and last records (every 50 steps)."""
    if steps < 100:
        raise SystemExit("error: --steps must be at least 100 (the loss log records every 50 steps)")
    model = load_bundle("default").to(device)
    train_clip(model, data, steps, run_dir, batch=batch, workers=workers)
    log = [json.loads(line) for line in (run_dir / "clip.log.jsonl").read_text().splitlines()]
    first, last = log[0], log[-1]
    return (last["step"] - first["step"]) / (last["seconds"] - first["seconds"])


def draws_a_second(batch: int, workers: int, steps: int, data) -> float:
    """Batches a second from the drawing alone, after one batch of warm-up."""
    batches = clip_batches(data, batch // 2, 0, workers, pin=False)
    next(batches)
    start = time.perf_counter()
    for _ in range(steps):
        next(batches)
    return steps / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="auto")
    parser.add_argument("--batch", type=int, default=512)
    parser.add_argument("--workers", type=int, nargs="+", default=[0, 1])
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--scenes", type=int, default=2000)
    parser.add_argument("--draw-only", action="store_true")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    args.device = resolve_device(args.device)
    data = scene_set(args.scenes, DEFAULT_BUNDLE.clip.image_size, seed=0, jitter=True)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for workers in args.workers:
            rate = draws_a_second(args.batch, workers, args.steps, data) if args.draw_only else \
                steps_a_second(args.device, args.batch, workers, args.steps, data, Path(tmp) / str(workers))
            rows.append({"workers": workers, "per_second": round(rate, 2), "ratio": round(rate / (
                rows[0]["per_second"] if rows else rate), 2)})
            print(f"workers {workers:2d}: {rate:7.2f} {'batches drawn' if args.draw_only else 'steps'} a second "
                  f"(batch {args.batch}), ×{rows[-1]['ratio']:.2f}", flush=True)
    if args.json:
        args.json.write_text(json.dumps({"device": args.device, "batch": args.batch, "draw_only": args.draw_only,
                                         "rows": rows}, indent=1))


if __name__ == "__main__":
    main()
