"""The decoder's training step at several batch sizes on one device, one run: ms a step and images a second.

    python bench/decoder_training.py [--device cuda] [--batches 256 512 1024] [--steps 30] [--json out.json]
Each batch runs the real training loop (`engine.training.loop.train`, the decoder's step, optimiser, weight
average and precision) from the shipped weights for `steps` steps on random scenes of the world; the first
third are warm-up, the rest timed with the device settled at both ends. Ratios are against the first batch.
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from engine import load_bundle  # noqa: E402
from engine.devices import resolve_device  # noqa: E402
from engine.training.data import scene_set  # noqa: E402
from engine.training.loop import settled_clock, train  # noqa: E402
from engine.training.recipe import DEFAULT_BUNDLE  # noqa: E402
from engine.training.stages import DECODER_LOOP, decoder_step  # noqa: E402


def seconds_a_step(device: str, batch: int, steps: int, data, run_dir: Path) -> float:
    """Mean wall seconds of the training loop's steps after a third of `steps` of warm-up."""
    model = load_bundle("default").to(device)
    modules, step = decoder_step(model, data, batch)
    marks: dict[int, float] = {}
    first, last = steps // 3, steps - 1

    def timed(i: int) -> torch.Tensor:
        if i in (first, last):
            marks[i] = settled_clock(model.device)
        return step(i)

    train("decoder", modules, timed, steps, run_dir, warmup=1, checkpoint_every=10**9, **DECODER_LOOP)
    return (marks[last] - marks[first]) / (last - first)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="auto")
    parser.add_argument("--batches", type=int, nargs="+", default=[256, 512, 1024])
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--scenes", type=int, default=2000)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    args.device = resolve_device(args.device)
    torch.backends.cudnn.benchmark = args.device.startswith("cuda")
    data = scene_set(args.scenes, DEFAULT_BUNDLE.decoder.size, seed=0)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for batch in args.batches:
            s = seconds_a_step(args.device, batch, args.steps, data, Path(tmp) / str(batch))
            rows.append({"batch": batch, "ms_a_step": round(s * 1000, 1), "images_a_second": round(batch / s)})
    base = rows[0]["images_a_second"]
    for row in rows:
        row["throughput_ratio"] = round(row["images_a_second"] / base, 2)
        print(f"batch {row['batch']:5d}: {row['ms_a_step']:8.1f} ms a step, {row['images_a_second']:6d} images/s, "
              f"×{row['throughput_ratio']:.2f}")
    if args.json:
        args.json.write_text(json.dumps({"device": args.device, "rows": rows}, indent=1))


if __name__ == "__main__":
    main()
