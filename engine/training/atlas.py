"""The everyday world's things: the committed emoji atlas in resources/world, read without the font.

tools/make_atlas.py draws it from Noto Color Emoji (images Apache-2.0, font OFL 1.1; see
resources/world/LICENSE-noto-emoji.txt): one 48 px RGBA cell per thing, the glyph's longer side filling the cell,
and emoji-things.json naming each (caption noun, category, CLDR name, synonyms, colour word or null).
"""
from __future__ import annotations

import functools
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

ATLAS_DIR = Path(__file__).resolve().parents[2] / "resources" / "world"
NAMES = "emoji-things.json"


@dataclass(frozen=True)
class Entry:
    """One thing of the atlas: what captions call it and where its picture is."""

    noun: str  # the caption noun ("cat"), unique in the atlas
    article: str  # what captions put before it: "a", "an", or "some" for a plural or mass noun ("some grapes")
    category: str  # animal, food, plant, sky, building, vehicle, object, instrument, sport or clothing
    cell: int  # index of its cell, row by row
    color: str | None  # a world colour word that is true of the drawing ("red" for the apple), or None
    synonyms: tuple[str, ...]  # other plain names no other thing claims (CLDR, cleaned by hand)
    emoji: str  # the emoji it was drawn from


@dataclass(frozen=True, eq=False)
class Atlas:
    """Every thing's entry and the packed cells: pixels (rows·cell, columns·cell, 4) uint8 RGBA."""

    entries: tuple[Entry, ...]
    pixels: np.ndarray
    cell: int
    columns: int
    tag: str  # a short hash of the names and pixels: cache names change when the atlas does

    @functools.cached_property
    def by_noun(self) -> dict[str, Entry]:
        return {e.noun: e for e in self.entries}

    @property
    def nouns(self) -> tuple[str, ...]:
        return tuple(e.noun for e in self.entries)

    def entry(self, noun: str) -> Entry:
        """The thing called `noun` (KeyError for a word the atlas does not hold)."""
        return self.by_noun[noun]

    def glyph(self, noun: str) -> np.ndarray:
        """The thing's cell: (cell, cell, 4) uint8 RGBA, transparent around the drawing."""
        i, c = self.entry(noun).cell, self.cell
        row, col = divmod(i, self.columns)
        return self.pixels[row * c:(row + 1) * c, col * c:(col + 1) * c]


@functools.cache
def load(folder: Path = ATLAS_DIR) -> Atlas:
    """The atlas in `folder` (emoji-things.json and the PNG it names), read once per process."""
    meta_bytes = (folder / NAMES).read_bytes()
    meta = json.loads(meta_bytes)
    png = folder / meta["atlas"]
    pixels = np.asarray(Image.open(png).convert("RGBA"))
    entries = tuple(Entry(t["noun"], t["article"], t["category"], t["cell"], t["color"], tuple(t["synonyms"]),
                          t["emoji"])
                    for t in meta["things"])
    tag = hashlib.sha256(meta_bytes + png.read_bytes()).hexdigest()[:8]
    return Atlas(entries, pixels, meta["cell"], meta["columns"], tag)
