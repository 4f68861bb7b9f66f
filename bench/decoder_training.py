"""The decoder's training step at several batch sizes and precisions on one device, one run: ms a step, images a second.

    python bench/decoder_training.py [--device cuda] [--batches 256 512 1024] [--steps 30] [--json out.json]
        [--recipe everyday] [--precisions bfloat16 float32] [--threads 1]
Each row runs the real training loop (`engine.training.loop.train`, the decoder's step, optimiser and weight
average) from the recipe's starting weights (the shipped default's; the everyday recipe's folded decoder afresh)
for `steps` steps on random scenes of the world, under bfloat16 autocast or in float32; the first third are
warm-up, the rest timed with the device settled at both ends. Ratios are against the first row.
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
from engine.training.command import initial_bundle  # noqa: E402
from engine.training.recipe import RECIPES  # noqa: E402
from engine.training.stages import DECODER_LOOP, decoder_step  # noqa: E402


def seconds_a_step(device: str, batch: int, steps: int, data, run_dir: Path, recipe: str = "shapes",
                   bf16: bool = True) -> float:
    """Mean wall seconds of the training loop's steps after a third of `steps` of warm-up."""
    model = (load_bundle("default") if recipe == "shapes" else initial_bundle("default", RECIPES[recipe])).to(device)
    modules, step = decoder_step(model, data, batch)
    marks: dict[int, float] = {}
    first, last = steps // 3, steps - 1

    def timed(i: int) -> torch.Tensor:
        if i in (first, last):
            marks[i] = settled_clock(model.device)
        return step(i)

    loop = {**DECODER_LOOP, "bf16": bf16}
    train("decoder", modules, timed, steps, run_dir, warmup=1, checkpoint_every=10**9, **loop)
    return (marks[last] - marks[first]) / (last - first)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="auto")
    parser.add_argument("--batches", type=int, nargs="+", default=[256, 512, 1024])
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--scenes", type=int, default=2000)
    parser.add_argument("--recipe", choices=tuple(RECIPES), default="shapes")
    parser.add_argument("--precisions", nargs="+", choices=("bfloat16", "float32"), default=["bfloat16"])
    parser.add_argument("--threads", type=int, help="torch threads (default: torch's own)")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    args.device = resolve_device(args.device)
    torch.backends.cudnn.benchmark = args.device.startswith("cuda")
    data = scene_set(args.scenes, RECIPES[args.recipe].bundle.decoder.size, seed=0)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for batch in args.batches:
            for precision in args.precisions:
                s = seconds_a_step(args.device, batch, args.steps, data, Path(tmp) / f"{batch}-{precision}",
                                   args.recipe, precision == "bfloat16")
                rows.append({"batch": batch, "precision": precision, "ms_a_step": round(s * 1000, 1),
                             "images_a_second": round(batch / s, 1), "rate": batch / s})
    base = rows[0]["rate"]
    for row in rows:
        row["throughput_ratio"] = round(row.pop("rate") / base, 2)
        print(f"batch {row['batch']:5d} {row['precision']:>8}: {row['ms_a_step']:8.1f} ms a step, "
              f"{row['images_a_second']:7.1f} images/s, ×{row['throughput_ratio']:.2f}")
    if args.json:
        args.json.write_text(json.dumps({"device": args.device, "recipe": args.recipe,
                                         "cpu_capability": torch.backends.cpu.get_cpu_capability(),
                                         "threads": torch.get_num_threads(), "rows": rows}, indent=1))


if __name__ == "__main__":
    main()
