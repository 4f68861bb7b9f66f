"""A probe that names the thing in an image of the everyday world: it judges whether a decoder drew it right.

Trained, as probe.py's is for shapes, on clean renders only: one thing from a list of nouns, anywhere, 24–40 px,
on a plain background (everyday.single_things), with a little Gaussian noise so that a sample's grain does not
throw it. It must pass GATE on held-out clean renders before its readings of generated images count.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from .data import nchw, render_all, to_unit
from .everyday import hash_words, single_things

SIZE = 64  # the probe looks at 64 px (other sizes are area-resized to it)
GATE = 0.95  # top-1 on held-out clean renders that a probe must reach before it judges
NOISE = 0.08  # training: the largest std of the Gaussian noise added to a render in [-1, 1]


class ThingProbe(nn.Module):
    """A small CNN on 64 px images, global-average pooled (a thing may stand anywhere): logits over its nouns.

    Its first convolution strides 2 (64 → 32 px), then three blocks pool to 4 px: 0.3 s a batch of 64 on one
    CPU core, a quarter of the shapes probe's layout at full resolution."""

    def __init__(self, nouns: tuple[str, ...]) -> None:
        super().__init__()
        self.nouns = tuple(nouns)
        chans = [32, 64, 128, 256]  # 32 → 16 → 8 → 4 px
        first = [nn.Conv2d(3, chans[0], 3, stride=2, padding=1), nn.BatchNorm2d(chans[0]), nn.ReLU()]
        self.features = nn.Sequential(*first, *[layer for a, b in zip(chans, chans[1:]) for layer in (
            nn.Conv2d(a, b, 3, padding=1), nn.BatchNorm2d(b), nn.ReLU(), nn.MaxPool2d(2))])
        self.head = nn.Linear(chans[-1], len(self.nouns))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(B, 3, 64, 64) in [-1, 1] → (B, len(nouns)) logits."""
        return self.head(self.features(x).mean((2, 3)))


def renders(nouns: tuple[str, ...], n: int, seed: int,
            workers: int | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """`n` single-thing scenes from `seed`: renders (n, 3, 64, 64) uint8 and each one's noun index (n,)
    (`workers`: render_all's processes)."""
    scenes = single_things(np.random.default_rng(seed), n, nouns)
    index = {w: i for i, w in enumerate(nouns)}
    return nchw(render_all(scenes, SIZE, workers)), torch.tensor([index[s.things[0].noun] for s in scenes])


def probe_file(cache: Path, nouns: tuple[str, ...], steps: int, seed: int, scenes: int) -> Path:
    return cache / f"thing-probe-{len(nouns)}-{hash_words(nouns):08x}-{seed}-{steps}-{scenes}.pt"


def train_thing_probe(nouns: tuple[str, ...], steps: int = 2000, seed: int = 0, scenes: int = 20_000,
                      batch: int = 64, cache: Path | None = None, workers: int | None = None) -> ThingProbe:
    """A probe trained for `steps` steps on `scenes` clean renders from `seed` (deterministic on the CPU);
    with `cache`, one trained before with the same arguments is loaded instead."""
    path = probe_file(cache, nouns, steps, seed, scenes) if cache else None
    probe = ThingProbe(nouns)
    if path is not None and path.is_file():
        probe.load_state_dict(torch.load(path, weights_only=True))
        return probe.eval()
    torch.manual_seed(seed)
    pixels, labels = renders(nouns, scenes, seed, workers)
    opt = torch.optim.AdamW(probe.parameters(), lr=2e-3, weight_decay=1e-4)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=2e-3, total_steps=max(steps, 1))
    g = torch.Generator().manual_seed(seed)
    probe.train()
    for _ in range(steps):
        idx = torch.randint(len(labels), (batch,), generator=g)
        x = to_unit(pixels[idx])
        x = x + NOISE * torch.rand(batch, 1, 1, 1, generator=g) * torch.randn(x.shape, generator=g)
        loss = F.cross_entropy(probe(x), labels[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        torch.save(probe.state_dict(), path)
    return probe.eval()


@torch.no_grad()
def logits(probe: ThingProbe, images: torch.Tensor, batch: int = 256) -> torch.Tensor:
    """The probe's logits (B, len(nouns)) for images (B, 3, H, W) in [-1, 1]."""
    x = images.float()
    x = F.interpolate(x, size=(SIZE, SIZE), mode="area") if x.shape[-1] != SIZE else x
    return torch.cat([probe(x[i:i + batch]) for i in range(0, len(x), batch)])


def read_things(probe: ThingProbe, images: torch.Tensor) -> list[str]:
    """The noun the probe reads in each image (B, 3, H, W) in [-1, 1]."""
    return [probe.nouns[int(i)] for i in logits(probe, images).argmax(1)]


def held_out_top1(probe: ThingProbe, seed: int, n: int = 1000, workers: int | None = None) -> float:
    """Top-1 on `n` clean renders that the probe never saw (the gate's measure)."""
    pixels, labels = renders(probe.nouns, n, seed + 10_000, workers)
    seen = read_things(probe, to_unit(pixels))
    return float(np.mean([s == probe.nouns[int(i)] for s, i in zip(seen, labels)]))
