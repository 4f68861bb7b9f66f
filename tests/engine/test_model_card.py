"""The default bundle's model card says what the code and the bundle are: it is what engine/training/card.py writes."""
import json
import re
import shutil
from pathlib import Path

import numpy as np
import pytest

from engine.training import world
from engine.training.card import NOTED, SECTIONS, captions, knowledge, split_notes, write_card

ROOT = Path(__file__).resolve().parents[2]
FOLDER = ROOT / "resources" / "models" / "shapes"
NOTES = ROOT / "docs" / "model-card-notes.md"


def card() -> str:
    return (FOLDER / "README.md").read_text()


def section(text: str, title: str) -> str:
    return text.split(f"\n## {title}\n\n", 1)[1].split("\n## ", 1)[0].strip()


def test_the_card_has_its_sections_in_order():
    assert re.findall(r"^## (.+)$", card(), re.M) == list(SECTIONS)


def test_the_card_names_the_worlds_whole_vocabulary():
    known = section(card(), "What it knows")
    assert known == knowledge().strip()  # regenerate the card when world.py changes
    for name in (*world.SHAPES, *world.COLORS, *world.SIZES, *world.POSITIONS, *world.BACKGROUNDS):
        assert name in known, name


def _pattern(template: str, backgrounds: list[str]) -> re.Pattern:
    """A card's caption template as a regular expression over the world's words."""
    words = {"shape": world.SHAPES, "colour": world.COLORS, "size": world.SIZES, "position": world.POSITIONS}
    out = ""
    for part in re.split(r"(⟨[^⟩]+⟩)", template):
        if part == "⟨background⟩":
            out += "(?:" + "|".join(_pattern(b, []).pattern for b in backgrounds) + ")"
        elif part.startswith("⟨"):
            out += "(?:" + "|".join(map(re.escape, words[part[1:-1].split()[0]])) + ")"
        else:
            out += re.escape(part)
    return re.compile(re.sub(r"(^|\\ )a\\ ", r"\1an?\\ ", out))


def test_every_caption_the_world_writes_has_its_template_in_the_card():
    known = section(card(), "What it knows")
    quoted = re.findall(r"^- “(.+)”$", known, re.M)
    backgrounds = [q.replace("⟨colour A⟩", "⟨colour⟩").replace("⟨colour B⟩", "⟨colour⟩") for q in quoted
                   if "⟨colour A⟩" in q]
    patterns = [_pattern(q, backgrounds) for q in quoted if "⟨colour A⟩" not in q]
    rng = np.random.default_rng(0)
    for _ in range(400):
        text = world.caption(world.sample_scene(rng, max_things=2), rng)
        assert any(p.fullmatch(text) for p in patterns), text
    assert len(patterns) == len(captions((world.Thing("circle", "red", "small", "left"),))) + len(
        captions(tuple(world.Thing(s, "red", "small", "left") for s in ("circle", "star"))))


def test_notes_go_to_their_sections_and_unknown_headings_are_refused():
    assert split_notes("first\n## Limits\nsmall\n## How it was trained\ncpu\n## Limits\nbinding") == {
        "Evaluation": "first", "Limits": "small\n\nbinding", "How it was trained": "cpu"}
    with pytest.raises(ValueError, match="Pictures"):
        split_notes("## Pictures\nmore")
    assert set(split_notes(NOTES.read_text())) <= set(NOTED)


def test_the_eval_table_in_the_card_is_eval_json():
    table = section(card(), "Evaluation")
    for key, value in json.loads((FOLDER / "eval.json").read_text()).items():
        rows = value.items() if isinstance(value, dict) else [("", value)]
        for sub, v in rows:
            name = f"{key}: {sub}" if sub else key
            row = re.search(rf"^\| {re.escape(name)} \| (.+) \|$", table, re.M)
            assert row, name
            if isinstance(v, float) and 0 <= v <= 1 and not sub.endswith("per image"):
                assert row.group(1) == f"{100 * v:.1f}%", name


def test_the_card_is_what_write_card_makes_of_the_bundle_its_eval_and_notes(tmp_path):
    """Regenerating the card from the bundle, the card's own eval table and logged times and the committed notes
    gives the committed card: networks, hash, vocabulary and structure all follow the code."""
    from engine.families import load_bundle
    text = card()
    times = {name: {"steps": int(steps), "seconds": float(minutes) * 60, "final loss (smoothed)": float(loss)}
             for name, steps, minutes, loss in re.findall(r"^\| (\w+) \| (\d+) \| ([\d.]+) min \| ([\d.]+) \|$",
                                                          text, re.M)}
    table = re.search(r"^\| measure \| value \|$.*?(?=\n\n)", text, re.M | re.S).group(0)
    folder = shutil.copytree(FOLDER, tmp_path / "default", ignore=shutil.ignore_patterns("*.png", "README.md"))
    made = write_card(folder, load_bundle(str(folder)), table, times, NOTES.read_text()).read_text()
    assert made == text
