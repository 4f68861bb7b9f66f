"""The procedural world: scenes, captions, twins, renders, jitter, and the scene sets drawn from it."""
from dataclasses import replace

import numpy as np
import torch

from engine.training.data import render_all, scene_set
from engine.training.world import (COLORS, JITTER, POSITIONS, SHAPES, SIZES, Scene, Thing, caption, centred_scenes,
                                   render, sample_scene, twin)


def test_world_is_deterministic_and_varied():
    a = [sample_scene(np.random.default_rng(5)) for _ in range(1)]
    b = [sample_scene(np.random.default_rng(5)) for _ in range(1)]
    assert a == b
    scenes = [sample_scene(np.random.default_rng(i)) for i in range(400)]
    things = [t for s in scenes for t in s.things]
    assert {t.shape for t in things} == set(SHAPES) and {t.color for t in things} == set(COLORS)
    assert {t.size for t in things} == set(SIZES) and {t.position for t in things} == set(POSITIONS)
    assert {s.background for s in scenes} == {"solid", "gradient", "stripes", "dots"}
    assert {len(s.things) for s in scenes} == {1, 2, 3}
    assert np.array_equal(render(scenes[0], 32), render(scenes[0], 32))


def test_required_caption_forms_occur():
    scene = Scene((Thing("star", "red", "large", "left"),), "solid", ("blue", "white"))
    forms = {caption(scene, np.random.default_rng(i)) for i in range(200)}
    assert "a large red star on a blue background" in forms and "a red star on the left" in forms
    two = Scene((Thing("heart", "orange", "small", "left"), Thing("ring", "cyan", "small", "right")), "solid",
                ("black", "white"))
    assert "an orange heart and a cyan ring" in {caption(two, np.random.default_rng(i)) for i in range(200)}


def test_twins_change_one_attribute_and_keep_the_phrasing():
    rng = np.random.default_rng(0)
    changed = {"shape": 0, "color": 0, "size": 0, "binding": 0}
    for _ in range(400):
        scene = sample_scene(rng)
        other = twin(scene, rng)
        assert other != scene or len({t.color for t in scene.things}) < len(scene.things)  # a swap of equal colours
        assert other.background == scene.background and other.colors == scene.colors
        diffs = [(a, b) for a, b in zip(scene.things, other.things) if a != b]
        if len(diffs) == 2:
            (a, b), (c, d) = diffs
            assert (b.color, d.color) == (c.color, a.color) and (a.shape, c.shape) == (b.shape, d.shape)
            changed["binding"] += 1
        elif diffs:
            (a, b), = diffs
            fields = [f for f in ("shape", "color", "size", "position") if getattr(a, f) != getattr(b, f)]
            assert len(fields) == 1 and b.color not in scene.colors[:1]
            changed[fields[0]] += 1
    assert changed["shape"] > max(changed["color"], changed["size"], changed["binding"]) and min(changed.values()) > 0
    one = Scene((Thing("star", "red", "large", "left"),), "solid", ("blue", "white"))
    k = 7
    assert caption(one, np.random.default_rng(k)).replace("star", "X") == caption(
        Scene((Thing("heart", "red", "large", "left"),), "solid", ("blue", "white")),
        np.random.default_rng(k)).replace("heart", "X")


def test_render_is_antialiased_and_windows_agree():
    scene = Scene((Thing("circle", "red", "large", "centre"),), "solid", ("blue", "white"))
    image = render(scene, 64)
    assert image.shape == (64, 64, 3) and image.dtype == np.uint8
    assert len({tuple(p) for p in image.reshape(-1, 3)}) > 2  # edge pixels blend red and blue
    assert tuple(image[32, 32]) == COLORS["red"] and tuple(image[1, 1]) == COLORS["blue"]
    crop = render(scene, 16, (0.5, 0.5, 0.75, 0.75))  # the window equals the matching crop of the whole,
    diff = np.abs(crop.astype(int) - render(scene, 64)[32:48, 32:48].astype(int))  # up to edge rasterisation
    assert diff.mean() < 1.0 and diff.max() <= 16


