"""Choosing the decoder candidates' accept cosine: fidelity, freedom and cost of each threshold, one run.

    python bench/accept_cosine.py [--streams 2 3] [--bases 5000 9000] [--sources 24] [--candidates 6]
                                  [--layout 0.25] [--accept 0.985 0.99 0.993 0.995] [--json out.json]
For each stream (rng seed of single-object sources the eval never reads: it reads seeds 0 and 1), three variations
of each source draw `--candidates` decoder images at 64 px (the engine's noise per draw, seeds base + 10 i + j for
variation j of source i; the default bases are the model card's calibration run); CLIP's cosine of each draw to the
source's z_i, the eval's probe verdict (shape and colour kept) and the object's place and size are recorded once,
then every rule is replayed on them: the closest of all draws, and for each threshold the first draw that reaches it
(else the closest). `--layout` and `--candidates` default to the studio's Free layout (`FREE_LAYOUT`). Reported per
rule over all streams: kept, pairs moved or resized (the eval's measure), decoder runs; how often any of the draws
keeps shape and colour (the bound on every rule); and how often one draw keeps them, by the source's shape (where the
decoder is weak). `--json` also keeps every draw's record, to replay other rules without drawing again.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from engine import Settings, Stage, load_bundle, resolve_settings  # noqa: E402
from engine.events import drain  # noqa: E402
from engine.diffusion.noise import PerImageNoise  # noqa: E402
from engine.requests import FREE_LAYOUT  # noqa: E402
from engine.stages.decoder import decode  # noqa: E402
from engine.training.judging import moved_or_resized, object_geometry  # noqa: E402
from engine.training.prompts import single_object_prompts  # noqa: E402
from engine.training.probe import read, train_probe  # noqa: E402
from engine.training.world import render  # noqa: E402


@torch.inference_mode()
def draws(model, probe, stream: int, base: int, n: int, k: int, layout: float) -> list[dict]:
    """Per variation: each draw's cosine to z_i, probe verdict and object geometry."""
    c = model.config.decoder
    settings = resolve_settings(model, Settings(layout_guidance=layout, size=c.size))
    out = []
    for i, sc in enumerate(single_object_prompts(np.random.default_rng(stream), n, ("medium", "large"))):
        z_i = model.clip.encode_image(model.clip.image_pixels([Image.fromarray(render(sc, 256))])).float()
        z_i = z_i.expand(3, -1).clone()  # (3, D): three variations
        empty = model.clip.encode_text([""] * 3)
        seeds = [base + 10 * i + j for j in range(3)]
        want = (sc.things[0].shape, sc.things[0].color)
        cos, kept, geometry = [], [], []
        for d in range(k):
            stage = Stage.decoder(c.size, d)
            x = drain(decode(model.decoder, model.conditioning, model.process(stage.component), z_i, empty, empty,
                             PerImageNoise(seeds, stage.noise_name), c.size, settings))  # (3, 3, 64, 64) in [-1, 1]
            e = model.clip.encode_image(model.clip.tensor_pixels(x)).float()
            cos.append(F.cosine_similarity(e, z_i, dim=-1).tolist())
            kept.append([next(iter(v["pairs"])) == want for v in read(probe, x)])
            geometry.append(object_geometry(x))
        print(f"\r  stream {stream}: {i + 1}/{n}", end="", file=sys.stderr)
        out += [{"cos": [cos[d][j] for d in range(k)], "kept": [kept[d][j] for d in range(k)],
                 "geometry": [geometry[d][j] for d in range(k)], "shape": want[0]} for j in range(3)]
    print(file=sys.stderr)
    return out


def replay(variations: list[dict], accept: float) -> dict:
    """Each variation's pick under one rule (first draw ≥ accept, else the closest), summarised."""
    picks, runs = [], []
    for v in variations:
        first = next((d for d, c in enumerate(v["cos"]) if c >= accept), None)
        picks.append(first if first is not None else int(np.argmax(v["cos"])))
        runs.append(first + 1 if first is not None else len(v["cos"]))
    moved = [moved_or_resized(variations[s + a]["geometry"][picks[s + a]], variations[s + b]["geometry"][picks[s + b]])
             for s in range(0, len(variations), 3) for a, b in ((0, 1), (0, 2), (1, 2))]
    return {"kept": float(np.mean([v["kept"][p] for v, p in zip(variations, picks)])),
            "moved": float(np.mean(moved)), "runs": float(np.mean(runs))}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="default")
    parser.add_argument("--streams", type=int, nargs="+", default=[2, 3])
    parser.add_argument("--bases", type=int, nargs="+", default=[5000, 9000], help="noise seed base per stream")
    parser.add_argument("--sources", type=int, default=24)
    parser.add_argument("--candidates", type=int, default=FREE_LAYOUT.decoder_candidates)
    parser.add_argument("--layout", type=float, default=FREE_LAYOUT.layout_guidance)
    parser.add_argument("--accept", type=float, nargs="+", default=[0.985, 0.99, 0.993, 0.995])
    parser.add_argument("--probe-cache", default="runs/probe")
    parser.add_argument("--json")
    args = parser.parse_args()
    model = load_bundle(args.model)
    probe = train_probe(2500, 0, cache=Path(args.probe_cache) if args.probe_cache else None)
    if len(args.bases) != len(args.streams):
        parser.error("give one --bases value per stream")
    variations = [v for s, base in zip(args.streams, args.bases)
                  for v in draws(model, probe, s, base, args.sources, args.candidates, args.layout)]
    rules = [("closest of all", 2.0)] + [(f"first ≥ {a:g}", a) for a in args.accept]
    print(f"streams {args.streams}, {args.sources} sources × 3 variations each, up to {args.candidates} draws, "
          f"layout guidance {args.layout:g}, 64 px")
    print("| rule | keep shape and colour | moved or resized (pairs) | decoder runs |\n|---|---|---|---|")
    rows = []
    for name, accept in rules:
        rows.append({"rule": name, **replay(variations, accept)})
        print(f"| {name} | {100 * rows[-1]['kept']:.1f}% | {100 * rows[-1]['moved']:.1f}% | {rows[-1]['runs']:.2f} |")
    oracle = float(np.mean([any(v["kept"]) for v in variations]))  # the judge's own pick: no rule can do better
    print(f"| any draw keeps (the probe picks; a bound, not a rule) | {100 * oracle:.1f}% | – | {args.candidates} |")
    shapes = sorted({v["shape"] for v in variations})
    by_shape = {s: float(np.mean([k for v in variations if v["shape"] == s for k in v["kept"]])) for s in shapes}
    print("each draw keeps shape and colour, by shape: " + ", ".join(
        f"{s} {100 * r:.0f}% ({sum(len(v['kept']) for v in variations if v['shape'] == s)})"
        for s, r in sorted(by_shape.items(), key=lambda kv: kv[1])))
    if args.json:
        Path(args.json).write_text(json.dumps({"args": vars(args), "rows": rows, "any_draw_keeps": oracle,
                                               "draw_keep_by_shape": by_shape, "draws": variations}, indent=2) + "\n")


if __name__ == "__main__":
    main()
