"""The everyday bundle's contact sheet: every thing it knows, the atlas's drawing beside the model's own render."""
from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from ..model import UnCLIP
from ..requests import Settings, TextToImage
from ..runner import run
from .atlas import load as load_atlas
from .card import PICTURE
from .everyday_rows import named

CELL = 64  # px: each picture, at the decoder's size
LABEL = 12  # px: the noun under each pair


def contact_sheet(model: UnCLIP, nouns: tuple[str, ...], out: Path, seed: int = 0, columns: int = 7) -> Path:
    """A PNG of (atlas glyph on white | the model's "a ⟨noun⟩" at 64 px) for every noun, its name beneath."""
    atlas, s = load_atlas(), Settings(size=CELL)
    rows = -(-len(nouns) // columns)
    sheet = Image.new("RGB", (columns * 2 * CELL, rows * (CELL + LABEL)), "white")
    draw = ImageDraw.Draw(sheet)
    for i, noun in enumerate(nouns):
        x, y = (i % columns) * 2 * CELL, (i // columns) * (CELL + LABEL)
        glyph = Image.fromarray(atlas.glyph(noun)).resize((CELL - 8, CELL - 8), Image.LANCZOS)
        sheet.paste(glyph, (x + 4, y + 4), glyph)
        image = run(model, TextToImage(named(noun), (seed,), s))[0].image  # (64, 64, 3) uint8
        sheet.paste(Image.fromarray(np.asarray(image)), (x + CELL, y))
        draw.text((x + 4, y + CELL), noun, fill=(40, 40, 40))
    sheet.save(out, **PICTURE)
    return out
