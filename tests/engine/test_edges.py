"""The upsamplers' edge padding: the setting, its plumbing through the chain and records, and what it fixes."""
import numpy as np
import pytest
import torch
import torch.nn.functional as F

import engine
from engine import Settings, TextToImage, UserError, generate, run
from engine.diffusion.noise import PerImageNoise
from engine.diffusion.samplers import SAMPLERS
from engine.diffusion.schedule import respace
from engine.events import drain as drain_events
from engine.record import SCHEMA, migrate, parameters_text, settings_of
from engine.stages.upsampler import edge_margin, edge_padding, upsample
from engine.training.world import render, sample_scene


def drain(gen):
    """What a stage's generator returns, run without autograd (engine.events.drain is the one loop)."""
    with torch.inference_mode():
        return drain_events(gen)


def bare_upsample(first, last, process, image, size, noise, steps, s):
    """The upsampler as it was before the setting (schema ≤ 2): the network on the bare image."""
    low = F.interpolate(image.float(), size=(size, size), mode="bicubic", align_corners=False, antialias=True)
    timesteps, _ = respace(steps, process.schedule.train_steps)

    def model_fn(x_t, t):
        net = last if last is not None and t == timesteps[-1] else first
        return net(torch.cat([x_t, low], dim=1), t)

    x = noise(torch.Size((image.shape[0], 3, size, size)))
    for step in SAMPLERS[s.sampler](model_fn, x, timesteps, process, noise, **s.sampler_options):
        x = step.x
    return x.clamp(-1, 1)


@pytest.mark.parametrize("value", [None, "zero", "reflect"])
def test_the_setting_takes_its_values(value):
    assert Settings(upsampler_padding=value).upsampler_padding == value


@pytest.mark.parametrize("bad", ["mirror", "", 0, True])
def test_other_paddings_are_user_errors(bad):
    with pytest.raises(UserError, match="upsampler padding"):
        Settings(upsampler_padding=bad)


def test_unset_padding_is_the_bundles_way(tiny_model):
    with_last, without = tiny_model.config.upsamplers  # the tiny chain: Karlo-like at 32 px, the default's at 64
    assert (with_last.padding, without.padding) == ("zero", "reflect")
    assert edge_padding(Settings(), with_last) == "zero"  # Karlo's, as diffusers runs it
    assert edge_padding(Settings(), without) == "reflect"
    for value in ("zero", "reflect"):
        assert edge_padding(Settings(upsampler_padding=value), with_last) == value
        assert edge_padding(Settings(upsampler_padding=value), without) == value


def test_the_margin_keeps_the_unets_sides_divisible(tiny_model):
    assert edge_margin(tiny_model.upsamplers[0].first) == 4
    deep = type("Net", (), {"config": type("Config", (), {"channels": (1, 2, 3, 4, 5, 6)})()})()
    assert edge_margin(deep) == 16  # five halvings: sides must stay divisible by 32


