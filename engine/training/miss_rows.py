"""The evaluation's rows for misses inside the vocabulary: an object drawn away from the position its prompt names,
and two-object prompts that lose an object, shape by shape."""
from __future__ import annotations

from collections import deque
from dataclasses import replace

import numpy as np
import torch
import torch.nn.functional as F

from ..model import UnCLIP
from ..requests import Settings, TextToImage
from .chain_rows import run_requests
from .data import rendered
from .probe import Probe, read
from .prompts import COLOR_NAMES
from .world import COLORS, POSITIONS, SHAPES, sample_scene

GRID = 64  # positions are measured on a 64 px grid
NEAR = 40.0  # a pixel is of a colour when that colour is its nearest of the world's and within this RGB distance
# (the default's objects at 64 px: most pixels of a red star lie 15–30 from the world's red, nine in ten within 40)
MIN_FILL = 0.2  # an object's region fills at least this much of its bounding box (a gradient's band along a diagonal
# fills a few hundredths; a star about 0.35)
CENTRE_BAND = 0.125  # within this of the middle is neither side: nearer the middle than the positions at 0.25 / 0.75
_RGB = torch.tensor([COLORS[c] for c in COLOR_NAMES], dtype=torch.float32)  # (10, 3)


def _a(word: str) -> str:
    return "an" if word[0] in "aeiou" else "a"


def largest_component(mask: np.ndarray, min_fill: float = 0.0) -> np.ndarray:
    """The largest 4-connected region of a (H, W) bool mask that fills at least `min_fill` of its bounding box
    (all False if none)."""
    seen, best = np.zeros_like(mask), np.zeros_like(mask)
    h, w = mask.shape
    for start in zip(*np.nonzero(mask)):
        if seen[start]:
            continue
        region, queue = [], deque([start])
        seen[start] = True
        while queue:
            y, x = queue.popleft()
            region.append((y, x))
            for ny, nx in ((y - 1, x), (y + 1, x), (y, x - 1), (y, x + 1)):
                if 0 <= ny < h and 0 <= nx < w and mask[ny, nx] and not seen[ny, nx]:
                    seen[ny, nx] = True
                    queue.append((ny, nx))
        ys, xs = np.array(region).T
        fill = len(region) / ((np.ptp(ys) + 1) * (np.ptp(xs) + 1))
        if len(region) > best.sum() and fill >= min_fill:
            best[:] = False
            best[tuple(np.array(region).T)] = True
    return best


def colour_centres(images: torch.Tensor, colours: list[str], min_area: int = 8) -> list[tuple[float, float] | None]:
    """Where each image shows its colour: the centre (x, y), fractions of the side with y down, of the largest
    region of pixels of `colours[i]` on the 64 px grid; None where it covers fewer than `min_area` pixels.

    images (N, 3, H, W) in [-1, 1], any background: no background of the world has its object's colour, and the
    largest compact region leaves out the stray pixels where a gradient or a pattern's soft edge passes near the colour.
    The one case it cannot tell apart: an orange object on a red and yellow gradient, whose middle lies within 15 of
    orange.
    """
    x = (F.interpolate(images.float(), size=(GRID, GRID), mode="area") + 1) * 127.5  # (N, 3, 64, 64) in [0, 255]
    d = torch.cdist(x.permute(0, 2, 3, 1).reshape(len(x), -1, 3), _RGB.expand(len(x), -1, -1))  # (N, 4096, 10)
    nearest, index = d.min(-1)
    out: list[tuple[float, float] | None] = []
    for i, colour in enumerate(colours):
        mask = ((index[i] == COLOR_NAMES.index(colour)) & (nearest[i] < NEAR)).view(GRID, GRID).numpy()
        region = largest_component(mask, MIN_FILL)
        if region.sum() < min_area:
            out.append(None)
            continue
        rows, cols = np.nonzero(region)
        out.append((float((cols.mean() + 0.5) / GRID), float((rows.mean() + 0.5) / GRID)))
    return out


def on_side(centre: tuple[float, float] | None, position: str) -> bool:
    """Whether a centre lies on the side(s) a position names, beyond CENTRE_BAND of the middle: left of 0.375 for
    "left", above it for "top", both for "top left" (the other axis free); within the band on both axes for
    "centre". An object drawn in the middle is on no side."""
    if centre is None:
        return False
    if position == "centre":
        return all(abs(c - 0.5) < CENTRE_BAND for c in centre)
    return all(c < 0.5 - CENTRE_BAND if p < 0.5 else c > 0.5 + CENTRE_BAND
               for c, p in zip(centre, POSITIONS[position]) if p != 0.5)


def nearest_position(centre: tuple[float, float] | None) -> str | None:
    """The world's named position nearest to a centre."""
    if centre is None:
        return None
    return min(POSITIONS, key=lambda p: np.hypot(POSITIONS[p][0] - centre[0], POSITIONS[p][1] - centre[1]))


