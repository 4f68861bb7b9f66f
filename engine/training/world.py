"""A procedural, captioned world: 1–3 coloured shapes on solid, gradient or patterned backgrounds.

A scene may also hold everyday things from the emoji atlas (`Item`, see atlas.py; the everyday world of
everyday.py samples them): drawn as they are, never tinted, named by their noun and, where the atlas gives the
drawing a true colour word, half of the time by it too ("a red apple"). Shapes-only scenes render, caption and
twin exactly as they always have.

Scenes live in continuous coordinates ([0, 1]², y down), so any window renders at any size:
the whole picture at 64 px for the decoder, or a 64 px crop of the 1024 px picture for an upsampler.
Rendering is anti-aliased by supersampling; everything is deterministic from a seed.
A scene may also carry unnamed jitter (an offset within its named position, a size within ±12% of its named
one, a turn, the background pattern's phase): what a caption does not say, so that an image embedding
has something to leave free (paper §3.1: variations keep what z_i holds and vary the rest).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np
from PIL import Image, ImageDraw

from .atlas import load as load_atlas

SHAPES = ("circle", "square", "triangle", "star", "heart", "ring", "cross", "diamond")
COLORS = {
    "red": (220, 40, 40), "orange": (245, 140, 30), "yellow": (245, 220, 40), "green": (40, 170, 60),
    "cyan": (40, 200, 220), "blue": (40, 70, 220), "purple": (140, 50, 190), "pink": (245, 130, 190),
    "white": (245, 245, 245), "black": (20, 20, 20),
}
SIZES = {"small": 0.10, "medium": 0.17, "large": 0.26}  # radius as a fraction of the picture
POSITIONS = {
    "centre": (0.5, 0.5), "left": (0.25, 0.5), "right": (0.75, 0.5), "top": (0.5, 0.25), "bottom": (0.5, 0.75),
    "top left": (0.25, 0.25), "top right": (0.75, 0.25), "bottom left": (0.25, 0.75), "bottom right": (0.75, 0.75),
}
ITEM_SIZES = {"small": 0.19, "medium": 0.24, "large": 0.31}  # a thing's half side, of the picture: 24/31/40 px at 64
BACKGROUNDS = ("solid", "gradient", "stripes", "dots")
# ± fraction of the picture, ± fraction of r, ± degrees, ± fraction of the stripes' period. Turns stay small: a
# square turned 45° is a diamond; so do stripe shifts: half a period swaps the two colours the caption orders.
JITTER = {"offset": 0.05, "scale": 0.12, "angle": 10.0, "stripes": 0.2}


@dataclass(frozen=True)
class Thing:
    shape: str
    color: str
    size: str
    position: str
    dx: float = 0.0  # unnamed: offset from the named position, fraction of the picture
    dy: float = 0.0
    scale: float = 1.0  # unnamed: × the named size's radius
    angle: float = 0.0  # unnamed: turn in degrees, clockwise


@dataclass(frozen=True)
class Item:
    """An everyday thing from the emoji atlas: its look is its own (no colour to choose), its place and size named."""

    noun: str  # the atlas noun: "cat", "red apple" never (a colour word is the caption's, see _named)
    size: str
    position: str
    dx: float = 0.0  # unnamed jitter, as for a Thing
    dy: float = 0.0
    scale: float = 1.0
    angle: float = 0.0


@dataclass(frozen=True)
class Scene:
    things: tuple[Thing | Item, ...]
    background: str  # one of BACKGROUNDS
    colors: tuple[str, str]  # background colours (the second unused for solid)
    phase: float = 0.0  # unnamed: the stripes' or dots' shift, a fraction of their period


def jittered(scene: Scene, rng: np.random.Generator) -> Scene:
    """The scene with unnamed jitter drawn for each object and for its background's pattern."""
    o, k, a, p = JITTER["offset"], JITTER["scale"], JITTER["angle"], JITTER["stripes"]
    things = tuple(replace(t, dx=float(rng.uniform(-o, o)), dy=float(rng.uniform(-o, o)),
                           scale=float(rng.uniform(1 - k, 1 + k)), angle=float(rng.uniform(-a, a)))
                   for t in scene.things)
    phase = float(rng.uniform(-p, p)) if scene.background == "stripes" else float(rng.random())  # dots: any shift
    return replace(scene, things=things, phase=phase)


