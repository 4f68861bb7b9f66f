"""Variations by SDEdit in CLIP's embedding space (Meng et al. 2022 on z_i): noise the source's z_i to t0 in the
prior's space, let the prior denoise it uncaptioned, then decode the new z_i at the decoder's guidance. One run.

    python bench/prior_renoise.py [--t0 0 200 300 400] [--sources 12] [--seed 1]
Each t0 row: three variations of each source render at 256 px (seeds 1000 + 10 i + j); the eval's probe reads whether
each keeps the source's shape and colour; the mean pairwise RMS pixel distance and the eval's moved-or-resized measure
say how much they differ; "cosine" is the new z_i's to the source's, for the kept and the lost ones.
Sources are medium and large single objects of --seed's stream (bench/variations.py's sources).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from engine import Settings, load_bundle  # noqa: E402
from engine.diffusion.samplers import run_to_end, ddpm  # noqa: E402
from engine.diffusion.schedule import respace  # noqa: E402
from engine.requests import EmbeddingToImage  # noqa: E402
from engine.training.chain_rows import run_requests  # noqa: E402
from engine.training.judging import judge_variations  # noqa: E402
from engine.training.prompts import single_object_prompts  # noqa: E402
from engine.training.probe import train_probe  # noqa: E402
from engine.training.world import render  # noqa: E402


def renoised(model, empty, z_i: torch.Tensor, t0: int, seed: int) -> torch.Tensor:
    """z_i (1, D) noised to the last prior timestep ≤ t0, then denoised by the prior with the empty caption."""
    prior, process = model.prior, model.process("prior")
    g = torch.Generator().manual_seed(seed)
    noise = lambda shape: torch.randn(shape, generator=g)  # noqa: E731
    timesteps = [t for t in respace(model.config.prior.steps, process.schedule.train_steps)[0] if t <= t0]
    x = process.schedule.q_sample(prior.normalise(z_i), timesteps[0], noise(z_i.shape))
    fn = lambda x_t, t: prior(x_t, t, empty.embed, empty.states, empty.mask)  # noqa: E731
    return prior.denormalise(run_to_end(ddpm(fn, x, timesteps, process, noise)))


@torch.no_grad()
def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="default")
    parser.add_argument("--t0", type=int, nargs="+", default=[0, 200, 300, 400])
    parser.add_argument("--sources", type=int, default=12)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--probe-cache", default="runs/probe")
    args = parser.parse_args()
    model = load_bundle(args.model)
    probe = train_probe(2500, 0, cache=Path(args.probe_cache))
    sources = single_object_prompts(np.random.default_rng(args.seed), args.sources, ("medium", "large"))
    empty = model.clip.encode_text([""])
    print("| t0 | keep shape and colour | differ (RMS) | moved or resized (pairs) | cosine to z_i, kept / lost |\n"
          "|---|---|---|---|---|")
    for t0 in args.t0:
        out: dict[str, list] = {"kept": [], "spread": [], "moved": []}
        cos = []
        for i, sc in enumerate(sources):
            z = model.clip.encode_image(model.clip.image_pixels([Image.fromarray(render(sc, 256))])).float()
            seeds = [1000 + 10 * i + j for j in range(3)]
            zs = [z if t0 == 0 else renoised(model, empty, z, t0, s) for s in seeds]
            cos += [float(F.cosine_similarity(v, z)) for v in zs]
            var = run_requests(model, [EmbeddingToImage(v[0], seeds=(s,), settings=Settings(size=256))
                                  for v, s in zip(zs, seeds)], f"t0 {t0}, source {i + 1}")
            judge_variations(probe, sc, var, out)
        k, c = np.array(out["kept"]), np.array(cos)
        lost = f"{c[~k].mean():.3f}" if (~k).any() else "—"
        print(f"| {t0} | {100 * k.mean():.1f}% | {100 * np.mean(out['spread']):.1f}% | "
              f"{100 * np.mean(out['moved']):.1f}% | "
              f"{c[k].mean():.3f} / {lost} |", flush=True)


if __name__ == "__main__":
    main()
