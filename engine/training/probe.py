"""A probe classifier trained on renders: it judges generated images by the world's own attributes."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from .data import jitter_tag, nchw, render_all, to_unit
from .world import BACKGROUNDS, COLORS, POSITIONS, SHAPES, Scene, sample_scene

COLOR_NAMES = list(COLORS)
PLACES = list(POSITIONS)  # the world's nine object positions: one slot each
NONE = len(SHAPES)  # slot shape class for "no object here"
SIZE = 64  # the probe looks at 64 px (generated images are area-resized to it)


class Probe(nn.Module):
    """A small CNN on 64 px images: shapes and colours present, what is in each of the nine places, background."""

    def __init__(self) -> None:
        super().__init__()
        chans = [3, 32, 64, 128, 128]  # 64 → 32 → 16 → 8 → 4 px
        self.features = nn.Sequential(*[layer for a, b in zip(chans, chans[1:]) for layer in (
            nn.Conv2d(a, b, 3, padding=1), nn.BatchNorm2d(b), nn.ReLU(), nn.MaxPool2d(2))])
        width = chans[-1] * 16
        self.heads = nn.ModuleDict({
            "shape": nn.Linear(width, len(SHAPES)), "color": nn.Linear(width, len(COLORS)),
            "slot_shape": nn.Linear(width, len(PLACES) * (len(SHAPES) + 1)),
            "slot_color": nn.Linear(width, len(PLACES) * len(COLORS)),
            "bg_color": nn.Linear(width, len(COLORS)), "bg_kind": nn.Linear(width, len(BACKGROUNDS))})

    def embed(self, x: torch.Tensor) -> torch.Tensor:
        """(B, 3, 64, 64) in [-1, 1] → (B, 2048) features (also used for the Fréchet distance)."""
        return self.features(x).flatten(1)

    def forward(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        h = self.embed(x)
        out = {name: head(h) for name, head in self.heads.items()}
        out["slot_shape"] = out["slot_shape"].view(-1, len(PLACES), len(SHAPES) + 1)  # (B, 9, 9)
        out["slot_color"] = out["slot_color"].view(-1, len(PLACES), len(COLORS))  # (B, 9, 10)
        return out


def targets(scenes: list[Scene]) -> dict[str, torch.Tensor]:
    """Multi-hot shapes and colours; per place the shape (or none) and colour (-100: none); background classes."""
    out = {k: torch.zeros(len(scenes), n) for k, n in (("shape", len(SHAPES)), ("color", len(COLORS)))}
    out["slot_shape"] = torch.full((len(scenes), len(PLACES)), NONE)
    out["slot_color"] = torch.full((len(scenes), len(PLACES)), -100)
    for i, s in enumerate(scenes):
        for t in s.things:
            out["shape"][i, SHAPES.index(t.shape)] = 1
            out["color"][i, COLOR_NAMES.index(t.color)] = 1
            out["slot_shape"][i, PLACES.index(t.position)] = SHAPES.index(t.shape)
            out["slot_color"][i, PLACES.index(t.position)] = COLOR_NAMES.index(t.color)
    out["bg_color"] = torch.tensor([COLOR_NAMES.index(s.colors[0]) for s in scenes])
    out["bg_kind"] = torch.tensor([BACKGROUNDS.index(s.background) for s in scenes])
    return out


def renders(scenes: list[Scene]) -> torch.Tensor:
    """(N, 3, 64, 64) uint8 anti-aliased renders."""
    return nchw(render_all(scenes, SIZE))


def loss(probe: Probe, x: torch.Tensor, y: dict[str, torch.Tensor]) -> torch.Tensor:
    out = probe(x)
    multi = sum(F.binary_cross_entropy_with_logits(out[k], y[k]) for k in ("shape", "color"))
    slots = F.cross_entropy(out["slot_shape"].flatten(0, 1), y["slot_shape"].flatten()) + \
        F.cross_entropy(out["slot_color"].flatten(0, 1), y["slot_color"].flatten(), ignore_index=-100)
    return 10 * multi + slots + F.cross_entropy(out["bg_color"], y["bg_color"]) + \
        F.cross_entropy(out["bg_kind"], y["bg_kind"])


def probe_file(cache: Path, steps: int, seed: int, batch_size: int, scenes: int, jitter: bool, device: str) -> Path:
    """Where a probe trained with these arguments is cached: one trained off the CPU is named by its device type,
    since it is not bit-identical to the CPU's."""
    kind = torch.device(device).type
    tag = (f"-{jitter_tag()}" if jitter else "") + ("" if kind == "cpu" else f"-{kind}")
    return cache / f"probe-{seed}-{steps}-{batch_size}-{scenes}{tag}.pt"