def position_judge(seed: int, n: int = 500) -> dict[str, float]:
    """How well `colour_centres` reads positions: on the probe's held-out single-object renders (any background),
    how often the centre it measures is on the named side and at the named place."""
    rng = np.random.default_rng(seed + 10_000)  # the stream of `probe.held_out_accuracy`'s single objects
    scenes = [sample_scene(rng, 1) for _ in range(n)]
    centres = colour_centres(rendered(scenes, GRID), [sc.things[0].color for sc in scenes])
    return {"on the named side": float(np.mean([on_side(c, sc.things[0].position) for c, sc in zip(centres, scenes)])),
            "at the named place": float(np.mean([nearest_position(c) == sc.things[0].position
                                                 for c, sc in zip(centres, scenes)]))}


def position_rows(model: UnCLIP, rng: np.random.Generator, n: int, seed: int, s: Settings) -> dict[str, dict]:
    """"a ⟨colour⟩ ⟨shape⟩ on the ⟨position⟩", `n` prompts per position (shape and colour drawn): how often the
    object of the asked colour has its centre on the asked side, at the asked place (the nearest named position),
    and is found at all, and its centre's mean distance from the middle (a share of the side; 0.25 to 0.35 asked
    away from the centre)."""
    asks = [(str(rng.choice(SHAPES)), str(rng.choice(COLOR_NAMES)), place) for place in POSITIONS for _ in range(n)]
    requests = [TextToImage(f"{_a(c)} {c} {shape} on the {place}", seeds=(seed + i,), settings=s)
                for i, (shape, c, place) in enumerate(asks)]
    centres = colour_centres(run_requests(model, requests, "positions"), [c for _, c, _ in asks])
    rows: dict[str, dict] = {"on the asked side": {}, "at the asked place": {}, "object of its colour found": {},
                             "distance from the middle (mean, share of the side)": {}}
    for place in POSITIONS:
        got = [centre for centre, (_, _, p) in zip(centres, asks) if p == place]
        rows["on the asked side"][place] = float(np.mean([on_side(c, place) for c in got]))
        rows["at the asked place"][place] = float(np.mean([nearest_position(c) == place for c in got]))
        rows["object of its colour found"][place] = float(np.mean([c is not None for c in got]))
        found = [np.hypot(c[0] - 0.5, c[1] - 0.5) for c in got if c is not None]
        rows["distance from the middle (mean, share of the side)"][place] = float(np.mean(found)) if found else 0.0
    return rows


def two_object_rows(model: UnCLIP, probe: Probe, rng: np.random.Generator, n: int, seed: int,
                    s: Settings) -> dict[str, dict]:
    """"a ⟨colour 1⟩ ⟨shape 1⟩ and a ⟨colour 2⟩ ⟨shape 2⟩", `n` prompts per shape (first in half of them, second in
    the rest; the other shape and both colours drawn): how often the probe reads both objects right, and the shape
    itself in its colour."""
    asks = []
    for shape in SHAPES:
        for i in range(n):
            other = str(rng.choice([k for k in SHAPES if k != shape]))
            c1, c2 = (str(c) for c in rng.choice(COLOR_NAMES, 2, replace=False))
            asks.append((shape, ((shape, c1), (other, c2)) if i % 2 == 0 else ((other, c1), (shape, c2))))
    requests = [TextToImage(" and ".join(f"{_a(c)} {c} {k}" for k, c in pair), seeds=(seed + i,), settings=s)
                for i, (_, pair) in enumerate(asks)]
    seen = read(probe, run_requests(model, requests, "two objects by shape"), objects=2)
    rows: dict[str, dict] = {"both objects right": {}, "this shape in its colour": {}}
    for shape in SHAPES:
        got = [(v["pairs"], pair) for v, (k, pair) in zip(seen, asks) if k == shape]
        rows["both objects right"][shape] = float(np.mean([pairs == set(pair) for pairs, pair in got]))
        rows["this shape in its colour"][shape] = float(np.mean(
            [next(p for p in pair if p[0] == shape) in pairs for pairs, pair in got]))
    return rows


def miss_rows(model: UnCLIP, probe: Probe, seed: int, n: int, base: Settings = Settings(),
              checks: int = 500) -> dict[str, dict]:
    """Both miss tables at the decoder's size, from their own random stream (seed + 2), named for the card; first,
    how well positions are read from `checks` held-out renders."""
    s = replace(base, size=model.config.decoder.size)
    rng = np.random.default_rng(seed + 2)
    each = f"{n} prompt{'s' * (n != 1)} each, {s.size} px"
    table = {f"position judge ({checks} held-out renders)": position_judge(seed, checks)}
    table.update({f"position, {name} ({each})": row for name, row in position_rows(model, rng, n, seed, s).items()})
    table.update({f"two objects by shape, {name} ({each})": row
                  for name, row in two_object_rows(model, probe, rng, n, seed, s).items()})
    return table
