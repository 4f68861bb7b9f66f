"""The live decoder beside the full decoder: the eval's 64 px rows, and the engine's time per image.

    python bench/live_rows.py [--model default] [--prompts 48] [--json]

Judged by the eval's probe (runs/probe cache, seed 0) on the eval's single-object scenes (medium and large):

- decoder alone: each render's own z_i and caption → 64 px, full decoder (the bundle's sampler, steps, guidance)
  against the live decoder (one pass, the bundle's decoder guidance);
- text → image at 64 px: the prior's z_i (the bundle's sampling), then the full decoder against the live one;
- variations of the scene's 256 px render at 64 px (3 seeds): full against live.

`ms` are engine-only milliseconds per image, median over the decoder-alone row, torch threads as set.
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from PIL import Image  # noqa: E402

from engine import EmbeddingToImage, ImageVariation, Settings, TextToImage, live_preview, load_bundle, run  # noqa: E402
from engine.cpu import dtype_named, keep_freed_memory  # noqa: E402
from engine.training.clip_rows import render_z_i  # noqa: E402
from engine.training.judging import PROBE_RECIPE, attribute_accuracy, judge_variations  # noqa: E402
from engine.training.probe import train_probe  # noqa: E402
from engine.training.prompts import prompt_of, single_object_prompts  # noqa: E402
from engine.training.world import render  # noqa: E402


def images(model, requests, live: bool) -> tuple[torch.Tensor, list[float]]:
    """Each request's 64 px image(s) (N, 3, 64, 64) in [-1, 1], full or live, and the ms each took."""
    out, ms = [], []
    for request in requests:
        start = time.perf_counter()
        pixels = live_preview(model, request) if live else np.stack([im.image for im in run(model, request)])
        ms.append((time.perf_counter() - start) * 1000 / len(request.seeds))
        out.append(torch.from_numpy(pixels).permute(0, 3, 1, 2).float() / 127.5 - 1)
    return torch.cat(out), ms


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="default")
    parser.add_argument("--prompts", type=int, default=48)
    parser.add_argument("--probe-cache", default="runs/probe")
    parser.add_argument("--threads", type=int)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    keep_freed_memory()
    model = load_bundle(args.model, "cpu", dtype_named("auto", "cpu"))
    if model.live is None:
        sys.exit(f"{args.model} has no live decoder (no live_decoder/ in its folder)")
    steps, scenes = PROBE_RECIPE[False]  # the eval's probe, from its cache
    probe = train_probe(steps, 0, scenes=scenes, cache=Path(args.probe_cache))
    scenes = single_object_prompts(np.random.default_rng(0), args.prompts, ("medium", "large"))
    s64 = Settings(size=model.config.decoder.size)  # the decoder's own size: 64 px on the default
    alone = [EmbeddingToImage(z, (i,), s64, prompt=prompt_of(sc)) for i, (z, sc) in
             enumerate(zip(render_z_i(model, scenes), scenes))]
    texts = [TextToImage(prompt_of(sc), (i,), s64) for i, sc in enumerate(scenes)]
    sources = scenes[: max(1, args.prompts // 4)]
    variations = [ImageVariation(Image.fromarray(render(sc, 256)), (10 * i, 10 * i + 1, 10 * i + 2), s64)
                  for i, sc in enumerate(sources)]
    table: dict = {"model": f"{model.config.name} ({model.fingerprint})", "date": time.strftime("%Y-%m-%d"),
                   "torch_threads": torch.get_num_threads(), "prompts": args.prompts}
    for name, live in (("full", False), ("live", True)):
        got, ms = images(model, alone, live)
        row = {"decoder alone": attribute_accuracy(probe, got, scenes), "ms": statistics.median(ms)}
        row["text → image"] = attribute_accuracy(probe, images(model, texts, live)[0], scenes)
        kept: dict[str, list] = {"kept": [], "spread": [], "moved": [], "draws": []}
        for sc, request in zip(sources, variations):
            judge_variations(probe, sc, images(model, [request], live)[0], kept)
        row["variations keep shape and colour"] = float(np.mean(kept["kept"]))
        table[name] = row
        print(name, json.dumps(row), file=sys.stderr, flush=True)
    table["speed-up (full ms / live ms)"] = table["full"]["ms"] / table["live"]["ms"]
    print(json.dumps(table, indent=1) if args.json else json.dumps(table))


if __name__ == "__main__":
    main()
