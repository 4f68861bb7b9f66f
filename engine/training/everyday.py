"""The everyday world: the shapes world's scenes with everyday things from the emoji atlas among the shapes.

`World("shapes")` is the world the shipped bundle learned (world.py's sampler, unchanged for every seed);
`World("everyday")` draws each object as a thing from the atlas with chance ITEM_SHARE, else as a shape, with the
same counts (1–3), positions, size names, backgrounds and jitter, except that two or three objects never stand
on neighbouring places (a thing is 24–40 px wide, a shape 13–33). Captions compose as before: "a cat on the left
on a blue background", "a red apple and a yellow star". A thing is never tinted: its colour is the drawing's, and
a caption names it only where the atlas holds a true colour word for the drawing (half of those captions do).
A scene never holds one thing twice, nor a thing on a solid background of its own colour word.
Rendering, captions and CLIP twins are world.py's (they dispatch on `Item`), so the training code takes these
scenes as they are.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .atlas import load as load_atlas
from .data import SceneSet, cached_set, jitter_tag
from .world import (BACKGROUNDS, COLORS, ITEM_SIZES, POSITIONS, SHAPES, Item, Scene, Thing, caption,
                    centred_scenes, jittered, render, sample_scene, twin)

WORLDS = ("shapes", "everyday")
ITEM_SHARE = 0.75  # everyday world: the chance that an object is a thing rather than a shape


def sample_everyday(rng: np.random.Generator, max_things: int = 3, jitter: bool = False,
                    nouns: tuple[str, ...] | None = None, item_share: float = ITEM_SHARE) -> Scene:
    """A random everyday scene: sample_scene's draws, each object a thing from `nouns` (default: the whole
    atlas) with chance `item_share`, else a shape."""
    atlas = load_atlas()
    nouns = atlas.nouns if nouns is None else nouns
    kind = BACKGROUNDS[rng.choice(len(BACKGROUNDS), p=(0.55, 0.15, 0.15, 0.15))]
    names = list(COLORS)
    bg = tuple(rng.choice(names, 2, replace=False))
    shown = bg[: 1 if kind == "solid" else 2]
    counts = np.array((0.6, 0.3, 0.1)[:max_things])
    n = int(rng.choice(np.arange(1, max_things + 1), p=counts / counts.sum()))
    places = ["centre"] if n == 1 and rng.random() < 0.5 else _apart(rng, n)
    things: list[Thing | Item] = []
    for place in places:
        size = str(rng.choice(["small", "medium", "large"] if n == 1 else ["small", "medium"]))
        if rng.random() < item_share:
            used = {t.noun for t in things if isinstance(t, Item)}
            pool = [w for w in nouns if w not in used and atlas.entry(w).color not in shown]
            if pool:  # (empty only for a few nouns, all of the background's colour: a shape stands in)
                things.append(Item(str(rng.choice(pool)), size, str(place)))
                continue
        color = rng.choice([c for c in names if c not in shown])
        things.append(Thing(str(rng.choice(SHAPES)), str(color), size, str(place)))
    scene = Scene(tuple(things), kind, (str(bg[0]), str(bg[1])))
    return jittered(scene, rng) if jitter else scene


RING = ("top left", "top", "top right", "right", "bottom right", "bottom", "bottom left", "left")  # around the centre


def spread_nouns(count: int) -> tuple[str, ...]:
    """`count` atlas nouns evenly spread through the atlas (so over its categories, in their shares)."""
    nouns = load_atlas().nouns
    return tuple(nouns[round(i * len(nouns) / count)] for i in range(count))


def _apart(rng: np.random.Generator, n: int) -> list[str]:
    """`n` distinct places other than the centre, no two neighbours on the RING (things 24–31 px wide would
    cover each other 16 px apart); drawn again until they are."""
    while True:
        picked = sorted(int(i) for i in rng.choice(len(RING), n, replace=False))
        gaps = [(b - a) % len(RING) for a, b in zip(picked, picked[1:] + picked[:1])]
        if n == 1 or min(gaps) > 1:
            return [RING[i] for i in rng.permutation(picked)]


def centred_everyday(nouns: tuple[str, ...] | None = None, jitter_seed: int | None = None) -> list[Scene]:
    """Every thing at the centre, medium or large, on each solid background but its own colour's (about 20 a
    thing); with `jitter_seed`, each carries unnamed jitter drawn from that seed."""
    atlas = load_atlas()
    scenes = [Scene((Item(noun, size, "centre"),), "solid", (bg, "white"))
              for noun in (atlas.nouns if nouns is None else nouns) for size in ("medium", "large")
              for bg in COLORS if bg != atlas.entry(noun).color]
    if jitter_seed is None:
        return scenes
    rng = np.random.default_rng(jitter_seed)
    return [jittered(s, rng) for s in scenes]


def single_things(rng: np.random.Generator, n: int, nouns: tuple[str, ...] | None = None,
                  jitter: bool = True) -> list[Scene]:
    """`n` scenes of one thing each, uniform over `nouns`: any of the nine places, any size (24–40 px at 64 px),
    on a plain background of any colour but its own (the pilot's and the probe's world; jittered by default)."""
    atlas = load_atlas()
    nouns = atlas.nouns if nouns is None else nouns
    scenes = []
    for _ in range(n):
        noun = str(rng.choice(nouns))
        bg = str(rng.choice([c for c in COLORS if c != atlas.entry(noun).color]))
        item = Item(noun, str(rng.choice(list(ITEM_SIZES))), str(rng.choice(list(POSITIONS))))
        scene = Scene((item,), "solid", (bg, "white"))
        scenes.append(jittered(scene, rng) if jitter else scene)
    return scenes


@dataclass(frozen=True)
class World:
    """One of WORLDS: how its scenes are drawn; their captions, renders and twins are world.py's for both."""

    name: str = "shapes"
    nouns: tuple[str, ...] | None = None  # everyday: the things it draws (None: the whole atlas)

    def __post_init__(self) -> None:
        if self.name not in WORLDS:
            raise ValueError(f"world {self.name!r}: one of {', '.join(WORLDS)}")

    def sample(self, rng: np.random.Generator, max_things: int = 3, jitter: bool = False) -> Scene:
        if self.name == "shapes":
            return sample_scene(rng, max_things, jitter)
        return sample_everyday(rng, max_things, jitter, self.nouns)

    def centred(self, jitter_seed: int | None = None) -> list[Scene]:
        """The world's single centred objects on plain backgrounds (a curriculum's first segment)."""
        return centred_scenes(jitter_seed) if self.name == "shapes" else centred_everyday(self.nouns, jitter_seed)

    caption = staticmethod(caption)
    render = staticmethod(render)
    twin = staticmethod(twin)