def sample_scene(rng: np.random.Generator, max_things: int = 3, jitter: bool = False) -> Scene:
    """A random scene: 1–3 objects at distinct positions, colours distinct from the background's.

    With `jitter`, unnamed jitter is drawn after the named scene, so the named scenes of a seed stay the same.
    """
    kind = BACKGROUNDS[rng.choice(len(BACKGROUNDS), p=(0.55, 0.15, 0.15, 0.15))]
    names = list(COLORS)
    bg = tuple(rng.choice(names, 2, replace=False))
    n = int(rng.choice(np.arange(1, max_things + 1), p=(0.6, 0.3, 0.1)[:max_things] / np.sum((0.6, 0.3, 0.1)[:max_things])))
    places = ["centre"] if n == 1 and rng.random() < 0.5 else list(rng.choice(list(POSITIONS)[1:], n, replace=False))
    things = []
    for place in places:
        color = rng.choice([c for c in names if c not in bg[: 1 if kind == "solid" else 2]])
        size = rng.choice(list(SIZES) if n == 1 else ["small", "medium"])
        things.append(Thing(str(rng.choice(SHAPES)), str(color), str(size), str(place)))
    scene = Scene(tuple(things), kind, (str(bg[0]), str(bg[1])))
    return jittered(scene, rng) if jitter else scene


def centred_scenes(jitter_seed: int | None = None) -> list[Scene]:
    """Every scene of one medium or large object at the centre on a solid background (1,440 scenes).

    With `jitter_seed`, each carries unnamed jitter drawn from that seed.
    """
    rng = None if jitter_seed is None else np.random.default_rng(jitter_seed)
    scenes = [Scene((Thing(shape, color, size, "centre"),), "solid", (bg, "white"))
            for shape in SHAPES for color in COLORS for size in ("medium", "large") for bg in COLORS if bg != color]
    return scenes if rng is None else [jittered(s, rng) for s in scenes]


def _a(word: str) -> str:
    """The indefinite article for the word that follows."""
    return "an" if word[0] in "aeiou" else "a"


def _background_phrase(scene: Scene, rng: np.random.Generator) -> str:
    a, b = scene.colors
    if scene.background == "solid":
        return f"{_a(a)} {a} background"
    if scene.background == "gradient":
        return f"{_a(a)} {a} and {b} gradient"
    pattern = "striped" if scene.background == "stripes" else "dotted"
    return f"a {pattern} {a} and {b} background"


def _named(x: Thing | Item, rng: np.random.Generator) -> str:
    """What a caption calls the object: "red star" for a shape; for a thing its noun, or (half of the time, one
    draw of `rng`) its colour word and noun where the atlas gives one ("red apple")."""
    if isinstance(x, Thing):
        return f"{x.color} {x.shape}"
    color = load_atlas().entry(x.noun).color
    return f"{color} {x.noun}" if color is not None and rng.random() < 0.5 else x.noun


def _article(x: Thing | Item, name: str) -> str:
    """"a" or "an" before the object's name (the atlas's own before a thing's bare noun: "a unicorn"), or "some"
    before a thing that the atlas names by a plural or mass noun ("some grapes")."""
    if isinstance(x, Thing):
        return _a(name)
    article = load_atlas().entry(x.noun).article
    return article if article == "some" or name == x.noun else _a(name)


def caption(scene: Scene, rng: np.random.Generator) -> str:
    """One of several natural phrasings of the scene."""
    t = scene.things
    bg = _background_phrase(scene, rng)
    names = [_named(x, rng) for x in t]
    if len(t) == 1:
        x, name = t[0], names[0]
        ac = f"{_article(x, name)} {name}"
        sized = "some" if ac.startswith("some ") else "a"  # before a size word
        forms = [f"{sized} {x.size} {name} on {bg}", f"{ac} on the {x.position}", ac,
                 f"{sized} {x.size} {name}", f"{ac} on {bg}",
                 f"a picture of {sized} {x.size} {name} on the {x.position} of {bg}", f"{bg} with {ac}"]
        return str(rng.choice(forms))
    items = [f"{_article(x, name)} {name}" for x, name in zip(t, names)]
    joined = items[0] + "".join((" and " if i == len(items) - 1 else ", ") + s for i, s in enumerate(items[1:], 1))
    placed = " and ".join(f"{item} on the {x.position}" for item, x in zip(items, t))
    forms = [joined, f"{joined} on {bg}", placed, f"{bg} with {joined}"]
    return str(rng.choice(forms))


