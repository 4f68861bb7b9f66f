"""Several seeds in one request run as one batch: one network forward a step for all of them, each image's noise
drawn from its own seed exactly as alone, each image within CPU kernel rounding of its single-seed render."""
import numpy as np
import pytest
import torch

from engine import Settings, TextToImage, generate, run
from engine.diffusion.noise import PerImageNoise
from engine.pipeline import seeded_noise

SEEDS = (3, 4, 5)
SETTINGS = Settings(size=32)


def forwards(model, request) -> dict[str, list[int]]:
    """The batch size of every forward of each network while the request runs."""
    seen, hooks = {}, []
    for name, network in model.modules().items():
        if name != "clip":
            hooks.append(network.register_forward_hook(
                lambda module, args, out, name=name: seen.setdefault(name, []).append(args[0].shape[0])))
    try:
        run(model, request)
    finally:
        for hook in hooks:
            hook.remove()
    return seen


def test_every_stage_runs_all_seeds_in_one_forward_a_step(tiny_model):
    s = tiny_model.config
    seen = forwards(tiny_model, TextToImage("a red circle", seeds=SEEDS, settings=SETTINGS))
    guided = 2 * len(SEEDS)  # classifier-free guidance: the empty caption's half and the caption's, together
    assert seen["prior"] == [guided] * s.prior.steps
    assert seen["decoder"] == [guided] * s.decoder.steps
    up = s.upsamplers[0]
    assert seen["upsampler0.first"] == [len(SEEDS)] * (up.steps - 1) and seen["upsampler0.last"] == [len(SEEDS)]
    assert "upsampler1.first" not in seen  # 32 px asked: the 64 px stage does not run


def drawn(model, seeds) -> dict[str, list[torch.Tensor]]:
    """Every noise tensor each stage draws while a request for `seeds` runs, in order."""
    draws, source = {}, seeded_noise(list(seeds), model.device)

    def factory(stage):
        noise = source(stage)

        def draw(shape):
            x = noise(shape)
            draws.setdefault(stage.noise_name, []).append(x.clone())
            return x
        return draw

    for _ in generate(model, TextToImage("a red circle", seeds=seeds, settings=Settings(size=32, sampler="ddpm")),
                      noise=factory):
        pass
    return draws


def test_each_seed_draws_the_noise_it_draws_alone(tiny_model):
    batch = drawn(tiny_model, SEEDS)
    assert batch and all(len(v) > 1 for v in batch.values())  # x_T and the ddpm sampler's noise each step
    for i, seed in enumerate(SEEDS):
        alone = drawn(tiny_model, (seed,))
        assert alone.keys() == batch.keys()
        for stage, draws in batch.items():
            assert all(torch.equal(b[i], a[0]) for b, a in zip(draws, alone[stage], strict=True)), stage


def test_per_image_noise_does_not_depend_on_the_other_seeds():
    shape = torch.Size((3, 3, 8, 8))
    together = PerImageNoise(list(SEEDS), "decoder")(shape)
    for i, seed in enumerate(SEEDS):
        assert torch.equal(together[i], PerImageNoise([seed], "decoder")(torch.Size((1, *shape[1:])))[0])


@pytest.fixture(scope="module")
def renders(tiny_model):
    request = TextToImage("a red circle", seeds=SEEDS, settings=SETTINGS)
    batch = [im.image for im in run(tiny_model, request)]
    again = [im.image for im in run(tiny_model, request)]
    alone = [run(tiny_model, TextToImage("a red circle", seeds=(seed,), settings=SETTINGS))[0].image
             for seed in SEEDS]
    return batch, again, alone


def test_a_batch_renders_the_same_pixels_every_time(renders):
    batch, again, _ = renders
    assert all(np.array_equal(a, b) for a, b in zip(batch, again))


def test_each_image_of_a_batch_is_within_rounding_of_its_single_seed_render(renders):
    """Not bit-identical on a CPU: oneDNN and MKL choose their convolution and matrix kernels by batch size (a
    (B, C) Linear and the small convolutions), so a batched image can sit a level or two away on a few pixels."""
    batch, _, alone = renders
    for b, a in zip(batch, alone):
        diff = np.abs(b.astype(int) - a.astype(int))
        assert diff.max() <= 4 and (diff.max(-1) > 0).mean() < 0.05
    assert not np.array_equal(alone[0], alone[1])  # and the seeds do differ
