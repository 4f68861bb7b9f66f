"""CPU timings of the embedded default: first preview after Generate, 64/256/1024 px text→image.

    python bench/cpu_default.py [--model default] [--repeats 3]
Numbers are the best of `repeats` runs after a warm-up, on this machine's CPU (torch threads as set), with the
runtime `python main.py` sets up: glibc keeping freed memory, and `--dtype auto` (bfloat16 where the CPU has it).
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from engine import Finished, Settings, StepDone, TextToImage, load_bundle, serve  # noqa: E402
from engine.cpu import dtype_named, keep_freed_memory  # noqa: E402

PROMPT = "a large red circle on a blue background"


def first_preview_and_total(model, size: int) -> tuple[float, float]:
    start, first = time.perf_counter(), []

    def on_event(event) -> None:
        if not first and isinstance(event, StepDone) and event.preview is not None:
            first.append(time.perf_counter() - start)

    end = serve(model, TextToImage(PROMPT, seeds=(3,), settings=Settings(size=size)), previews=True, on_event=on_event)
    if not isinstance(end, Finished):
        raise RuntimeError(f"generation failed: {end}")
    return first[0], time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="default")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--dtype", default="auto", choices=("auto", "float32", "bfloat16"))
    args = parser.parse_args()
    kept = keep_freed_memory()
    dtype = dtype_named(args.dtype, "cpu")
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
