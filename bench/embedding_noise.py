"""Which attributes survive Gaussian noise on z_i: an MLP read-out trained on noised CLIP image embeddings.

    python bench/embedding_noise.py [--space standardised|whitened] [--scenes 16000] [--steps 3000]
Noise augmentation of the decoder's z_i (Stable unCLIP) only helps variations if the attributes a variation
must keep (shape, colour) outlive the ones it may change (size, position, background). This trains one MLP on
z_s = √ᾱ·u + √(1−ᾱ)·ε (u: z_i standardised per dimension, or whitened; ᾱ uniform in [0.02, 1], given to the
MLP) to read every attribute of single-object scenes, then reports its held-out accuracy at fixed ᾱ.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from engine import load_bundle  # noqa: E402
from engine.training.data import rendered  # noqa: E402
from engine.training.world import BACKGROUNDS, COLORS, POSITIONS, SHAPES, SIZES, sample_scene  # noqa: E402

ATTRIBUTES = {  # name: (label of a scene's only object or background, classes)
    "shape": (lambda s: SHAPES.index(s.things[0].shape), len(SHAPES)),
    "colour": (lambda s: list(COLORS).index(s.things[0].color), len(COLORS)),
    "size": (lambda s: list(SIZES).index(s.things[0].size), len(SIZES)),
    "position": (lambda s: list(POSITIONS).index(s.things[0].position), len(POSITIONS)),
    "background kind": (lambda s: BACKGROUNDS.index(s.background), len(BACKGROUNDS)),
    "background colour": (lambda s: list(COLORS).index(s.colors[0]), len(COLORS)),
}


@torch.no_grad()
def embeddings(n: int, seed: int) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """z_i (N, D) of n single-object renders and their labels."""
    model = load_bundle("default")
    rng = np.random.default_rng(seed)
    scenes = [sample_scene(rng, max_things=1) for _ in range(n)]
    size = model.config.clip.image_size
    z = torch.cat([model.clip.encode_image(model.clip.tensor_pixels(rendered(scenes[i:i + 500], size)))
                   for i in range(0, n, 500)]).float()
    return z, {k: torch.tensor([f(s) for s in scenes]) for k, (f, _) in ATTRIBUTES.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--space", choices=("standardised", "whitened"), default="standardised")
    parser.add_argument("--scenes", type=int, default=16_000)
    parser.add_argument("--steps", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=5)
    args = parser.parse_args()
    torch.manual_seed(0)
    z, y = embeddings(args.scenes, args.seed)
    train = slice(0, args.scenes * 7 // 8)
    held = slice(train.stop, args.scenes)
    mu, sd = z[train].mean(0), z[train].std(0)
    if args.space == "standardised":
        u = (z - mu) / sd
    else:
        evals, evecs = torch.linalg.eigh(torch.cov((z[train] - mu).T))
        u = (z - mu) @ (evecs / evals.clamp(min=1e-8).sqrt())
    widths = [c for _, c in ATTRIBUTES.values()]
    net = nn.Sequential(nn.Linear(u.shape[1] + 1, 512), nn.SiLU(), nn.Linear(512, 512), nn.SiLU(),
                        nn.Linear(512, sum(widths)))
    opt = torch.optim.AdamW(net.parameters(), 2e-3)

    def read(x: torch.Tensor, abar: torch.Tensor, g: torch.Generator | None = None) -> dict[str, torch.Tensor]:
        noised = abar[:, None].sqrt() * x + (1 - abar[:, None]).sqrt() * torch.randn(x.shape, generator=g)
        return dict(zip(ATTRIBUTES, net(torch.cat([noised, abar[:, None]], 1)).split(widths, dim=1)))

    for _ in range(args.steps):
        idx = torch.randint(train.stop, (256,))
        out = read(u[idx], torch.rand(256).clamp(0.02, 1))
        loss = sum(F.cross_entropy(out[k], y[k][idx]) for k in ATTRIBUTES)
        opt.zero_grad()
        loss.backward()
        opt.step()
    print(f"z_i {args.space}; MLP read-out on {train.stop} scenes, {args.steps} steps; held-out accuracy:")
    print("| ᾱ | " + " | ".join(ATTRIBUTES) + " |")
    print("|---" * (len(ATTRIBUTES) + 1) + "|")
    with torch.no_grad():
        for abar in (1.0, 0.9, 0.7, 0.5, 0.3, 0.15, 0.05):
            n = held.stop - held.start
            out = read(u[held], torch.full((n,), abar), torch.Generator().manual_seed(2))
            accs = [(out[k].argmax(1) == y[k][held]).float().mean().item() for k in ATTRIBUTES]
            print(f"| {abar:g} | " + " | ".join(f"{100 * a:.1f}%" for a in accs) + " |")


if __name__ == "__main__":
    main()
