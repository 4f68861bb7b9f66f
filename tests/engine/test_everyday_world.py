"""The everyday world: the emoji atlas, scenes mixing things and shapes, their captions and renders, and the
shapes world left exactly as it was."""
import hashlib
import re
from dataclasses import replace

import numpy as np
import open_clip
import pytest
import torch
from PIL import ImageFont

from engine.training import atlas as atlas_module
from engine.training.data import render_all
from engine.training.everyday import (RING, World, centred_everyday, everyday_set, named_objects, objects_of,
                                      sample_everyday, single_things)
from engine.training.everyday_probe import held_out_top1, read_things, train_thing_probe
from engine.training.recipe import CONTEXT
from engine.training.world import COLORS, ITEM_SIZES, SHAPES, Item, Scene, Thing, caption, render, sample_scene, twin

CATEGORIES = {"animal", "food", "plant", "sky", "building", "vehicle", "object", "instrument", "sport", "clothing"}


def test_the_atlas_loads_without_the_font(monkeypatch):
    def no_font(*args, **kwargs):
        raise OSError("no font here")

    monkeypatch.setattr(ImageFont, "truetype", no_font)
    atlas_module.load.cache_clear()
    atlas = atlas_module.load()
    assert len(atlas.entries) >= 100 and {e.category for e in atlas.entries} == CATEGORIES
    nouns = atlas.nouns
    assert len(set(nouns)) == len(nouns) and all(re.fullmatch(r"[a-z][a-z -]*[a-z]", n) for n in nouns)
    assert not {w for n in nouns for w in n.split()} & {*SHAPES, *COLORS, "background", "picture", "and"}
    synonyms = [s for e in atlas.entries for s in e.synonyms]
    assert len(set(synonyms)) == len(synonyms) and not set(synonyms) & set(nouns)
    assert {e.article for e in atlas.entries} == {"a", "an", "some"}
    assert {e.color for e in atlas.entries} - {None} <= set(COLORS)
    assert sorted(e.cell for e in atlas.entries) == list(range(len(nouns)))
    for noun in ("cat", "car", "apple", "tree", "house", nouns[-1]):
        glyph = atlas.glyph(noun)
        assert glyph.shape == (atlas.cell, atlas.cell, 4) and glyph.dtype == np.uint8
        opaque = glyph[..., 3] > 128
        assert 0.2 < opaque.mean() < 1 and (opaque.any(0).sum() == atlas.cell or opaque.any(1).sum() >= atlas.cell - 1)
    assert atlas.entry("apple").color == "red" and atlas.entry("cat").color is None
    assert atlas_module.ATLAS_DIR.joinpath("LICENSE-noto-emoji.txt").is_file()
    assert atlas_module.ATLAS_DIR.joinpath("emoji-atlas.png").stat().st_size < 2_000_000


def test_everyday_scenes_mix_things_and_shapes_like_the_shapes_world():
    rng = np.random.default_rng(0)
    scenes = [sample_everyday(rng) for _ in range(600)]
    objects = [t for s in scenes for t in s.things]
    items = [t for t in objects if isinstance(t, Item)]
    assert 0.65 < len(items) / len(objects) < 0.85 and {len(s.things) for s in scenes} == {1, 2, 3}
    assert {s.background for s in scenes} == {"solid", "gradient", "stripes", "dots"}
    assert {t.size for t in items} == set(ITEM_SIZES) and len({t.noun for t in items}) > 300
    atlas = atlas_module.load()
    for s in scenes:
        nouns = [t.noun for t in s.things if isinstance(t, Item)]
        assert len(nouns) == len(set(nouns))
        shown = s.colors[: 1 if s.background == "solid" else 2]
        assert all(atlas.entry(n).color not in shown for n in nouns)
        if len(s.things) > 1:  # never on neighbouring places of the ring around the centre
            ring = sorted(RING.index(t.position) for t in s.things)
            assert min((b - a) % 8 for a, b in zip(ring, ring[1:] + ring[:1])) > 1
    pick = ("cat", "dog", "apple")
    assert {t.noun for s in (sample_everyday(rng, nouns=pick) for _ in range(50)) for t in s.things
            if isinstance(t, Item)} == set(pick)


def test_captions_parse_back_to_their_objects_and_fit_the_context():
    tokenizer = open_clip.tokenizer.SimpleTokenizer(context_length=CONTEXT)
    rng = np.random.default_rng(1)
    seen = set()
    for _ in range(400):
        scene = sample_everyday(rng, jitter=True)
        text = caption(scene, rng)
        seen.add(text)
        assert named_objects(text) == objects_of(scene), text
        assert len(tokenizer.encode(text)) + 2 <= CONTEXT, text
        wrong = r"\ba (?!unicorn|ufo)[aeiou]|\ban (?!hourglass)[^aeiou]|\ba (small |medium |large )?(grapes|jeans)\b"
        assert not re.search(wrong, text), text
    assert len(seen) > 350
    apple = Scene((Item("apple", "large", "left"),), "solid", ("blue", "white"))
    forms = {caption(apple, np.random.default_rng(i)) for i in range(200)}
    assert {"an apple on the left", "a red apple on a blue background", "a large apple"} <= forms
    two = Scene((Item("cat", "small", "left"), Thing("star", "yellow", "small", "right")), "solid", ("blue", "white"))
    forms = {caption(two, np.random.default_rng(i)) for i in range(200)}
    assert {"a cat and a yellow star", "a cat on the left and a yellow star on the right"} <= forms
    grapes = Scene((Item("grapes", "small", "centre"),), "solid", ("white", "blue"))
    forms = {caption(grapes, np.random.default_rng(i)) for i in range(200)}
    assert {"some small grapes", "some purple grapes"} <= forms


