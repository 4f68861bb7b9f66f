"""Sampling settings against the everyday row "thing drawn right": one render of "a ⟨thing⟩" a thing, judged by the
eval's cached thing probe, for each setting in one run.

    python bench/everyday_settings.py [--model everyday] [--seed 0] [--threads 1] '{}' '{"decoder_guidance": 6}' …

Each argument is a JSON object of `engine.requests.Settings` fields ({} = the bundle's defaults) at 64 px; the probe
is the one `python main.py eval --rows everyday` trains (cached in runs/probe). Prints one row a setting: the share
drawn right, the things drawn right and the seconds it took.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from engine.families import load_bundle  # noqa: E402
from engine.requests import Settings  # noqa: E402
from engine.training.everyday_rows import judge, thing_rows  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("settings", nargs="+", help="JSON objects of Settings fields; {} = the bundle's defaults")
    parser.add_argument("--model", default="everyday")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--probe-cache", default="runs/probe")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    try:  # bad input fails before any work
        tried = [(text, Settings(size=64, **json.loads(text))) for text in args.settings]
    except (ValueError, TypeError) as e:  # not JSON, a field Settings lacks, or a value out of its range
        parser.error(f"a setting is not a JSON object of Settings fields: {e}")
    model = load_bundle(args.model, torch.device("cpu"), torch.float32)
    nouns = tuple(model.vocabulary.groups["thing"])
    probe = judge(nouns, args.seed, Path(args.probe_cache))
    for text, settings in tried:
        torch.manual_seed(args.seed)
        began = time.perf_counter()
        row = thing_rows(model, probe, nouns, (args.seed,), settings)["thing drawn right (top-1)"]
        print(f"{text:40s} {100 * row:5.1f}%  {round(row * len(nouns)):3d} of {len(nouns)}  "
              f"{time.perf_counter() - began:5.0f} s", flush=True)


if __name__ == "__main__":
    main()