def _shape_polygon(shape: str, cx: float, cy: float, r: float) -> list[tuple[float, float]]:
    """Outline of a filled shape as a polygon (circle and ring are drawn as ellipses instead)."""
    if shape == "square":
        s = r * 0.85
        return [(cx - s, cy - s), (cx + s, cy - s), (cx + s, cy + s), (cx - s, cy + s)]
    if shape == "diamond":
        return [(cx, cy - r), (cx + r * 0.8, cy), (cx, cy + r), (cx - r * 0.8, cy)]
    if shape == "triangle":
        return [(cx + r * math.cos(a), cy + r * math.sin(a)) for a in (-math.pi / 2, math.pi / 6, 5 * math.pi / 6)]
    if shape == "star":
        pts = []
        for i in range(10):
            rr = r if i % 2 == 0 else r * 0.42
            a = -math.pi / 2 + i * math.pi / 5
            pts.append((cx + rr * math.cos(a), cy + rr * math.sin(a)))
        return pts
    if shape == "cross":
        w = r * 0.33
        return [(cx - w, cy - r), (cx + w, cy - r), (cx + w, cy - w), (cx + r, cy - w), (cx + r, cy + w),
                (cx + w, cy + w), (cx + w, cy + r), (cx - w, cy + r), (cx - w, cy + w), (cx - r, cy + w),
                (cx - r, cy - w), (cx - w, cy - w)]
    if shape == "heart":
        pts = []
        for i in range(48):
            a = 2 * math.pi * i / 48
            x = 16 * math.sin(a) ** 3
            y = -(13 * math.cos(a) - 5 * math.cos(2 * a) - 2 * math.cos(3 * a) - math.cos(4 * a))
            pts.append((cx + r * x / 17, cy + r * (y + 2) / 17))
        return pts
    raise ValueError(shape)


def _turned(points: list[tuple[float, float]], cx: float, cy: float, degrees: float) -> list[tuple[float, float]]:
    """The points turned clockwise (y down) by `degrees` about (cx, cy)."""
    if degrees == 0:
        return points
    c, s = math.cos(math.radians(degrees)), math.sin(math.radians(degrees))
    return [(cx + (x - cx) * c - (y - cy) * s, cy + (x - cx) * s + (y - cy) * c) for x, y in points]