def test_renders_are_deterministic_and_draw_the_thing_where_it_stands(tmp_path):
    rng = np.random.default_rng(2)
    scenes = [sample_everyday(rng, jitter=True) for _ in range(30)]
    assert all(np.array_equal(render(s, 64), render(s, 64)) for s in scenes[:10])
    pooled = render_all(scenes * 70, 16, workers=2)  # over POOL_FROM: forked workers give the same bytes
    assert all(np.array_equal(a, b) for a, b in zip(render_all(scenes, 16, workers=1) * 70, pooled))
    cat = Scene((Item("cat", "large", "left"),), "solid", ("blue", "white"))
    image = render(cat, 64).astype(int)
    assert tuple(image[2, 62]) == COLORS["blue"] and tuple(image[32, 62]) == COLORS["blue"]
    assert np.abs(image[24:40, 10:22] - COLORS["blue"]).sum(-1).mean() > 100  # the cat covers its place
    turned = render(replace(cat, things=(replace(cat.things[0], angle=9.0, dx=0.03),)), 64)
    assert 1 < np.abs(turned.astype(int) - image).mean() < 40
    crop = render(cat, 16, (0.0, 0.25, 0.5, 0.75))  # a window agrees with the matching part of the whole picture
    assert np.abs(crop.astype(int) - render(cat, 32)[8:24, 0:16].astype(int)).mean() < 6
    data = everyday_set(12, 16, 0, cache=tmp_path, jitter=True)
    again = everyday_set(12, 16, 0, cache=tmp_path, jitter=True)
    assert data.scenes == again.scenes and bool((data.pixels == again.pixels).all())
    assert len(list(tmp_path.iterdir())) == 1 and data.pixels.shape == (12, 3, 16, 16)


def test_twins_of_everyday_scenes_change_one_object():
    rng = np.random.default_rng(3)
    atlas = atlas_module.load()
    kinds = {"noun": 0, "kin": 0, "size": 0, "shape": 0, "color": 0}
    for _ in range(300):
        scene = sample_everyday(rng)
        other = twin(scene, rng)
        diffs = [(a, b) for a, b in zip(scene.things, other.things) if a != b]
        assert len(diffs) == 1 and other.background == scene.background
        (a, b), = diffs
        if isinstance(a, Item):
            assert a.noun != b.noun or a.size != b.size
            if a.noun != b.noun:
                kinds["noun"] += 1
                kinds["kin"] += atlas.entry(a.noun).category == atlas.entry(b.noun).category
            else:
                kinds["size"] += 1
        else:
            kinds["shape" if a.shape != b.shape else "color" if a.color != b.color else "size"] += 1
    assert min(kinds.values()) > 0 and kinds["noun"] > kinds["size"]


def test_the_shapes_world_is_unchanged():
    """Captions, twins and renders of the shapes world as they were before the everyday world existed."""
    before = {
        0: ("a pink heart on a yellow and cyan gradient", "a large purple heart", "7282fcd6ab19722b"),
        1: ("a black background with a yellow triangle, a green heart and a red cross",
            "a black background with a red triangle, a green heart and a yellow cross", "a280354941e1b606"),
        2: ("a white diamond on the bottom left", "a white star on the bottom left", "7f21fdc922d8f24c"),
        3: ("a yellow background with a white star", "a white heart on a yellow background", "fe5df7a0ef2a829d"),
        7: ("a pink cross", "a purple and white gradient with a pink square", "237a72fc2583cc88"),
    }
    for seed, (text, twin_text, digest) in before.items():
        rng = np.random.default_rng(seed)
        scene = sample_scene(rng, jitter=seed % 2 == 1)
        assert caption(scene, rng) == text and caption(twin(scene, rng), rng) == twin_text
        assert hashlib.sha256(render(scene, 32).tobytes()).hexdigest()[:16] == digest
    shapes = World("shapes")
    assert [shapes.sample(np.random.default_rng(i)) for i in range(20)] == \
        [sample_scene(np.random.default_rng(i)) for i in range(20)]
    assert all(isinstance(t, Thing) for i in range(200) for t in shapes.sample(np.random.default_rng(i)).things)


def test_world_names_and_centred_things():
    with pytest.raises(ValueError):
        World("photos")
    pick = ("cat", "apple", "tree")
    centred = World("everyday", pick).centred()
    assert centred == centred_everyday(pick) and len(centred) == 2 * (10 + 9 + 9)  # apple: not on red, tree: green
    assert {s.things[0].noun for s in centred} == set(pick) and {s.things[0].position for s in centred} == {"centre"}
    jittered = centred_everyday(pick, jitter_seed=4)
    assert [replace(s.things[0], dx=0.0, dy=0.0, scale=1.0, angle=0.0) for s in jittered] == \
        [s.things[0] for s in centred]


def test_single_things_and_the_thing_probe_run_end_to_end():
    nouns = ("cat", "apple", "car")
    scenes = single_things(np.random.default_rng(5), 40, nouns)
    assert {s.things[0].noun for s in scenes} == set(nouns) and {s.background for s in scenes} == {"solid"}
    assert all(len(s.things) == 1 and atlas_module.load().entry(s.things[0].noun).color != s.colors[0] for s in scenes)
    probe = train_thing_probe(nouns, steps=3, scenes=24, batch=8)
    seen = read_things(probe, torch.zeros(5, 3, 32, 32))
    assert len(seen) == 5 and set(seen) <= set(nouns)
    assert 0.0 <= held_out_top1(probe, 0, n=6) <= 1.0
