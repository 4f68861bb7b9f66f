"""The evaluation's judges: the probe (trained, cached, gated) and the object geometry that tells moves apart."""
from pathlib import Path

import numpy as np
import torch

from engine.training.judging import moved_or_resized, object_geometry, probe_gate
from engine.training.world import Scene, Thing, render


def test_probe_reads_slots_and_is_cached(tmp_path):
    from engine.training.probe import read, renders, targets, train_probe
    from engine.training.data import to_unit
    probe = train_probe(2, 0, batch_size=4, scenes=8, cache=tmp_path)
    again = train_probe(2, 0, batch_size=4, scenes=8, cache=tmp_path)
    assert all(torch.equal(a, b) for a, b in zip(probe.state_dict().values(), again.state_dict().values()))
    scene = Scene((Thing("star", "red", "small", "left"), Thing("ring", "blue", "medium", "top")), "solid",
                  ("white", "black"))
    y = targets([scene])
    assert y["slot_shape"][0].tolist().count(8) == 7 and y["slot_color"][0].tolist().count(-100) == 7
    seen = read(probe, to_unit(renders([scene])), objects=2)
    assert len(seen[0]["pairs"]) <= 2 and seen[0]["bg_kind"] in ("solid", "gradient", "stripes", "dots")


def test_a_jitter_probe_is_its_own_cache_and_is_checked_on_jittered_renders(tmp_path):
    from engine.training.probe import held_out_accuracy, train_probe
    plain = train_probe(2, 0, batch_size=4, scenes=8, cache=tmp_path)
    loose = train_probe(2, 0, batch_size=4, scenes=8, cache=tmp_path, jitter=True)
    assert {p.name for p in tmp_path.iterdir()} == {"probe-0-2-4-8.pt", "probe-0-2-4-8-j5-12-10-20.pt"}
    assert not all(torch.equal(a, b) for a, b in zip(plain.state_dict().values(), loose.state_dict().values()))
    assert set(held_out_accuracy(loose, 0, 10, jitter=True)) == set(held_out_accuracy(loose, 0, 10))


def test_a_probe_trained_off_the_cpu_is_cached_under_its_device():
    from engine.training.probe import probe_file
    names = [probe_file(Path("c"), 8000, 0, 64, 48000, j, d).name for j, d in
             ((False, "cpu"), (True, "cuda:1"), (False, "mps"))]
    assert names == ["probe-0-8000-64-48000.pt", "probe-0-8000-64-48000-j5-12-10-20-cuda.pt",
                     "probe-0-8000-64-48000-mps.pt"]


def test_moved_or_resized_reads_the_object_not_the_noise():

    def pixels(size: str, place: str) -> torch.Tensor:
        px = render(Scene((Thing("heart", "red", size, place),), "solid", ("blue", "white")), 256)
        return torch.from_numpy(np.array(px)).permute(2, 0, 1)[None].float() / 127.5 - 1  # (1, 3, 256, 256)

    centre, left, large, again = object_geometry(torch.cat([
        pixels("medium", "centre"), pixels("medium", "left"), pixels("large", "centre"), pixels("medium", "centre")]))
    assert abs(centre[1] - 32) < 3 and abs(centre[2] - 32) < 3 and centre[0] > 50
    assert moved_or_resized(centre, left) and left[2] < centre[2]  # moved left
    assert moved_or_resized(centre, large) and large[0] > 1.25 * centre[0]  # resized in place
    assert not moved_or_resized(centre, again)
    noisy = pixels("medium", "centre") + 0.03 * torch.randn(1, 3, 256, 256, generator=torch.Generator().manual_seed(0))
    assert not moved_or_resized(centre, object_geometry(noisy)[0])  # edge and texture noise is no move


def test_the_probe_gate_names_each_attribute_and_renders_that_missed_it():
    assert probe_gate({"": {"shape": 1.0, "pairs": 0.98}}) == "passed"
    got = probe_gate({"": {"shape": 1.0, "pairs": 0.976}, " (jittered)": {"shape": 0.99, "pairs": 0.944}})
    assert got.startswith("FAILED on pairs, pairs (jittered):")


def _unit(scenes: list[Scene], size: int = 64) -> torch.Tensor:
    """Renders as (N, 3, size, size) in [-1, 1]."""
    return torch.stack([torch.from_numpy(np.array(render(s, size))).permute(2, 0, 1) for s in scenes]).float() / 127.5 - 1


