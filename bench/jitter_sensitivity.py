"""How far CLIP's image embedding moves when a scene changes in ways its caption names, or does not, one run.

    python bench/jitter_sensitivity.py [--models default OTHER…] [--scenes 60] [--json out.json]
Single-object scenes on plain backgrounds (rng 1); for each change, the cosine between the normalised z_i of
the changed render and the original's (mean, 10th percentile, least). Named changes: another position, size
or shape. Unnamed (the world's `jitter`): an offset of 0.02 or 0.05 of the picture, a size ×0.9 or ×1.1, a
turn of 5, 10 or 20 degrees. A CLIP that leaves unnamed detail free keeps those near 1; the decoder then
has something to vary in the paper's variations (same z_i, new noise). What it must still hold, the named
detail, is read as the eval reads it: retrieval top-1 among 100 held-out captions and shape zero-shot among 8
captions (its own draws, rng 2, so comparable between the models of one run, not with the eval's table).
The prior is read the same way: its ẑ_i for each of those 100 captions (seed 0) should lie closest to the z_i
of its own scene's render (prior top-1), a check of a prior trained beside a new CLIP before any decoder is.
"""
from __future__ import annotations

import argparse
import json
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from engine import load_bundle  # noqa: E402
from engine.pipeline import run_embedding  # noqa: E402
from engine.requests import TextToImage  # noqa: E402
from engine.training.clip_rows import (render_embeddings, retrieval_top1, shape_zero_shot,  # noqa: E402
                                       top1_by_caption)
from engine.training.prompts import prompt_of, single_object_prompts  # noqa: E402
from engine.training.world import sample_scene  # noqa: E402

CHANGES = {
    "named: another position": lambda t: replace(t, position="left" if t.position != "left" else "right"),
    "named: another size": lambda t: replace(t, size="medium" if t.size != "medium" else "large"),
    "named: another shape": lambda t: replace(t, shape="circle" if t.shape != "circle" else "square"),
    "unnamed: offset 0.02 right": lambda t: replace(t, dx=0.02),
    "unnamed: offset 0.02 down": lambda t: replace(t, dy=0.02),
    "unnamed: offset 0.05 right": lambda t: replace(t, dx=0.05),
    "unnamed: size x0.9": lambda t: replace(t, scale=0.9),
    "unnamed: size x1.1": lambda t: replace(t, scale=1.1),
    "unnamed: turn 5 deg": lambda t: replace(t, angle=5.0),
    "unnamed: turn 10 deg": lambda t: replace(t, angle=10.0),
    "unnamed: turn 20 deg": lambda t: replace(t, angle=20.0),
}


def cosines(model, base) -> dict[str, dict[str, float]]:
    """Per change: the cosine of the changed render's z_i to the original's (mean, 10th percentile, least)."""
    z, table = render_embeddings(model, base), {}
    for name, change in CHANGES.items():
        c = (render_embeddings(model, [replace(s, things=(change(s.things[0]),)) for s in base]) * z).sum(-1)
        table[name] = {"mean": float(c.mean()), "p10": float(c.quantile(0.1)), "least": float(c.min())}
    return table


def prior_top1(model, rng: np.random.Generator, n: int) -> float:
    """How often the prior's ẑ_i for a held-out caption (seed 0) is closest to its own scene's render's z_i."""
    scenes = single_object_prompts(rng, n, ("small", "medium", "large"))
    captions = [prompt_of(s) for s in scenes]
    z_hat = F.normalize(torch.cat([run_embedding(model, TextToImage(c)) for c in captions]).float(), dim=-1)
    return top1_by_caption(z_hat, render_embeddings(model, scenes), captions)  # the render each ẑ_i is closest to


def main() -> None:
    """Print and optionally save each model's cosine table, retrieval and zero-shot."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--models", nargs="+", default=["default"])
    ap.add_argument("--scenes", type=int, default=60)
    ap.add_argument("--json")
    args = ap.parse_args()
    rng = np.random.default_rng(1)
    base = []
    while len(base) < args.scenes:
        s = sample_scene(rng)
        if len(s.things) == 1 and s.background == "solid":
            base.append(s)
    out = {}
    for spec in args.models:
        model = load_bundle(spec)
        with torch.inference_mode():
            named = {"retrieval top-1": retrieval_top1(model, np.random.default_rng(2), 100),
                     "shape zero-shot": shape_zero_shot(model, np.random.default_rng(2), 100),
                     "prior top-1": prior_top1(model, np.random.default_rng(2), 100)}
            out[spec] = {"cosine to the original": cosines(model, base), **named}
        print(f"== {spec}: retrieval top-1 {named['retrieval top-1']:.0%}, shape zero-shot "
              f"{named['shape zero-shot']:.0%}, prior top-1 {named['prior top-1']:.0%}; "
              f"cosine of z_i to the original's ({len(base)} scenes)")
        print(f"{'change':30s} {'mean':>7s} {'p10':>7s} {'least':>7s}")
        for name, c in out[spec]["cosine to the original"].items():
            print(f"{name:30s} {c['mean']:7.4f} {c['p10']:7.4f} {c['least']:7.4f}")
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