@pytest.mark.parametrize("index", [0, 1])
def test_zero_padding_is_the_upsampler_of_before(tiny_model, index):
    up, process = tiny_model.upsamplers[index], tiny_model.process(f"upsampler{index}")
    size = tiny_model.config.upsamplers[index].size
    image = torch.rand(2, 3, size // 2, size // 2, generator=torch.Generator().manual_seed(index)) * 2 - 1
    noise = lambda: PerImageNoise([3, 4], "upsampler")  # noqa: E731
    s = Settings(sampler="ddpm", upsampler_padding="zero")
    with torch.inference_mode():
        before = bare_upsample(up.first, up.last, process, image, size, noise(), 3, s)
    now = drain(upsample(up.first, up.last, process, image, size, noise(), 3, s))
    assert torch.equal(now, before)
    reflect = Settings(sampler="ddpm", upsampler_padding="reflect")
    mirrored = drain(upsample(up.first, up.last, process, image, size, noise(), 3, reflect))
    assert mirrored.shape == before.shape and bool(mirrored.isfinite().all()) and not torch.equal(mirrored, before)


def test_the_setting_reaches_the_upsamplers_and_the_record(tiny_model):
    images = {}
    for value in (None, "zero", "reflect"):
        ready = run(tiny_model, TextToImage("a red circle", seeds=(5,), settings=Settings(upsampler_padding=value)))
        images[value] = ready[0].image
        meta = ready[0].metadata
        assert meta["schema"] == SCHEMA == 3 and meta["settings"]["upsampler_padding"] == value
        assert settings_of(migrate(meta)).upsampler_padding == value
        assert parameters_text(meta).startswith("a red circle\n")
    assert not np.array_equal(images["zero"], images["reflect"])
    decoded = [run(tiny_model, TextToImage("a red circle", seeds=(5,), settings=Settings(size=16, upsampler_padding=v)))
               for v in ("zero", "reflect")]
    assert np.array_equal(decoded[0][0].image, decoded[1][0].image)  # the decoder's image: only upsamplers change


@pytest.mark.parametrize("schema", [1, 2])
def test_older_records_migrate_to_the_bare_image(schema):
    settings = {"decoder_steps": 4, "decoder_guidance": 2.0, "sampler": "ddpm"}
    record = {"kind": "text2image", "prompt": "p", "seed": 1, "settings": dict(settings)}
    if schema == 2:
        record["schema"] = 2
    new = migrate(record)
    assert new["schema"] == 3 and new["settings"]["upsampler_padding"] == "zero"
    assert settings_of(new).upsampler_padding == "zero"
    assert record["settings"] == settings and record.get("schema", 1) == schema  # the input is left as it was
    assert migrate({"schema": 3, "settings": {"upsampler_padding": None}})["settings"]["upsampler_padding"] is None
    assert migrate({"schema": 3, "settings": {}})["settings"] == {}  # a job line: the model's defaults


def test_a_record_of_before_replays_its_pixels(tiny_model, monkeypatch):
    """An image made before the setting (the bare image) is made again from its schema-2 record."""
    with monkeypatch.context() as m:  # the engine of before: every upsampler on the bare image
        m.setattr("engine.pipeline.upsample", bare_upsample_gen)
        old = run(tiny_model, TextToImage("a green star", seeds=(9,), settings=Settings(decoder_steps=3)))[0]
    record = {**old.metadata, "schema": 2,
              "settings": {k: v for k, v in old.metadata["settings"].items() if k != "upsampler_padding"}}
    again = run(tiny_model, TextToImage(record["prompt"], (record["seed"],), settings_of(migrate(record))))[0]
    assert np.array_equal(again.image, old.image)
    now = run(tiny_model, TextToImage(record["prompt"], (record["seed"],), Settings(decoder_steps=3)))[0]
    assert not np.array_equal(now.image, old.image)  # today's default mirrors the edges of the last upsampler


def bare_upsample_gen(first, last, process, image, size, noise, steps, s):
    result = bare_upsample(first, last, process, image, size, noise, steps, s)
    yield from ()
    return result


def edge_ratio(x: torch.Tensor) -> float:
    """Spread of the outermost rows/columns' step to their inner neighbours over the interior's same spread."""
    rows, cols = x[..., 1:, :] - x[..., :-1, :], x[..., :, 1:] - x[..., :, :-1]
    edge = torch.cat([rows[..., 0, 1:-1].flatten(), rows[..., -1, 1:-1].flatten(),
                      cols[..., 1:-1, 0].flatten(), cols[..., 1:-1, -1].flatten()])
    inner = torch.cat([rows[..., 2:-2, 1:-1].flatten(), cols[..., 1:-1, 2:-2].flatten()])
    return float(edge.std() / inner.std())


def test_the_default_evens_the_embedded_upsamplers_edges():
    """The embedded 64 → 256 upsampler on 16 px crops of world renders (its training task, a quarter of it)."""
    model = engine.load_bundle("default", "cpu", torch.float32)
    assert [edge_padding(Settings(), u) for u in model.config.upsamplers] == ["reflect", "reflect"]
    rng = np.random.default_rng(0)
    lows = []
    for _ in range(6):
        cx, cy = rng.integers(0, 4, 2)
        lows.append(render(sample_scene(rng), 16, (cx / 4, cy / 4, (cx + 1) / 4, (cy + 1) / 4)))
    low = torch.from_numpy(np.stack(lows)).permute(0, 3, 1, 2).float() / 127.5 - 1  # (6, 3, 16, 16)
    up, process = model.upsamplers[0], model.process("upsampler0")
    ratios = {}
    for value in ("zero", None):
        x = drain(upsample(up.first, up.last, process, low, 64, PerImageNoise(list(range(6)), "edges"), 7,
                           Settings(sampler="ddpm", upsampler_padding=edge_padding(Settings(upsampler_padding=value),
                                                                   model.config.upsamplers[0]))))
        ratios[value] = edge_ratio(x)
    assert ratios["zero"] > 1.4 and ratios[None] < 1.1, ratios
