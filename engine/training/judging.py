"""What the evaluation reads from images: the probe's attributes, object geometry, a Fréchet distance, and
the gate the probe must pass before it judges anything."""
from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from .probe import Probe, read
from .world import Scene


def attribute_accuracy(probe: Probe, images: torch.Tensor, scenes: list[Scene]) -> dict[str, float]:
    """How often the probe reads each single-object scene's shape, colour and background in its image (N, 3, H, W)."""
    seen = read(probe, images)
    return {
        "shape": float(np.mean([next(iter(v["pairs"]))[0] == s.things[0].shape for v, s in zip(seen, scenes)])),
        "colour": float(np.mean([next(iter(v["pairs"]))[1] == s.things[0].color for v, s in zip(seen, scenes)])),
        "background": float(np.mean([v["bg_color"] == s.colors[0] for v, s in zip(seen, scenes)])),
    }


def frechet(a: torch.Tensor, b: torch.Tensor) -> float:
    """Fréchet distance between Gaussians fitted to two feature sets (float64)."""
    a, b = a.double(), b.double()
    mu = (a.mean(0) - b.mean(0)).pow(2).sum()
    ca, cb = torch.cov(a.T), torch.cov(b.T)

    def sqrtm(m: torch.Tensor) -> torch.Tensor:
        w, v = torch.linalg.eigh((m + m.T) / 2)
        return (v * w.clamp(min=0).sqrt()) @ v.T

    s = sqrtm(ca)
    return float(mu + torch.trace(ca + cb - 2 * sqrtm(s @ cb @ s)))


def judge_variations(probe: Probe, source: Scene, images: torch.Tensor, out: dict[str, list]) -> None:
    """Append to `out` whether each image (B, 3, H, W) in [-1, 1] keeps the single-object source's shape and colour
    ("kept"), and for each pair its RMS distance (0–1, "spread") and whether its object moved or resized ("moved")."""
    pairs = [(a, b) for a in range(len(images)) for b in range(a + 1, len(images))]
    thing = source.things[0]
    out["kept"] += [next(iter(v["pairs"])) == (thing.shape, thing.color) for v in read(probe, images)]
    flat = (images.flatten(1) + 1) / 2
    out["spread"] += [float((flat[a] - flat[b]).pow(2).mean().sqrt()) for a, b in pairs]
    geometry = object_geometry(images)
    out["moved"] += [moved_or_resized(geometry[a], geometry[b]) for a, b in pairs]


def border_median(x: torch.Tensor) -> torch.Tensor:
    """The per-channel median of each image's outer two pixels on every side: (B, C, H, W) → (B, C)."""
    edge = torch.cat([x[..., :2, :].flatten(2), x[..., -2:, :].flatten(2), x[..., :, :2].flatten(2),
                      x[..., :, -2:].flatten(2)], -1)
    return edge.median(-1).values


def object_geometry(images: torch.Tensor) -> list[tuple[float, float, float]]:
    """(area, centre row, centre column) of what stands out from each image's border colour, on a 64 px grid.

    images (B, 3, H, W) in [-1, 1] with a solid background (the variation sources'); area in pixels of 64².
    """
    x = (F.interpolate(images.float(), size=(64, 64), mode="area") + 1) / 2
    mask = ((x - border_median(x)[..., None, None]).norm(dim=1) > 0.25).float()  # (B, 64, 64)
    rows = torch.arange(64.0)
    area = mask.sum((1, 2)).clamp(min=1)
    return [(float(a), float(r), float(c)) for a, r, c in zip(
        area, (mask.sum(2) * rows).sum(1) / area, (mask.sum(1) * rows).sum(1) / area)]


def moved_or_resized(a: tuple[float, float, float], b: tuple[float, float, float]) -> bool:
    """Visibly different layouts: the centres 4 px apart on the 64 px grid (1/16 of the side), or one area 1.25×."""
    return bool(np.hypot(a[1] - b[1], a[2] - b[2]) >= 4 or max(a[0], b[0]) / min(a[0], b[0]) >= 1.25)


PROBE_GATE = 0.98  # the probe judges nothing until it reads every attribute of held-out renders this well
# (steps, renders) by whether the probe also learns jittered renders. Jittered, 2,500 steps on 24,000 read object
# pairs at 97.6% plain and 94.4% jittered, 5,000 at 98.8 / 96.4%; 8,000 on 48,000 pass (99.6 / 99.2%; 40 CPU min)
PROBE_RECIPE = {False: (2500, 24_000), True: (8000, 48_000)}


def probe_gate(held: dict[str, dict[str, float]]) -> str:
    """"passed", or which attributes of which held-out renders (keyed by the suffix naming them) missed the gate."""
    weak = [f"{k}{suffix}" for suffix, accuracy in held.items() for k, v in accuracy.items() if v < PROBE_GATE]
    return "passed" if not weak else f"FAILED on {', '.join(weak)}: the rows below are not valid judgments"
