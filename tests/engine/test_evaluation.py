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
