"""The everyday world's eval rows: the thing drawn right (per category), composed prompts, variations keeping it.

Each is judged by the thing probe (everyday_probe.py, gated on clean renders) and, for places and backgrounds, by
what stands out from an image's border colour (judging.object_geometry); images are read at 64 px.
"""
from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from ..errors import UserError
from ..model import UnCLIP
from ..requests import ImageVariation, Settings, TextToImage
from .atlas import load as load_atlas
from .chain_rows import run_requests
from .clip_rows import render_embeddings, text_embeddings
from .everyday import single_things
from .everyday_probe import GATE, ThingProbe, held_out_top1, logits, train_thing_probe
from .judging import border_median, object_geometry
from .world import COLORS, POSITIONS, Item, Scene, render

PLACES = ("left", "right", "top", "bottom")  # a composed prompt's places: one step from the centre


def everyday_table(model: UnCLIP, seed: int, probe_cache: Path | None, seeds: int = 2, variations: int = 3,
                   composed_every: int = 1) -> dict:
    """Every everyday row at 64 px for a bundle whose vocabulary names things, judged by a probe on those things;
    `seeds` renders a thing, `variations` a source, composed prompts for every `composed_every`-th thing."""
    nouns = tuple(model.vocabulary.groups.get("thing", ())) if model.vocabulary else ()
    if not nouns:
        raise UserError(f"{model.model_id}: its vocabulary names no things; the everyday rows judge things")
    probe = judge(nouns, seed, probe_cache)
    gate = held_out_top1(probe, seed, workers=1)
    table = {"thing probe (held-out clean renders, gate 95%)": gate}
    if gate < GATE:
        return table
    s = Settings(size=64)
    return {**table, **clip_row(model, nouns, seed),
            **thing_rows(model, probe, nouns, tuple(range(seed, seed + seeds)), s),
            **composed_rows(model, probe, nouns[::composed_every], seed, s),
            **variation_rows(model, probe, nouns, tuple(range(seed, seed + variations)), s)}


def judge(nouns: tuple[str, ...], seed: int, cache: Path | None) -> ThingProbe:
    """The rows' thing probe: 2,000 steps on 20,000 clean renders from `seed`, loaded from `cache` if trained there."""
    return train_thing_probe(nouns, steps=2000, seed=seed, scenes=20_000, cache=cache, workers=1)


def named(noun: str) -> str:
    """The noun with the article captions put before it: "a cat", "an apple", "some grapes"."""
    return f"{load_atlas().entry(noun).article} {noun}"


def top(probe: ThingProbe, images: torch.Tensor, k: int = 1) -> list[set[str]]:
    """The probe's k likeliest nouns for each image (B, 3, H, W) in [-1, 1]."""
    best = logits(probe, images).topk(k, 1).indices
    return [{probe.nouns[int(i)] for i in row} for row in best]


def clip_row(model: UnCLIP, nouns: tuple[str, ...], seed: int, per_thing: int = 10) -> dict:
    """CLIP alone: how often a render of one thing (anywhere, any size, any background) is closest to its own
    caption ("a cat") among the things' captions: what the decoder's z_i can tell apart."""
    scenes = single_things(np.random.default_rng(seed), per_thing * len(nouns), nouns)
    z_i, z_t = render_embeddings(model, scenes), text_embeddings(model, [named(n) for n in nouns])  # (N, D), (K, D)
    best = (z_i @ z_t.T).argmax(1)
    return {"CLIP names the thing (render → its caption)": float(np.mean(
        [nouns[int(k)] == sc.things[0].noun for k, sc in zip(best, scenes)]))}


def thing_rows(model: UnCLIP, probe: ThingProbe, nouns: tuple[str, ...], seeds: tuple[int, ...],
               s: Settings) -> dict:
    """ "a cat" for every noun and seed: how often the probe names the thing asked for, overall and by category."""
    requests = [TextToImage(named(n), seeds=(seed,), settings=s) for n in nouns for seed in seeds]
    seen = top(probe, run_requests(model, requests, "things"))
    truth = [n for n in nouns for _ in seeds]
    by_category: dict[str, list[bool]] = defaultdict(list)
    for noun, read in zip(truth, seen):
        by_category[load_atlas().entry(noun).category].append(noun in read)
    right = [r for rows in by_category.values() for r in rows]
    return {"thing drawn right (top-1)": float(np.mean(right)),
            "thing drawn right by category": {c: float(np.mean(v)) for c, v in sorted(by_category.items())}}