def test_centred_world_is_every_single_centred_object_on_a_plain_background():
    scenes = centred_scenes()
    assert len(scenes) == len(set(scenes)) == len(SHAPES) * len(COLORS) * (len(COLORS) - 1) * 2
    things = [s.things[0] for s in scenes]
    assert {len(s.things) for s in scenes} == {1} and {s.background for s in scenes} == {"solid"}
    assert {t.position for t in things} == {"centre"} and {t.size for t in things} == {"medium", "large"}
    assert all(s.things[0].color != s.colors[0] for s in scenes)


def test_mixed_world_draws_a_quarter_centred_objects(tmp_path):
    data = scene_set(40, 8, 0, cache=tmp_path, world="mixed")
    assert len(data.scenes) == data.pixels.shape[0] == 40 + len(centred_scenes())
    assert data.scenes[40:] == centred_scenes() and (tmp_path / "centred-8.npy").is_file()
    drawn = data.draw(4000, torch.Generator().manual_seed(0))
    assert 0.22 < (drawn >= 40).float().mean() < 0.28


def test_a_favoured_shape_is_drawn_twice_as_often_in_any_world(tmp_path):
    data = scene_set(40, 8, 0, cache=tmp_path, world="mixed", favour="heart")
    hearts = torch.tensor([any(t.shape == "heart" for t in s.things) for s in data.scenes])
    base = scene_set(40, 8, 0, cache=tmp_path, world="mixed").weights
    ratio = data.weights / base
    assert torch.allclose(ratio[hearts] / ratio[~hearts].mean(), torch.tensor(2.0)) and 0.999 < data.weights.sum() < 1.001


def test_jitter_moves_turns_and_resizes_what_captions_do_not_name(tmp_path):
    named = [sample_scene(np.random.default_rng(i)) for i in range(200)]
    loose = [sample_scene(np.random.default_rng(i), jitter=True) for i in range(200)]
    plain = lambda s: replace(s, phase=0.0, things=tuple(Thing(t.shape, t.color, t.size, t.position) for t in s.things))
    assert [plain(s) for s in loose] == named  # the same named scenes: jitter is drawn after them
    things = [t for s in loose for t in s.things]
    assert max(abs(t.dx) for t in things) <= JITTER["offset"] and max(abs(t.angle) for t in things) <= JITTER["angle"]
    assert all(abs(t.scale - 1) <= JITTER["scale"] for t in things) and len({round(t.angle, 3) for t in things}) > 100
    stripes = [s.phase for s in loose if s.background == "stripes"]  # half a period would swap the two colours
    assert stripes and max(abs(p) for p in stripes) <= JITTER["stripes"] < 0.25
    assert all(np.array_equal(render(plain(s), 16), render(n, 16)) for s, n in zip(loose[:20], named[:20]))
    differ = [np.abs(render(s, 32).astype(int) - render(n, 32)).mean() > 0.5 for s, n in zip(loose[:20], named[:20])]
    assert sum(differ) >= 18
    data = scene_set(30, 8, 0, cache=tmp_path, jitter=True)
    rng = np.random.default_rng(0)
    assert data.scenes == [sample_scene(rng, jitter=True) for _ in range(30)]
    assert (tmp_path / "scenes-0-30-j5-12-10-20-8.npy").is_file()


def test_jitter_combines_with_the_mixed_world_and_keeps_each_centred_scene(tmp_path):
    mixed = scene_set(20, 8, 3, cache=tmp_path, world="mixed", jitter=True)
    centred = mixed.scenes[20:]
    plain = lambda s: replace(s, phase=0.0, things=tuple(Thing(t.shape, t.color, t.size, t.position) for t in s.things))
    assert [plain(s) for s in centred] == centred_scenes() and centred == centred_scenes(3)
    assert len({s.things[0].dx for s in centred}) == 1440 and mixed.weights[20:].sum() > 0.24
    assert {p.name for p in tmp_path.iterdir()} == {"scenes-3-20-j5-12-10-20-8.npy", "centred-3-j5-12-10-20-8.npy"}


def test_a_worker_pool_renders_the_same_bytes_in_order():
    rng = np.random.default_rng(4)
    scenes = [sample_scene(rng, jitter=True) for _ in range(40)]
    alone = render_all(scenes, 32, workers=1)
    pooled = render_all(scenes * 60, 32, workers=2)  # 2,400 scenes: over POOL_FROM, so a pool renders them
    assert len(pooled) == 2400 and all(np.array_equal(a, b) for a, b in zip(alone * 60, pooled))
