"""Sampler math against closed-form facts and diffusers' UnCLIPScheduler."""
import math

import pytest
import torch

from engine.diffusion.guidance import classifier_free
from engine.diffusion.samplers import Process, ddim, ddim_invert, ddim_step, ddpm, ddpm_step, run_to_end
from engine.diffusion.schedule import DiffusionConfig, respace

EPS = DiffusionConfig(clip_range=None)
X0 = DiffusionConfig(prediction="sample", clip_range=None)
zeros = lambda shape: torch.zeros(shape)  # noqa: E731


def noised(process, t, seed=0):
    g = torch.Generator().manual_seed(seed)
    x0, eps = torch.randn(2, 3, 8, 8, generator=g, dtype=torch.float64), torch.randn(2, 3, 8, 8, generator=g,
                                                                                      dtype=torch.float64)
    return x0, eps, process.schedule.q_sample(x0, t, eps)


@pytest.mark.parametrize("t,t_prev", [(999, 958), (500, 458), (41, 0), (0, -1)])
def test_ddim_step_with_true_noise_recovers_x0(t, t_prev):
    p = Process(EPS)
    x0, eps, x_t = noised(p, t)
    x_prev, pred_x0 = ddim_step(p, eps, x_t, t, t_prev, zeros)
    assert torch.allclose(pred_x0, x0, atol=1e-9)
    assert torch.allclose(x_prev, p.schedule.q_sample(x0, t_prev, eps), atol=1e-9)


@pytest.mark.parametrize("t", [999, 500, 3])
def test_v_prediction_with_the_true_v_recovers_x0_even_at_t_999(t):
    p = Process(DiffusionConfig(prediction="v_prediction", clip_range=None))
    x0, eps, x_t = noised(p, t)
    v = p.target(x0, eps, torch.tensor([t]))
    x_prev, pred = ddim_step(p, v, x_t, t, max(t - 41, -1), zeros)
    assert torch.allclose(pred, x0, atol=1e-6)
    assert torch.allclose(p.model_eps(x_t, t, v), eps, atol=1e-3 if t == 999 else 1e-6)


def test_x0_prediction_is_used_as_is():
    p = Process(X0)
    x0, eps, x_t = noised(p, 300)
    _, pred = ddim_step(p, x0, x_t, 300, 200, zeros)
    assert torch.equal(pred, x0)


def test_pred_x0_is_clamped():
    p = Process(DiffusionConfig(prediction="sample", clip_range=5.0))
    x_t = torch.zeros(1, 4, dtype=torch.float64)
    _, pred = ddpm_step(p, torch.full((1, 4), 9.0, dtype=torch.float64), x_t, 500, 400, zeros)
    assert float(pred.max()) == 5.0


@pytest.mark.parametrize("t,t_prev", [(999, 958), (500, 499), (83, 41), (41, 0)])
def test_posterior_marginalises_to_forward_process(t, t_prev):
    """c_x0 + c_xt·sqrt(a_t) = sqrt(a_prev) and c_xt²(1 − a_t) + var = 1 − a_prev (float32 coefficients)."""
    p = Process(EPS)
    c_x0, c_xt, var, _ = p.posterior(t, t_prev)
    a_t, a_prev = p.schedule.alpha_bar(t), p.schedule.alpha_bar(t_prev)
    assert c_x0 + c_xt * math.sqrt(a_t) == pytest.approx(math.sqrt(a_prev), rel=1e-5)
    assert c_xt**2 * (1 - a_t) + var == pytest.approx(1 - a_prev, rel=1e-5)


def test_learned_range_spans_posterior_and_beta():
    p = Process(DiffusionConfig(variance="learned_range", clip_range=None))
    x_t = torch.zeros(1, 3, 2, 2, dtype=torch.float64)
    ones = lambda shape: torch.ones(shape)  # noqa: E731
    _, _, var, beta = p.posterior(500, 458)
    for v, expected in ((-1.0, var), (1.0, beta)):
        out = torch.cat([torch.zeros_like(x_t), torch.full_like(x_t, v)], 1)
        mean, _ = ddpm_step(p, out, x_t, 500, 458, zeros)
        noisy, _ = ddpm_step(p, out, x_t, 500, 458, ones)
        assert torch.allclose(noisy - mean, torch.full_like(x_t, math.sqrt(expected)), rtol=1e-6)


@pytest.mark.parametrize("variance,prediction,clip", [("fixed_small_log", "sample", 5.0),
                                                      ("learned_range", "epsilon", 1.0),
                                                      ("fixed_small_log", "epsilon", 1.0)])