def test_position_is_read_from_the_asked_colour_on_any_background():
    from engine.training.miss_rows import colour_centres, nearest_position, on_side
    from engine.training.world import POSITIONS
    backgrounds = [("solid", ("blue", "white")), ("gradient", ("red", "white")), ("gradient", ("yellow", "black")),
                   ("stripes", ("black", "white")), ("dots", ("green", "purple"))]
    scenes = [Scene((Thing("heart", "pink" if colours == ("red", "white") else "orange", "small", place),), kind, colours)
              for place in POSITIONS for kind, colours in backgrounds]
    centres = colour_centres(_unit(scenes, 128), ["pink" if s.colors == ("red", "white") else "orange" for s in scenes])
    for scene, centre in zip(scenes, centres):
        place = scene.things[0].position
        assert nearest_position(centre) == place and on_side(centre, place), (scene, centre)
    assert colour_centres(_unit(scenes[:1]), ["pink"]) == [None]  # no such object: not found, never on a side
    assert not on_side(None, "left") and nearest_position(None) is None
    assert on_side((0.3, 0.9), "left") and not on_side((0.6, 0.5), "left") and on_side((0.9, 0.2), "top right")
    assert on_side((0.55, 0.45), "centre") and not on_side((0.3, 0.5), "centre") and on_side((0.2, 0.3), "top")
    assert not on_side((0.45, 0.55), "bottom") and not on_side((0.2, 0.45), "top left")  # the middle is no side


def test_the_largest_component_leaves_stray_pixels_out():
    from engine.training.miss_rows import largest_component
    mask = np.zeros((8, 8), bool)
    mask[1:4, 1:4] = True
    mask[6, 6] = mask[7, 0] = True
    assert largest_component(mask).sum() == 9 and not largest_component(mask)[6, 6]
    band = np.eye(32, dtype=bool) | np.eye(32, k=1, dtype=bool)  # 63 pixels along a diagonal, a gradient's band
    band[20:24, 2:6] = True  # 16 pixels of an object
    assert largest_component(band).sum() == 63 and largest_component(band, 0.2).sum() == 16
    assert not largest_component(np.zeros((4, 4), bool)).any()


def test_miss_rows_have_a_value_per_position_and_shape(tiny_model, tmp_path):
    from engine.requests import Settings
    from engine.training.miss_rows import miss_rows
    from engine.training.probe import train_probe
    from engine.training.world import POSITIONS, SHAPES
    probe = train_probe(2, 0, batch_size=4, scenes=8, cache=tmp_path)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # 17 tiny runs of a few ms each: threads only wait on each other
    try:
        table = miss_rows(tiny_model, probe, 0, 1, Settings(prior_steps=2, decoder_steps=2, upsampler_steps=2),
                          checks=20)
    finally:
        torch.set_num_threads(threads)
    assert table.pop("position judge (20 held-out renders)") == {"on the named side": 1.0, "at the named place": 1.0}
    assert list(table) == [f"position, {k} (1 prompt each, 16 px)" for k in (
        "on the asked side", "at the asked place", "object of its colour found",
        "distance from the middle (mean, share of the side)")] + [
        f"two objects by shape, {k} (1 prompt each, 16 px)" for k in ("both objects right", "this shape in its colour")]
    for name, row in table.items():
        assert list(row) == list(POSITIONS if name.startswith("position") else SHAPES)
        assert all(0 <= v <= 1 for v in row.values())


def test_eval_runs_the_miss_rows_alone(tiny_bundle, tmp_path):
    import json

    from engine.cli import main
    threads = torch.get_num_threads()
    try:
        assert main(["eval", "--model", str(tiny_bundle), "--rows", "misses", "--misses", "1", "--probe-steps", "2",
                     "--probe-scenes", "8", "--probe-cache", "", "--threads", "1", "--out", str(tmp_path / "t.json")]) == 0
    finally:
        torch.set_num_threads(threads)
    table = json.loads((tmp_path / "t.json").read_text())
    assert list(table)[:3] == ["seed", "probe (held-out renders)", "probe gate (≥ 98% per attribute)"]
    assert [k.split(" (")[0] for k in list(table)[3:]] == [
        "position judge", "position, on the asked side", "position, at the asked place",
        "position, object of its colour found", "position, distance from the middle",
        "two objects by shape, both objects right",
        "two objects by shape, this shape in its colour", "seconds"]
    assert main(["eval", "--rows", "misses", "--misses", "0"]) == 2
