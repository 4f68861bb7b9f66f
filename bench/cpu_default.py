"""CPU timings of the embedded default: first preview after Generate, 64/256/1024 px text→image.

    python bench/cpu_default.py [--model default] [--repeats 3]
    python bench/cpu_default.py --compare default everyday [--size 256]
Numbers are the best of `repeats` runs after a warm-up, on this machine's CPU (torch threads as set), with the
runtime `python main.py` sets up: glibc keeping freed memory, and `--dtype auto` (bfloat16 where the CPU has it).
`--compare` times one text→image size for several bundles in one run, every bundle at the first one's sampler and
steps, and gives each total as a ratio to the first's.
"""
from __future__ import annotations

import argparse
import sys
import time
from dataclasses import replace
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from engine import Finished, Settings, StepDone, TextToImage, load_bundle, serve  # noqa: E402
from engine.cpu import dtype_named, keep_freed_memory  # noqa: E402

PROMPT = "a large red circle on a blue background"


def first_preview_and_total(model, size: int, settings: Settings | None = None) -> tuple[float, float]:
    start, first = time.perf_counter(), []

    def on_event(event) -> None:
        if not first and isinstance(event, StepDone) and event.preview is not None:
            first.append(time.perf_counter() - start)

    settings = replace(settings or Settings(), size=size)
    end = serve(model, TextToImage(PROMPT, seeds=(3,), settings=settings), previews=True, on_event=on_event)
    if not isinstance(end, Finished):
        raise RuntimeError(f"generation failed: {end}")
    return first[0], time.perf_counter() - start


def steps_of(model) -> Settings:
    """The bundle's sampler and default steps as explicit settings, so another bundle runs the same."""
    c = model.config
    return Settings(sampler=c.sampler, prior_steps=c.prior.steps if c.prior else None, decoder_steps=c.decoder.steps,
                    upsampler_plan=tuple(u.steps for u in c.upsamplers))


def compare(names: list[str], size: int, repeats: int, dtype: torch.dtype) -> None:
    """Best-of-`repeats` totals at `size` px for each bundle, at the first bundle's steps, as ratios to the first."""
    models = [load_bundle(name, "cpu", dtype) for name in names]
    same = steps_of(models[0])
    print(f"{size} px at {same.sampler}, prior {same.prior_steps}, decoder {same.decoder_steps}, upsamplers "
          f"{list(same.upsampler_plan)} steps")
    totals = []
    for name, model in zip(names, models):
        first_preview_and_total(model, size, same)  # warm-up
        totals.append(min(first_preview_and_total(model, size, same)[1] for _ in range(repeats)))
        print(f"{name:>12} {totals[-1]:8.2f} s  ×{totals[-1] / totals[0]:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="default")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--dtype", default="auto", choices=("auto", "float32", "bfloat16"))
    parser.add_argument("--compare", nargs="+", metavar="MODEL", help="bundles to time against the first")
    parser.add_argument("--size", type=int, default=256, help="--compare: the output size")
    args = parser.parse_args()
    kept = keep_freed_memory()
    dtype = dtype_named(args.dtype, "cpu")
    if args.compare:
        print(f"torch threads: {torch.get_num_threads()}, {str(dtype).removeprefix('torch.')}")
        compare(args.compare, args.size, args.repeats, dtype)
        return
    model = load_bundle(args.model, "cpu", dtype)
    print(f"torch threads: {torch.get_num_threads()}, {str(dtype).removeprefix('torch.')}, "
          f"malloc keeps freed memory: {kept}")
    print(f"{'size':>6} {'first preview s':>16} {'total s':>8}")
    for size in model.config.sizes:
        first_preview_and_total(model, size)  # warm-up
        runs = [first_preview_and_total(model, size) for _ in range(args.repeats if size < 1024 else 1)]
        print(f"{size:>6} {min(r[0] for r in runs):>16.3f} {min(r[1] for r in runs):>8.2f}")


if __name__ == "__main__":
    main()