def _background(scene: Scene, xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
    """(H, W, 3) float background over the window's coordinate grid."""
    a, b = (np.array(COLORS[c], np.float32) for c in scene.colors)
    if scene.background == "solid":
        w = np.zeros_like(xs)
    elif scene.background == "gradient":
        w = np.clip((xs + ys) / 2, 0, 1)
    elif scene.background == "stripes":
        w = (np.sin(xs * 2 * math.pi * 6 + scene.phase * 2 * math.pi) > 0).astype(np.float32)
    else:
        gx, gy = (xs * 8 + scene.phase) % 1 - 0.5, (ys * 8 + scene.phase) % 1 - 0.5
        w = ((gx**2 + gy**2) < 0.09).astype(np.float32)
    return a * (1 - w[..., None]) + b * w[..., None]


def render(scene: Scene, size: int, window: tuple[float, float, float, float] = (0, 0, 1, 1),
           supersample: int = 4) -> np.ndarray:
    """The scene's `window` (x0, y0, x1, y1) at size × size px, anti-aliased: (size, size, 3) uint8."""
    n = size * supersample
    x0, y0, x1, y1 = window
    sx, sy = n / (x1 - x0), n / (y1 - y0)
    centres = (np.arange(n, dtype=np.float32) + 0.5) / n
    xs, ys = np.meshgrid(x0 + centres * (x1 - x0), y0 + centres * (y1 - y0))
    canvas = _background(scene, xs, ys)
    for thing in scene.things:
        if isinstance(thing, Item):
            canvas = _pasted(canvas, thing, (x0, y0), (sx, sy))
            continue
        cx, cy = POSITIONS[thing.position]
        cx, cy, r = cx + thing.dx, cy + thing.dy, SIZES[thing.size] * thing.scale
        px, py, pr = (cx - x0) * sx, (cy - y0) * sy, r * sx
        mask = Image.new("L", (n, n), 0)
        draw = ImageDraw.Draw(mask)
        if thing.shape in ("circle", "ring"):
            draw.ellipse((px - pr, py - pr, px + pr, py + pr), fill=255)
            if thing.shape == "ring":
                q = pr * 0.55
                draw.ellipse((px - q, py - q, px + q, py + q), fill=0)
        else:
            outline = _turned(_shape_polygon(thing.shape, cx, cy, r), cx, cy, thing.angle)
            draw.polygon([((x - x0) * sx, (y - y0) * sy) for x, y in outline], fill=255)
        m = np.asarray(mask, np.float32)[..., None] / 255
        canvas = canvas * (1 - m) + np.array(COLORS[thing.color], np.float32) * m
    image = Image.fromarray(np.clip(canvas + 0.5, 0, 255).astype(np.uint8))
    return np.asarray(image.resize((size, size), Image.Resampling.BOX)) if supersample > 1 else np.asarray(image)


def _pasted(canvas: np.ndarray, item: Item, origin: tuple[float, float], scale: tuple[float, float]) -> np.ndarray:
    """The (n, n, 3) float canvas with the thing's glyph composited over it: its cell, turned clockwise by the
    item's angle, fills a square of side 2·ITEM_SIZES·scale centred on its place (the window maps by origin, scale)."""
    cx, cy = POSITIONS[item.position]
    cx, cy, r = cx + item.dx, cy + item.dy, ITEM_SIZES[item.size] * item.scale
    glyph = Image.fromarray(load_atlas().glyph(item.noun)).convert("RGBa")  # premultiplied: no dark fringes
    k = 2 * r * scale[0] / glyph.width  # canvas px per cell px
    if item.angle:
        glyph = glyph.rotate(-item.angle, Image.Resampling.BICUBIC, expand=True)
    w, h = max(1, round(glyph.width * k)), max(1, round(glyph.height * k))
    left, top = round((cx - origin[0]) * scale[0] - w / 2), round((cy - origin[1]) * scale[1] - h / 2)
    n = canvas.shape[0]
    a0, b0, a1, b1 = max(left, 0), max(top, 0), min(left + w, n), min(top + h, n)
    if a0 >= a1 or b0 >= b1:
        return canvas  # wholly outside the window
    if w * h > 16 * n * n:  # a window far inside the thing: resize only the part it sees
        box = ((a0 - left) / k, (b0 - top) / k, (a1 - left) / k, (b1 - top) / k)
        part = glyph.resize((a1 - a0, b1 - b0), Image.Resampling.BICUBIC, box=box)
    else:
        part = glyph.resize((w, h), Image.Resampling.BICUBIC).crop((a0 - left, b0 - top, a1 - left, b1 - top))
    rgba = np.asarray(part, np.float32)  # (h, w, 4): colour already times alpha
    alpha = rgba[..., 3:] / 255
    out = canvas.copy()
    out[b0:b1, a0:a1] = out[b0:b1, a0:a1] * (1 - alpha) + np.minimum(rgba[..., :3], rgba[..., 3:])
    return out


def twin(scene: Scene, rng: np.random.Generator) -> Scene:
    """The scene with one attribute changed: a hard negative for contrastive CLIP (shape most often)."""
    if any(isinstance(t, Item) for t in scene.things):
        return _twin_with_items(scene, rng)
    things = list(scene.things)
    i = int(rng.integers(len(things)))
    x = things[i]
    roll = rng.random()
    if roll < 0.5:
        things[i] = replace(x, shape=str(rng.choice([s for s in SHAPES if s != x.shape])))
    elif roll < 0.7 or len(things) == 1 and roll < 0.85:
        used = {t.color for t in things} | set(scene.colors[: 1 if scene.background == "solid" else 2])
        things[i] = replace(x, color=str(rng.choice([c for c in COLORS if c not in used])))
    elif len(things) > 1:  # the binding case: the same words, the colours on other shapes
        j = (i + 1) % len(things)
        things[i], things[j] = replace(x, color=things[j].color), replace(things[j], color=x.color)
    else:
        things[i] = replace(x, size=str(rng.choice([s for s in SIZES if s != x.size])))
    return replace(scene, things=tuple(things))


def _twin_with_items(scene: Scene, rng: np.random.Generator) -> Scene:
    """twin() for a scene holding things: a thing becomes another (of its own category half of the time) or
    changes size; a shape changes shape, colour or size. A colour swap binds only shapes, so none is done here."""
    things = list(scene.things)
    i = int(rng.integers(len(things)))
    x, roll = things[i], rng.random()
    if isinstance(x, Item):
        if roll < 0.75:
            atlas = load_atlas()
            used = {t.noun for t in things if isinstance(t, Item)}
            kin = rng.random() < 0.5
            pool = [e.noun for e in atlas.entries if e.noun not in used
                    and (not kin or e.category == atlas.entry(x.noun).category)]
            things[i] = replace(x, noun=str(rng.choice(pool)))
        else:
            things[i] = replace(x, size=str(rng.choice([s for s in SIZES if s != x.size])))
    elif roll < 0.5:
        things[i] = replace(x, shape=str(rng.choice([s for s in SHAPES if s != x.shape])))
    elif roll < 0.8:
        shown = scene.colors[: 1 if scene.background == "solid" else 2]
        used = {t.color for t in things if isinstance(t, Thing)} | set(shown)
        things[i] = replace(x, color=str(rng.choice([c for c in COLORS if c not in used])))
    else:
        things[i] = replace(x, size=str(rng.choice([s for s in SIZES if s != x.size])))
    return replace(scene, things=tuple(things))