def composed_rows(model: UnCLIP, probe: ThingProbe, nouns: tuple[str, ...], seed: int, s: Settings) -> dict:
    """Thing + place ("a cat on the left"), thing + background ("a cat on a blue background"), and two things
    ("a cat and an apple": both among the probe's two likeliest)."""
    rng = np.random.default_rng(seed)
    atlas, colours = load_atlas(), [c for c in COLORS if c not in ("white", "black")]
    places = [str(rng.choice(PLACES)) for _ in nouns]
    backgrounds = [str(rng.choice([c for c in colours if c != atlas.entry(n).color])) for n in nouns]
    partners = [str(rng.choice([m for m in nouns if m != n])) for n in nouns]
    at = run_requests(model, [TextToImage(f"{named(n)} on the {p}", (seed,), s) for n, p in zip(nouns, places)],
                      "thing + place")
    on = run_requests(model, [TextToImage(f"{named(n)} on a {b} background", (seed,), s)
                              for n, b in zip(nouns, backgrounds)], "thing + background")
    pair = run_requests(model, [TextToImage(f"{named(n)} and {named(m)}", (seed,), s)
                                for n, m in zip(nouns, partners)], "two things")
    thing_at = [n in r for n, r in zip(nouns, top(probe, at))]
    placed = [where(g) == p for g, p in zip(object_geometry(at), places)]
    thing_on = [n in r for n, r in zip(nouns, top(probe, on))]
    coloured = [border_colour(x) == b for x, b in zip(on, backgrounds)]
    both = [{n, m} <= r for n, m, r in zip(nouns, partners, top(probe, pair, 2))]
    return {"thing + place": {"thing right": float(np.mean(thing_at)), "place right": float(np.mean(placed)),
                              "both right": float(np.mean([a and b for a, b in zip(thing_at, placed)]))},
            "thing + background": {"thing right": float(np.mean(thing_on)),
                                   "background right": float(np.mean(coloured)),
                                   "both right": float(np.mean([a and b for a, b in zip(thing_on, coloured)]))},
            "two things: both among the probe's top 2": float(np.mean(both))}


def variation_rows(model: UnCLIP, probe: ThingProbe, nouns: tuple[str, ...], seeds: tuple[int, ...],
                   s: Settings) -> dict:
    """Variations of a clean render of each thing (centred, medium, on a solid background not its colour): how
    often the probe names the source's thing in a variation."""
    atlas, kept = load_atlas(), []
    for noun in nouns:
        bg = next(c for c in ("white", "cyan", "yellow") if c != atlas.entry(noun).color)
        source = Image.fromarray(render(Scene((Item(noun, "medium", "centre"),), "solid", (bg, "white")), 64))
        images = run_requests(model, [ImageVariation(source, seeds, s)], f"variations of {noun}")
        kept += [noun in r for r in top(probe, images)]
    return {"variations keep the thing": float(np.mean(kept))}


def where(geometry: tuple[float, float, float]) -> str:
    """The place (of PLACES and the centre) nearest an object's centre; geometry = (area, row, column) on 64 px."""
    _, row, col = geometry
    names = ("centre",) + PLACES
    return min(names, key=lambda p: (POSITIONS[p][0] * 64 - col) ** 2 + (POSITIONS[p][1] * 64 - row) ** 2)


def border_colour(image: torch.Tensor) -> str:
    """The world colour nearest the median of an image's outer two pixels; image (3, H, W) in [-1, 1]."""
    rgb = ((border_median(image[None].float())[0] + 1) * 127.5).numpy()
    return min(COLORS, key=lambda c: float(((np.array(COLORS[c]) - rgb) ** 2).sum()))