def train_probe(steps: int, seed: int, batch_size: int = 64, scenes: int = 24_000, cache: Path | None = None,
                jitter: bool = False, device: str = "cpu") -> Probe:
    """Train for `steps` steps on `scenes` renders of the world drawn from `seed` (deterministic per device).

    With `jitter`, every other scene carries the world's unnamed jitter, so the probe reads a jitter-trained
    decoder's offsets and turns too. With `cache`, a probe trained before with the same arguments is loaded
    instead (weights only). Trained on `device`, returned on the CPU (where `read` runs).
    """
    path = probe_file(cache, steps, seed, batch_size, scenes, jitter, device) if cache else None
    if path is not None and path.is_file():
        probe = Probe()
        probe.load_state_dict(torch.load(path, weights_only=True))
        return probe.eval()
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    world = [sample_scene(rng, jitter=jitter and i % 2 == 1) for i in range(scenes)]
    pixels, y = renders(world), targets(world)
    probe = Probe().to(device)
    opt = torch.optim.AdamW(probe.parameters(), lr=2e-3, weight_decay=1e-4)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=2e-3, total_steps=max(steps, 1))
    g = torch.Generator().manual_seed(seed)
    probe.train()
    for _ in range(steps):
        idx = torch.randint(len(world), (batch_size,), generator=g)
        value = loss(probe, to_unit(pixels[idx]).to(device), {k: v[idx].to(device) for k, v in y.items()})
        opt.zero_grad()
        value.backward()
        opt.step()
        sched.step()
    probe = probe.cpu()
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        torch.save(probe.state_dict(), path)
    return probe.eval()


@torch.no_grad()
def read(probe: Probe, images: torch.Tensor, objects: int = 1) -> list[dict]:
    """What the probe sees in each image (B, 3, H, W) in [-1, 1].

    One object: the most likely shape and colour; more: (shape, colour) in the `objects` places most likely
    to hold an object.
    """
    x = F.interpolate(images.float(), size=(SIZE, SIZE), mode="area") if images.shape[-1] != SIZE else images.float()
    out = probe(x)
    seen = []
    for i in range(x.shape[0]):
        if objects == 1:
            pairs = {(SHAPES[int(out["shape"][i].argmax())], COLOR_NAMES[int(out["color"][i].argmax())])}
        else:
            filled = 1 - out["slot_shape"][i].softmax(-1)[:, NONE]  # (9,) chance that each place holds an object
            places = filled.topk(objects).indices.tolist()
            pairs = {(SHAPES[int(out["slot_shape"][i, j, :NONE].argmax())],
                      COLOR_NAMES[int(out["slot_color"][i, j].argmax())]) for j in places}
        seen.append({"pairs": pairs, "bg_color": COLOR_NAMES[int(out["bg_color"][i].argmax())],
                     "bg_kind": BACKGROUNDS[int(out["bg_kind"][i].argmax())]})
    return seen


def held_out_accuracy(probe: Probe, seed: int, n: int = 500, jitter: bool = False) -> dict[str, float]:
    """Per-attribute accuracy on renders the probe never saw (single objects, and object pairs), jittered or not."""
    rng = np.random.default_rng(seed + 10_000)
    singles = [sample_scene(rng, 1, jitter=jitter) for _ in range(n)]
    seen = read(probe, to_unit(renders(singles)))
    res = {
        "shape": np.mean([next(iter(v["pairs"]))[0] == s.things[0].shape for v, s in zip(seen, singles)]),
        "colour": np.mean([next(iter(v["pairs"]))[1] == s.things[0].color for v, s in zip(seen, singles)]),
        "background colour": np.mean([v["bg_color"] == s.colors[0] for v, s in zip(seen, singles)]),
        "background kind": np.mean([v["bg_kind"] == s.background for v, s in zip(seen, singles)]),
    }
    pairs = [sample_scene(rng, 3, jitter=jitter) for _ in range(n * 3)]
    pairs = [s for s in pairs if len(s.things) == 2][: n // 2]
    seen2 = read(probe, to_unit(renders(pairs)), objects=2)
    res["two objects (both pairs)"] = np.mean([v["pairs"] == {(t.shape, t.color) for t in s.things}
                                              for v, s in zip(seen2, pairs)])
    return {k: float(v) for k, v in res.items()}
