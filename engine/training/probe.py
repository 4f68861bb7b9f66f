"""A probe classifier trained on renders: it judges generated images by the world's own attributes."""
from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from .world import BACKGROUNDS, COLORS, SHAPES, Scene, render, sample_scene

COLOR_NAMES = list(COLORS)
PAIRS = len(SHAPES) * len(COLORS)  # one logit per (shape, colour) present in the picture


def pair_index(shape: str, color: str) -> int:
    return SHAPES.index(shape) * len(COLORS) + COLOR_NAMES.index(color)


def pair_of(index: int) -> tuple[str, str]:
    return SHAPES[index // len(COLORS)], COLOR_NAMES[index % len(COLORS)]


class Probe(nn.Module):
    """A small CNN on 64 px images: (shape, colour) pairs present, background colour and kind."""

    def __init__(self) -> None:
        super().__init__()
        chans = [3, 32, 64, 128, 128]
        self.features = nn.Sequential(*[layer for a, b in zip(chans, chans[1:]) for layer in (
            nn.Conv2d(a, b, 3, padding=1), nn.BatchNorm2d(b), nn.ReLU(), nn.MaxPool2d(2))])
        self.pairs = nn.Linear(128 * 16, PAIRS)
        self.bg_color = nn.Linear(128 * 16, len(COLORS))
        self.bg_kind = nn.Linear(128 * 16, len(BACKGROUNDS))

    def embed(self, x: torch.Tensor) -> torch.Tensor:
        """(B, 3, 64, 64) in [-1, 1] → (B, 2048) features (also used for the Fréchet distance)."""
        return self.features(x).flatten(1)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        h = self.embed(x)
        return self.pairs(h), self.bg_color(h), self.bg_kind(h)


def targets(scenes: list[Scene]) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    pairs = torch.zeros(len(scenes), PAIRS)
    for i, s in enumerate(scenes):
        for t in s.things:
            pairs[i, pair_index(t.shape, t.color)] = 1
    bg = torch.tensor([COLOR_NAMES.index(s.colors[0]) for s in scenes])
    kind = torch.tensor([BACKGROUNDS.index(s.background) for s in scenes])
    return pairs, bg, kind


def batch(rng: np.random.Generator, n: int, max_things: int = 3) -> tuple[list[Scene], torch.Tensor]:
    scenes = [sample_scene(rng, max_things) for _ in range(n)]
    pixels = torch.from_numpy(np.stack([render(s, 64) for s in scenes])).permute(0, 3, 1, 2).float() / 127.5 - 1
    return scenes, pixels


def train_probe(steps: int, seed: int, batch_size: int = 64) -> Probe:
    """Train on fresh renders for `steps` steps (deterministic from `seed`)."""
    torch.manual_seed(seed)
    rng, probe = np.random.default_rng(seed), Probe()
    opt = torch.optim.AdamW(probe.parameters(), lr=2e-3, weight_decay=1e-4)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=2e-3, total_steps=steps)
    probe.train()
    for _ in range(steps):
        scenes, x = batch(rng, batch_size)
        pairs, bg, kind = targets(scenes)
        p, c, k = probe(x)
        loss = F.binary_cross_entropy_with_logits(p, pairs) * 10 + F.cross_entropy(c, bg) + F.cross_entropy(k, kind)
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
    return probe.eval()


@torch.no_grad()
def read(probe: Probe, images: torch.Tensor, objects: int = 1) -> list[dict]:
    """What the probe sees in each image (B, 3, H, W) in [-1, 1]: the top `objects` pairs and the background."""
    x = F.interpolate(images.float(), size=(64, 64), mode="area") if images.shape[-1] != 64 else images.float()
    p, c, k = probe(x)
    out = []
    for i in range(x.shape[0]):
        top = p[i].topk(objects).indices.tolist()
        out.append({"pairs": {pair_of(j) for j in top}, "bg_color": COLOR_NAMES[int(c[i].argmax())],
                    "bg_kind": BACKGROUNDS[int(k[i].argmax())]})
    return out


def held_out_accuracy(probe: Probe, seed: int, n: int = 500) -> dict[str, float]:
    """Per-attribute accuracy on renders the probe never saw (single objects, and object pairs)."""
    rng = np.random.default_rng(seed + 10_000)
    singles, x1 = batch(rng, n, max_things=1)
    seen = read(probe, x1)
    res = {
        "shape": np.mean([next(iter(v["pairs"]))[0] == s.things[0].shape for v, s in zip(seen, singles)]),
        "colour": np.mean([next(iter(v["pairs"]))[1] == s.things[0].color for v, s in zip(seen, singles)]),
        "background colour": np.mean([v["bg_color"] == s.colors[0] for v, s in zip(seen, singles)]),
        "background kind": np.mean([v["bg_kind"] == s.background for v, s in zip(seen, singles)]),
    }
    pairs = [sample_scene(rng, 3) for _ in range(n * 3)]
    pairs = [s for s in pairs if len(s.things) == 2][: n // 2]
    x2 = torch.from_numpy(np.stack([render(s, 64) for s in pairs])).permute(0, 3, 1, 2).float() / 127.5 - 1
    seen2 = read(probe, x2, objects=2)
    res["two objects (both pairs)"] = np.mean([v["pairs"] == {(t.shape, t.color) for t in s.things}
                                              for v, s in zip(seen2, pairs)])
    return {k: float(v) for k, v in res.items()}
