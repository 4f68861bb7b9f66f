"""Memory layout of the UNets on this CPU: contiguous (NCHW) against channels-last (NHWC), one run.

    python bench/cpu_layout.py [--model default] [--repeats 3]
Prints the best-of-N 256 px text→image time for each layout and their ratio.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from cpu_default import first_preview_and_total  # noqa: E402 - the same timed run as the other CPU bench
from engine import load_bundle  # noqa: E402
from engine.nn.unet import UNet  # noqa: E402


def t2i(model) -> float:
    return first_preview_and_total(model, 256)[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="default")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    model = load_bundle(args.model)  # loads channels-last
    t2i(model)
    times = {}
    for layout in ("channels_last", "contiguous", "channels_last", "contiguous"):
        fmt = torch.channels_last if layout == "channels_last" else torch.contiguous_format
        for module in model.modules().values():
            if isinstance(module, UNet):
                module.to(memory_format=fmt)
        times[layout] = min([times.get(layout, 1e9)] + [t2i(model) for _ in range(args.repeats)])
    print(f"| layout | 256 px text→image s |\n|---|---|\n| contiguous | {times['contiguous']:.2f} |\n"
          f"| channels_last | {times['channels_last']:.2f} |\n\nchannels-last speed-up: "
          f"{times['contiguous'] / times['channels_last']:.2f}×  (torch threads {torch.get_num_threads()})")


if __name__ == "__main__":
    main()
