"""The host CPU: `auto` precision follows native bfloat16 support; glibc keeps freed memory for reuse."""
import json
import platform

import numpy as np
import pytest
import torch
from PIL import Image

from engine import cpu
from engine.cli import main


@pytest.mark.parametrize("native, expected", [(True, torch.bfloat16), (False, torch.float32)])
def test_auto_precision_follows_native_bfloat16(monkeypatch, tiny_bundle, tmp_path, native, expected):
    monkeypatch.setattr(cpu, "native_bfloat16", lambda: native)
    assert cpu.default_dtype("cuda") == torch.float16 and cpu.default_dtype("cpu") == expected
    out = tmp_path / "a.png"
    assert main(["generate", "a red circle", "--model", str(tiny_bundle), "--seed", "1", "--out", str(out)]) == 0
    assert json.loads(Image.open(out).text["unclip"])["dtype"] == str(expected).removeprefix("torch.")


def test_bfloat16_renders_the_float32_image():
    """The faster precision changes rounding, not the picture (the embedded default, 64 px)."""
    from engine import Settings, TextToImage, load_bundle, run
    request = TextToImage("a large red circle on a blue background", seeds=(3,), settings=Settings(size=64))
    a, b = (run(load_bundle("default", "cpu", dtype), request)[0].image.astype(float)
            for dtype in (torch.float32, torch.bfloat16))
    assert np.abs(a - b).mean() < 2 and not np.array_equal(a, b)  # of 255


def test_clip_stays_float32_on_a_cpu(tiny_bundle):
    from engine import load_bundle
    model = load_bundle(str(tiny_bundle), "cpu", torch.bfloat16)
    assert model.dtype == torch.bfloat16 and next(model.clip.towers.parameters()).dtype == torch.float32
    model.to("cpu", torch.float16)
    assert model.dtype == torch.float16 and next(model.clip.towers.parameters()).dtype == torch.float32


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="glibc's mallopt")
def test_keep_freed_memory_is_accepted_by_glibc():
    assert cpu.keep_freed_memory() is True
