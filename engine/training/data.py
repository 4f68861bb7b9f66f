"""Training data from the world: a cache of scenes rendered at the decoder's size, and on-the-fly crops."""
from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from .world import JITTER, Scene, caption, centred_scenes, render, sample_scene


def to_unit(pixels: torch.Tensor) -> torch.Tensor:
    """uint8 pixels [0, 255] → float32 in [-1, 1], same shape."""
    return pixels.float() / 127.5 - 1


def nchw(images: list[np.ndarray]) -> torch.Tensor:
    """(H, W, 3) uint8 arrays → one (N, 3, H, W) uint8 tensor."""
    return torch.from_numpy(np.stack(images)).permute(0, 3, 1, 2).contiguous()


POOL_FROM = 2000  # scenes: fewer render in this process (a worker pool costs about a second to start)


def render_all(scenes: list[Scene], size: int, workers: int | None = None) -> list[np.ndarray]:
    """Each scene rendered anti-aliased at `size` px, (size, size, 3) uint8, in order; the same bytes in one process
    or, for many scenes, in a pool of `workers` forked processes (default: one per core; forked, so that no caller
    needs a `__main__` guard; where fork is missing, one process)."""
    workers = workers or os.cpu_count() or 1
    if workers < 2 or len(scenes) < POOL_FROM or "fork" not in multiprocessing.get_all_start_methods():
        return [render(s, size) for s in scenes]
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork")) as pool:
        return list(pool.map(partial(render, size=size), scenes, chunksize=max(1, len(scenes) // (8 * workers))))


def rendered(scenes: list[Scene], size: int) -> torch.Tensor:
    """Scenes rendered anti-aliased at `size` px: (N, 3, size, size) float32 in [-1, 1]."""
    return to_unit(nchw(render_all(scenes, size)))


@dataclass
class SceneSet:
    """N scenes with their renders at `size` px: (N, 3, size, size) uint8."""

    scenes: list[Scene]
    pixels: torch.Tensor
    weights: torch.Tensor | None = None  # (N,) chance of drawing each scene; None: uniform

    def draw(self, batch: int, g: torch.Generator) -> torch.Tensor:
        """`batch` scene indices (B,) int64, drawn with replacement by `weights`."""
        if self.weights is None:
            return torch.randint(len(self.scenes), (batch,), generator=g)
        return torch.multinomial(self.weights, batch, replacement=True, generator=g)

    def captions(self, index: torch.Tensor, rng: np.random.Generator) -> list[str]:
        """A freshly phrased caption for each indexed scene."""
        return [caption(self.scenes[int(i)], rng) for i in index]

    def images(self, index: torch.Tensor) -> torch.Tensor:
        """Renders in [-1, 1], float32 (B, 3, size, size), on the device that holds the pixels."""
        return to_unit(self.pixels[index.to(self.pixels.device)])

    def to(self, device: torch.device | str) -> SceneSet:
        """The same scenes with their pixels on `device` (a training loop's batches then stay there)."""
        return SceneSet(self.scenes, self.pixels.to(device), self.weights)


MIXED_CENTRED_SHARE = 0.25  # world "mixed": this share of draws come from the centred single objects
FAVOURED = 2.0  # a favoured shape's scenes are drawn this many times as often


def scene_set(count: int, size: int, seed: int, cache: Path | None = None, world: str = "full",
              favour: str | None = None, jitter: bool = False) -> SceneSet:
    """`count` scenes from `seed` (world "centred": all of its scenes), rendered anti-aliased; cached as .npy.

    World "mixed": the full world's `count` scenes and the centred ones, a quarter of draws from the latter.
    `favour`: scenes holding that shape are drawn FAVOURED times as often. `jitter`: every scene carries
    unnamed jitter (offsets, sizes, turns, pattern phase) drawn from `seed` after its named scene.
    """
    if world == "mixed":
        full = scene_set(count, size, seed, cache, jitter=jitter)
        centred = scene_set(count, size, seed, cache, "centred", jitter=jitter)
        share = MIXED_CENTRED_SHARE
        weights = torch.cat([torch.full((count,), (1 - share) / count),
                             torch.full((len(centred.scenes),), share / len(centred.scenes))])
        data = SceneSet(full.scenes + centred.scenes, torch.cat([full.pixels, centred.pixels]), weights)
    else:
        data = _rendered_set(count, size, seed, cache, world, jitter)
    return data if favour is None else favoured(data, favour)


def favoured(data: SceneSet, shape: str) -> SceneSet:
    """The same scenes, those holding `shape` drawn FAVOURED times as often as before."""
    base = data.weights if data.weights is not None else torch.full((len(data.scenes),), 1 / len(data.scenes))
    boost = torch.tensor([FAVOURED if any(t.shape == shape for t in s.things) else 1.0 for s in data.scenes])
    return SceneSet(data.scenes, data.pixels, base * boost / (base * boost).sum())


def jitter_tag() -> str:
    """A cache name's mark of the jitter's bounds (percent of the picture, of r, degrees, percent of the stripes'
    period): j5-12-10-20."""
    return f"j{100 * JITTER['offset']:g}-{100 * JITTER['scale']:g}-{JITTER['angle']:g}-{100 * JITTER['stripes']:g}"


def _rendered_set(count: int, size: int, seed: int, cache: Path | None, world: str, jitter: bool) -> SceneSet:
    """One world's scenes and renders (uniform draws), from the cache when it holds them."""
    if world == "centred":
        scenes, name = centred_scenes(seed if jitter else None), f"centred-{seed}" if jitter else "centred"
    else:
        rng = np.random.default_rng(seed)
        scenes, name = [sample_scene(rng, jitter=jitter) for _ in range(count)], f"scenes-{seed}-{count}"
    name = f"{name}-{jitter_tag()}" if jitter else name
    return cached_set(scenes, size, cache / f"{name}-{size}.npy" if cache else None)


def cached_set(scenes: list[Scene], size: int, path: Path | None) -> SceneSet:
    """The scenes with their renders at `size` px: read from the .npy `path` when it is there, else drawn (and
    saved there)."""
    if path is not None and path.is_file():
        pixels = np.load(path)  # (N, 3, S, S) uint8
    else:
        pixels = np.stack(render_all(scenes, size)).transpose(0, 3, 1, 2)
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            np.save(path, pixels)
    return SceneSet(scenes, torch.from_numpy(np.ascontiguousarray(pixels)))


def upsampler_batch(rng: np.random.Generator, batch: int, out_size: int, crop: int = 64,
                    factor: int = 4) -> tuple[torch.Tensor, torch.Tensor]:
    """Random crops for a ×`factor` upsampler to `out_size` px (paper: train on crops, run on whole images).

    Returns (target (B, 3, crop, crop), low-res conditioning bicubic-upsampled to crop size), both in [-1, 1].
    The low-res crop is rendered at 1/factor of the size and blurred a little, as the paper degrades it.
    """
    targets, lows = [], []
    cells = out_size // crop
    for _ in range(batch):
        scene = sample_scene(rng)
        cx, cy = rng.integers(0, cells, 2)
        window = (cx / cells, cy / cells, (cx + 1) / cells, (cy + 1) / cells)
        targets.append(render(scene, crop, window, supersample=2 if out_size > 256 else 4))
        lows.append(render(scene, crop // factor, window))
    target, low = to_unit(nchw(targets)), to_unit(nchw(lows))
    sigma = float(rng.uniform(0, 0.6))
    if sigma > 0.05:
        k = torch.arange(-2, 3, dtype=torch.float32)
        w = torch.exp(-k**2 / (2 * sigma**2))
        w = (w / w.sum())
        low = F.conv2d(F.pad(low, (2, 2, 2, 2), mode="replicate"), w.view(1, 1, 1, 5).repeat(3, 1, 1, 1), groups=3)
        low = F.conv2d(low, w.view(1, 1, 5, 1).repeat(3, 1, 1, 1), groups=3)
    up = F.interpolate(low, size=(crop, crop), mode="bicubic", align_corners=False, antialias=True).clamp(-1, 1)
    return target, up