def everyday_set(count: int, size: int, seed: int, cache: Path | None = None, jitter: bool = False,
                 nouns: tuple[str, ...] | None = None, centred: bool = False) -> SceneSet:
    """`count` everyday scenes from `seed` (`centred`: every centred single thing instead), rendered at `size` px;
    cached as .npy under a name that holds the atlas's tag (and the nouns', when a subset is drawn)."""
    world = World("everyday", nouns)
    if centred:
        scenes, name = world.centred(seed if jitter else None), "everyday-centred" + (f"-{seed}" if jitter else "")
    else:
        rng = np.random.default_rng(seed)
        scenes, name = [world.sample(rng, jitter=jitter) for _ in range(count)], f"everyday-{seed}-{count}"
    subset = "" if nouns is None else f"-n{len(nouns)}-{hash_words(nouns):08x}"
    name = f"{name}-{load_atlas().tag}{subset}" + (f"-{jitter_tag()}" if jitter else "")
    return cached_set(scenes, size, cache / f"{name}-{size}.npy" if cache else None)


def hash_words(words: tuple[str, ...]) -> int:
    """A stable 32-bit hash of a word list (Python's hash() of str changes per process)."""
    h = 2166136261
    for byte in "\n".join(words).encode():
        h = ((h ^ byte) * 16777619) % 2**32
    return h


def named_objects(text: str) -> list[str]:
    """The objects a caption names, in order: a thing's noun ("cat", also when "red apple" says its colour),
    a shape as "colour shape" ("red star"). Longest names match first ("teddy bear" is not a bear)."""
    atlas = load_atlas()
    names = sorted([*atlas.nouns, *(f"{c} {s}" for c in COLORS for s in SHAPES)], key=len, reverse=True)
    pattern = re.compile(r"\b(" + "|".join(re.escape(n) for n in names) + r")\b")
    return [m.group(1) for m in pattern.finditer(text)]


def objects_of(scene: Scene) -> list[str]:
    """What named_objects should read from any caption of the scene, in the scene's order."""
    return [t.noun if isinstance(t, Item) else f"{t.color} {t.shape}" for t in scene.things]
