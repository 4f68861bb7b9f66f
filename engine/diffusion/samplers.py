"""Ancestral DDPM and DDIM samplers, the registry of every sampler, and DDIM inversion, as generators of steps.

Every sampler has one signature, `sampler(model_fn, x_T, timesteps, process, noise, **options)`,
and yields a `Step` after each update, so callers can preview, stop or record between steps
(guided-diffusion `p_sample_loop_progressive`; k-diffusion `sampling.py`).
"""
from __future__ import annotations

import math
from typing import Iterator

import torch

from .process import ModelFn, NoiseFn, Process, Step, evaluate, pairs  # noqa: F401 - the samplers' types
from .solvers import dpmpp_2m, unipc

def ddpm_step(process: Process, out: torch.Tensor, x_t: torch.Tensor, t: int, t_prev: int,
              noise: NoiseFn) -> tuple[torch.Tensor, torch.Tensor]:
    """One ancestral step x_t → x_{t_prev}; fixed-small-log or learned-range variance (improved DDPM)."""
    pred, v = process.split(out, x_t)
    x0 = process.pred_x0(x_t, t, pred)
    c_x0, c_xt, var, beta = process.posterior(t, t_prev)
    mean = c_x0 * x0 + c_xt * x_t
    if t <= 0 or t_prev < 0:
        return mean, x0
    if v is None:
        std = torch.tensor(math.sqrt(max(var, 1e-20)), dtype=x_t.dtype)
    else:
        frac = (v + 1) / 2  # v in [-1, 1] interpolates log variance between posterior and beta
        std = torch.exp(0.5 * (frac * math.log(beta) + (1 - frac) * math.log(var)))
    return mean + std * noise(x_t.shape).to(x_t), x0


def ddim_step(process: Process, out: torch.Tensor, x_t: torch.Tensor, t: int, t_prev: int,
              noise: NoiseFn, eta: float = 0.0) -> tuple[torch.Tensor, torch.Tensor]:
    """One DDIM step x_t → x_{t_prev} (Song et al. 2021, eq. 12); eta = 0 is deterministic."""
    pred, _ = process.split(out, x_t)
    x0 = process.pred_x0(x_t, t, pred)
    eps = process.eps(x_t, t, x0)
    a_t, a_prev = process.schedule.alpha_bar(t), process.schedule.alpha_bar(t_prev)
    sigma = eta * math.sqrt((1 - a_prev) / (1 - a_t) * (1 - a_t / a_prev))
    x_prev = math.sqrt(a_prev) * x0 + math.sqrt(max(1 - a_prev - sigma**2, 0.0)) * eps
    if sigma > 0 and t_prev >= 0:
        x_prev = x_prev + sigma * noise(x_t.shape).to(x_t)
    return x_prev, x0


def ddpm(model_fn: ModelFn, x_T: torch.Tensor, timesteps: list[int], process: Process,
         noise: NoiseFn) -> Iterator[Step]:
    """Ancestral sampling over respaced timesteps (Karlo / UnCLIPScheduler)."""
    x = x_T
    for i, t, t_prev in pairs(timesteps):
        x, x0 = ddpm_step(process, evaluate(model_fn, x, t), x, t, t_prev, noise)
        yield Step(i, len(timesteps), t, x, x0)


def ddim(model_fn: ModelFn, x_T: torch.Tensor, timesteps: list[int], process: Process,
         noise: NoiseFn, eta: float = 0.0) -> Iterator[Step]:
    """DDIM sampling over respaced timesteps."""
    x = x_T
    for i, t, t_prev in pairs(timesteps):
        x, x0 = ddim_step(process, evaluate(model_fn, x, t), x, t, t_prev, noise, eta)
        yield Step(i, len(timesteps), t, x, x0)


SAMPLERS = {"ddpm": ddpm, "ddim": ddim, "dpm++2m": dpmpp_2m, "unipc": unipc}  # name → sampler, one signature


def ddim_invert(model_fn: ModelFn, x_0: torch.Tensor, timesteps: list[int], process: Process,
                refine: int = 4) -> Iterator[Step]:
    """Deterministic DDIM inversion x_0 → x_T along the sampler's timesteps, reversed.

    Each step solves x_to = F(x_from, eps(x_to)) by `refine` fixed-point iterations, so that a DDIM
    step from x_to lands back on x_from (refine = 0 is the usual one-evaluation approximation).
    Invert along DDIM-strided steps ("ddim50"): at t = 999 the cosine schedule has alpha_bar ≈ 0 and
    the image cannot be recovered from x_T.
    """
    x, t_from = x_0, -1
    ascending = sorted(timesteps)
    for i, t in enumerate(ascending):
        a_from, a_to = process.schedule.alpha_bar(t_from), process.schedule.alpha_bar(t)
        guess = x
        for _ in range(refine + 1):
            eps = process.model_eps(guess, t, evaluate(model_fn, guess, t))
            x0 = (x - math.sqrt(1 - a_from) * eps) / math.sqrt(a_from)
            guess = math.sqrt(a_to) * x0 + math.sqrt(1 - a_to) * eps
        x, t_from = guess, t
        yield Step(i, len(ascending), t, x, x0)


def run_to_end(steps: Iterator[Step]) -> torch.Tensor:
    """Drain a sampler and return its final sample."""
    last = None
    for last in steps:
        pass
    if last is None:
        raise ValueError("sampler produced no steps")
    return last.x
