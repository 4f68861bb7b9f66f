"""The everyday eval rows: their judges on known pictures, and every row run end to end on a tiny model."""
import torch

from engine.requests import Settings
from engine.training.everyday_probe import ThingProbe
from engine.training.everyday_rows import (border_colour, clip_row, composed_rows, thing_rows, variation_rows,
                                          where)
from engine.training.judging import object_geometry
from engine.training.world import Item, Scene, render

NOUNS = ("cat", "apple", "car")


def picture(noun: str, place: str, bg: str) -> torch.Tensor:
    """A clean render (1, 3, 64, 64) in [-1, 1]."""
    pixels = render(Scene((Item(noun, "medium", place),), "solid", (bg, "white")), 64)
    return torch.from_numpy(pixels.copy()).permute(2, 0, 1)[None].float() / 127.5 - 1


def test_the_judges_read_place_and_background_of_clean_renders():
    for place, bg in (("left", "blue"), ("bottom", "yellow"), ("centre", "green"), ("top", "pink")):
        image = picture("cat", place, bg)
        assert where(object_geometry(image)[0]) == place and border_colour(image[0]) == bg


def test_every_row_runs_on_a_tiny_model_and_gives_shares(tiny_model):
    probe = ThingProbe(NOUNS).eval()
    quick = Settings(prior_steps=2, decoder_steps=2, upsampler_steps=1, size=16)
    rows = {**thing_rows(tiny_model, probe, NOUNS, (0,), quick), **composed_rows(tiny_model, probe, NOUNS, 0, quick),
            **variation_rows(tiny_model, probe, NOUNS[:1], (0, 1), quick), **clip_row(tiny_model, NOUNS, 0, 2)}
    assert set(rows["thing drawn right by category"]) == {"animal", "food", "vehicle"}
    shares = [v for r in rows.values() for v in (r.values() if isinstance(r, dict) else [r])]
    assert len(shares) == 13 and all(0 <= v <= 1 for v in shares)


def test_the_everyday_table_refuses_a_bundle_that_names_no_things(tiny_model):
    import pytest

    from engine.errors import UserError
    from engine.training.everyday_rows import everyday_table
    with pytest.raises(UserError, match="names no things"):
        everyday_table(tiny_model, 0, None)


def test_the_contact_sheet_pairs_each_things_drawing_with_a_render(tiny_model, tmp_path):
    from PIL import Image

    from engine.training.everyday_sheet import CELL, LABEL, contact_sheet
    path = contact_sheet(tiny_model, NOUNS, tmp_path / "sheet.png", columns=2)  # 64 px: the tiny chain's last
    assert Image.open(path).size == (2 * 2 * CELL, 2 * (CELL + LABEL))


def test_the_clip_row_counts_renders_closest_to_their_own_caption(monkeypatch):
    """A CLIP whose z_i of a render is its thing's one-hot scores 1; captions in the wrong order score 0."""
    from engine.training import everyday_rows

    def one_hot(nouns):
        return torch.eye(len(NOUNS))[[NOUNS.index(n) for n in nouns]]
    monkeypatch.setattr(everyday_rows, "render_embeddings", lambda _m, scenes: one_hot(
        [sc.things[0].noun for sc in scenes]))
    monkeypatch.setattr(everyday_rows, "text_embeddings", lambda _m, captions: one_hot(
        [c.split(" ", 1)[1] for c in captions]))
    assert list(clip_row(None, NOUNS, 0, 4).values()) == [1.0]
    monkeypatch.setattr(everyday_rows, "named", lambda noun: f"a {NOUNS[(NOUNS.index(noun) + 1) % 3]}")
    assert list(clip_row(None, NOUNS, 0, 4).values()) == [0.0]
