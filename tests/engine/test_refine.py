"""Strips refined where neighbouring frames differ most: positions, records, and the CLI's --plan."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from engine import Settings
from engine.explore import Source, interpolation
from engine.refine import jump, largest_jump, render_refined


def test_jump_is_rms_pixels():
    a, b = np.zeros((8, 8, 3), np.uint8), np.full((8, 8, 3), 255, np.uint8)
    assert jump(a, a) == 0 and jump(a, b) == pytest.approx(1.0)
    assert largest_jump([a, a, b]) == pytest.approx(1.0)


def test_new_frames_go_between_the_most_different_neighbours(tiny_model):
    strip = interpolation(tiny_model, Source(text="a red circle"), Source(text="a blue square"), 5, 3,
                          Settings(size=16))
    frames = render_refined(tiny_model, strip, 5, key="k")
    positions = [f.record["position"] for f in frames]
    assert positions[0] == 0 and positions[-1] == 1 and positions == sorted(positions) and len(set(positions)) == 5
    assert [f.record["frame"] for f in frames] == list(range(5)) and {f.record["frames"] for f in frames} == {5}
    # every inner position is a midpoint of two positions rendered before it: a dyadic fraction
    assert all((p * 2 ** 4).is_integer() for p in positions)
    # the same path rendered at a refined position gives the same pixels as the even plan at that position
    even = interpolation(tiny_model, Source(text="a red circle"), Source(text="a blue square"), 3, 3,
                         Settings(size=16))
    assert torch.allclose(even.at(torch.tensor([0.5])).embeds, even.embeds[1:2])


def test_the_cli_plan_refined_writes_every_frame(tmp_path, tiny_bundle):
    from engine.cli import main
    out = tmp_path / "frames"
    assert main(["interpolate", "text:a red circle", "text:a blue square", "--frames", "4", "--plan", "refined",
                 "--model", str(tiny_bundle), "--out", str(out), "--size", "16"]) == 0
    assert len(list(out.glob("*.png"))) == 4