def test_ddpm_steps_equal_unclip_scheduler(variance, prediction, clip):
    """Prior, decoder and upsampler variants, fed the same noise, match diffusers step by step."""
    from diffusers import UnCLIPScheduler
    ref = UnCLIPScheduler(variance_type=variance, prediction_type=prediction, clip_sample_range=clip)
    ref.set_timesteps(25)
    ours = Process(DiffusionConfig(prediction=prediction, variance=variance, clip_range=clip))
    c = 6 if variance == "learned_range" else 3
    g = torch.Generator().manual_seed(1)
    x = torch.randn(2, 3, 8, 8, generator=g)
    steps = ref.timesteps.tolist()
    for i, t in enumerate(steps):
        t_prev = steps[i + 1] if i + 1 < len(steps) else None
        out = torch.randn(2, c, 8, 8, generator=g)
        if variance == "learned_range":
            out[:, 3:] = out[:, 3:].tanh()
        seed = 100 + i
        expected = ref.step(out, t, x, prev_timestep=t_prev, generator=torch.Generator().manual_seed(seed)).prev_sample
        mine, _ = ddpm_step(ours, out, x, t, -1 if t_prev is None else t_prev,
                            lambda shape: torch.randn(shape, generator=torch.Generator().manual_seed(seed)))
        assert (mine - expected).abs().max() < 1e-5, (t, (mine - expected).abs().max())
        x = expected


def gaussian_denoiser(process, mu=0.3, s=0.5):
    """The exact eps-prediction for data ~ N(mu, s² I): a smooth ODE whose DDIM path can be inverted."""
    def model(x_t, t):
        a = process.schedule.alpha_bar(t)
        x0 = mu + math.sqrt(a) * s**2 / (a * s**2 + 1 - a) * (x_t - math.sqrt(a) * mu)
        return (x_t - math.sqrt(a) * x0) / math.sqrt(1 - a)
    return model


def test_ddim_inversion_then_sampling_returns_the_image():
    p = Process(EPS)
    model = gaussian_denoiser(p)
    image = 0.3 + 0.5 * torch.randn(1, 3, 16, 16, generator=torch.Generator().manual_seed(3), dtype=torch.float64)
    timesteps, _ = respace("ddim50")
    x_T = run_to_end(ddim_invert(model, image, timesteps, p))
    assert x_T.std() > 0.9  # whitened to unit variance: noise, no longer the image (std 0.5)
    back = run_to_end(ddim(model, x_T, timesteps, p, zeros))
    assert (back - image).abs().max() < 1e-3


def test_samplers_yield_every_step_in_order():
    p = Process(EPS)
    timesteps, _ = respace(10)
    x = torch.randn(1, 3, 4, 4)
    for sampler in (ddpm, ddim):
        steps = list(sampler(lambda x, t: torch.zeros_like(x), x, timesteps, p, zeros))
        assert [s.t for s in steps] == timesteps and [s.index for s in steps] == list(range(10))
        assert all(s.total == 10 for s in steps)


def test_classifier_free_guidance_in_one_batch():
    calls = []

    def model(x, t):
        calls.append(x.shape[0])
        half = x.shape[0] // 2
        u, c = torch.full((half, 6), 1.0), torch.full((half, 6), 3.0)
        c[:, 3:] = 7.0  # variance channels of the conditional half
        return torch.cat([u, c])

    out = classifier_free(model, 2.5, guided_channels=3)(torch.zeros(4, 3), 10)
    assert calls == [8]
    assert torch.allclose(out[:, :3], torch.full((4, 3), 1 + 2.5 * 2)) and torch.all(out[:, 3:] == 7)
    assert torch.all(classifier_free(model, 1.0)(torch.zeros(2, 3), 0)[:, :3] == 3)
    assert torch.all(classifier_free(model, 0.0)(torch.zeros(2, 3), 0)[:, :3] == 1)
    by_t = classifier_free(model, lambda t: 0.0 if t >= 900 else 2.0)  # a guidance schedule
    assert torch.all(by_t(torch.zeros(2, 3), 950)[:, :3] == 1) and torch.all(by_t(torch.zeros(2, 3), 10)[:, :3] == 5)


def test_layout_schedule_guides_the_first_tenth_differently():
    from engine.stages.decoder import layout_schedule
    assert layout_schedule(4.0, None, 1000) == 4.0 and layout_schedule(4.0, 4.0, 1000) == 4.0
    s = layout_schedule(4.0, 0.5, 1000)
    assert [s(t) for t in (999, 900, 899, 0)] == [0.5, 0.5, 4.0, 4.0]
