"""The everyday bundle's card: its things by category, its commands, its eval table and its contact sheet."""
import shutil

from PIL import Image

from engine import load_bundle
from engine.training.everyday_card import SHEET, things_by_category, write_everyday_card
from engine.training.everyday_sheet import CELL, LABEL
from engine.training.vocabulary import world_vocabulary

NOUNS = ("cat", "apple", "car")


def test_things_are_listed_under_their_atlas_categories():
    text = things_by_category(("cat", "dog", "apple"))
    assert text.splitlines() == ["- **animal (2):** cat, dog.", "- **food (1):** apple."]


def test_the_card_lists_its_things_eval_and_sheet(tiny_bundle, tmp_path):
    folder = shutil.copytree(tiny_bundle, tmp_path / "everyday")
    model = load_bundle(str(folder))
    model.vocabulary = world_vocabulary(NOUNS)
    text = write_everyday_card(folder, model, "| thing drawn right (top-1) | 9.5% |", {"decoder": {
        "steps": 13500, "seconds": 600.0, "final loss (smoothed)": 0.09}}).read_text()
    assert text.startswith("# ") and "in training" in text.splitlines()[0]
    assert "| thing drawn right (top-1) | 9.5% |" in text and "| decoder | 13500 | 10.0 min | 0.09 |" in text
    assert "--init everyday" in text and "3 things" in text and f"![contact sheet]({SHEET})" in text
    assert Image.open(folder / SHEET).size == (7 * 2 * CELL, 1 * (CELL + LABEL))  # 3 things, 7 columns, one row
