"""Schedules and respacing against closed forms and the reference library."""
import math

import pytest
import torch

from engine.diffusion.schedule import DiffusionConfig, Schedule, cosine_betas, linear_betas, respace


def test_cosine_alpha_bar_matches_closed_form():
    s = Schedule(cosine_betas())
    f = lambda t: math.cos((t / 1000 + 0.008) / 1.008 * math.pi / 2) ** 2  # noqa: E731
    for t in (0, 10, 500, 900):  # below the 0.999 cap, alpha_bar_t = f(t + 1) / f(0)
        assert s.alpha_bar(t) == pytest.approx(f(t + 1) / f(0), rel=1e-6)  # held in float32
    assert s.alpha_bar(-1) == 1.0
    assert float(s.betas.max()) <= 0.999 + 1e-7


def test_cosine_matches_diffusers_squaredcos_cap_v2():
    from diffusers.schedulers.scheduling_ddpm import betas_for_alpha_bar
    ref = betas_for_alpha_bar(1000).double()
    assert torch.allclose(cosine_betas(), ref, rtol=1e-6, atol=1e-9)


def test_linear_schedule_endpoints_and_monotone():
    b = linear_betas(1000)
    assert float(b[0]) == pytest.approx(1e-4) and float(b[-1]) == pytest.approx(0.02)
    assert torch.all(Schedule(b).alphas_cumprod.diff() < 0)


def test_respacing_like_karlo():
    steps, ddim = respace("25")
    assert not ddim and len(steps) == 25 and steps[0] == 999 and steps[-1] == 0
    assert len(set(steps)) == 25 and 166 in steps  # 4 · 41.625 = 166.5 rounds half to even, as numpy
    assert steps == [int(v) for v in torch.round(torch.arange(25, dtype=torch.float64) * 999 / 24).flip(0)]


def test_respacing_matches_unclip_scheduler():
    from diffusers import UnCLIPScheduler
    ref = UnCLIPScheduler()
    for n in (7, 25, 64):
        ref.set_timesteps(n)
        assert respace(n)[0] == ref.timesteps.tolist()


def test_ddim_spec_strides_evenly():
    steps, ddim = respace("ddim25")
    assert ddim and steps == list(range(960, -1, -40))


@pytest.mark.parametrize("bad", ["", "abc", "0", "1001", "ddim999", "-5"])
def test_bad_step_specs_are_rejected(bad):
    with pytest.raises(ValueError):
        respace(bad)


def test_config_rejects_unknown_names():
    with pytest.raises(ValueError):
        DiffusionConfig(prediction="v")


@pytest.mark.parametrize("prediction", ["epsilon", "v_prediction", "sample"])
def test_min_snr_loss_is_the_clipped_snr_times_the_x0_error(prediction):
    """Process.loss(min_snr=γ): each sample's error, read back as an x_0 error, weighed by min(SNR_t, γ)."""
    from engine.diffusion.process import Process

    process = Process(DiffusionConfig(prediction=prediction))
    g = torch.Generator().manual_seed(0)
    x0, eps, out = (torch.randn(6, 3, 4, 4, generator=g) for _ in range(3))
    t = torch.tensor([0, 50, 300, 600, 900, 990])
    plain = process.loss(out, x0, eps, t)
    assert plain == pytest.approx(float(((out - process.target(x0, eps, t)) ** 2).mean()), rel=1e-6)
    weighed = []
    for i, ti in enumerate(t.tolist()):
        a = process.schedule.alpha_bar(ti)
        x_t = math.sqrt(a) * x0[i] + math.sqrt(1 - a) * eps[i]
        x0_hat = process.pred_x0(x_t, ti, out[i], clamp=False)
        weighed.append(min(a / (1 - a), 5.0) * float(((x0_hat - x0[i]) ** 2).mean()))
    assert float(process.loss(out, x0, eps, t, min_snr=5.0)) == pytest.approx(sum(weighed) / len(weighed), rel=1e-4)
