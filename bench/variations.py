"""Variations' fidelity against their freedom, one run: the decoder's layout guidance swept on the same sources.

    python bench/variations.py [--sources 24] [--layout 3 1 0.65 0.5 0.25] [--candidates 1] [--accept 1]
                               [--layout-from 0.9] [--json out.json]
For each layout guidance (decoder guidance on the steps t ≥ layout-from · T; the bundle's decoder guidance after),
three variations of each source render at 256 px from the same seeds (the first row, by default, is the
decoder's own guidance throughout: the paper's variations); the eval's probe reads whether each keeps
the source's shape and colour; the mean pairwise RMS pixel distance, and how often a pair's object moved or
resized (the eval's measure), say how much the three differ. With --candidates K, each variation is the first
of up to K decoder draws whose CLIP cosine to the source's z_i reaches --accept (default: the model's), else
the closest; --accept 1 keeps the best of all K.
Sources are medium and large single objects drawn from --seed's stream (the eval's second variation row: seed 1).
"""
from __future__ import annotations

import argparse
import json
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from engine import Settings, load_bundle  # noqa: E402
from engine.training.chain_rows import variations  # noqa: E402
from engine.training.prompts import single_object_prompts  # noqa: E402
from engine.training.probe import train_probe  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="default")
    parser.add_argument("--sources", type=int, default=24)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--layout", type=float, nargs="+", help="default: the decoder's guidance, 1, 0.65, 0.5, 0.25")
    parser.add_argument("--candidates", type=int, default=1)
    parser.add_argument("--accept", type=float, help="accept cosine; default: the model's")
    parser.add_argument("--layout-from", type=float, default=Settings().layout_from)
    parser.add_argument("--probe-cache", default="runs/probe")
    parser.add_argument("--json")
    args = parser.parse_args()
    model = load_bundle(args.model)
    probe = train_probe(2500, 0, cache=Path(args.probe_cache) if args.probe_cache else None)
    layouts = args.layout or [model.config.decoder.guidance, 1.0, 0.65, 0.5, 0.25]
    sources = single_object_prompts(np.random.default_rng(args.seed), args.sources, ("medium", "large"))
    rows = []
    print(f"{len(sources)} sources × 3 variations, 256 px, decoder guidance {model.config.decoder.guidance:g}, "
          f"layout steps t ≥ {args.layout_from:g} T, up to {args.candidates} decoder draws")
    accept = model.config.decoder.accept_cosine if args.accept is None else args.accept
    if args.candidates > 1:
        print(f"accepted at CLIP cosine {accept:g} to z_i")
    print("| layout guidance | keep shape and colour | differ (RMS) | moved or resized (pairs) | decoder runs |\n"
          "|---|---|---|---|---|")
    for layout in layouts:
        got = variations(model, probe, sources, 1000, replace(
            Settings(size=256, layout_from=args.layout_from), layout_guidance=layout, decoder_candidates=args.candidates, accept_cosine=accept))
        rows.append({"layout_guidance": layout, **{k: float(np.mean(v)) for k, v in got.items()}})
        print(f"| {layout:g} | {100 * rows[-1]['kept']:.1f}% | {100 * rows[-1]['spread']:.1f}% | "
              f"{100 * rows[-1]['moved']:.1f}% | {rows[-1]['draws']:.2f} |", flush=True)
    if args.json:
        record = {"layout_from": args.layout_from, "candidates": args.candidates, "accept": accept, "rows": rows}
        Path(args.json).write_text(json.dumps(record, indent=2) + "\n")


if __name__ == "__main__":
    main()
