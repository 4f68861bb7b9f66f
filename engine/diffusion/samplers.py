"""Ancestral DDPM and DDIM samplers, and DDIM inversion, as generators of steps.

Every sampler has one signature, `sampler(model_fn, x_T, timesteps, process, noise, **options)`,
and yields a `Step` after each update, so callers can preview, stop or record between steps
(guided-diffusion `p_sample_loop_progressive`; k-diffusion `sampling.py`).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable, Iterator

import torch

from .schedule import DiffusionConfig, Schedule

ModelFn = Callable[[torch.Tensor, int], torch.Tensor]  # (x_t, t) -> eps or x0 [+ variance channels]
NoiseFn = Callable[[torch.Size], torch.Tensor]  # shape -> N(0, I) noise, float32 on the sample's device


@dataclass(frozen=True)
class Step:
    """One finished sampler update: x at the next timestep and the model's current guess of x_0."""

    index: int  # 0-based
    total: int
    t: int  # the timestep the model was evaluated at
    x: torch.Tensor  # x_{t_prev}, same shape as x_T
    pred_x0: torch.Tensor


class Process:
    """A trained diffusion process: schedule plus what the network predicts."""

    def __init__(self, config: DiffusionConfig, schedule: Schedule | None = None):
        self.config = config
        self.schedule = schedule or Schedule.from_config(config)

    def split(self, out: torch.Tensor, x_t: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Separate the prediction from learned-variance channels, if the network has them."""
        c = x_t.shape[1]
        if self.config.variance == "learned_range" and out.shape[1] == 2 * c:
            return out[:, :c], out[:, c:]
        return out, None

    def pred_x0(self, x_t: torch.Tensor, t: int, pred: torch.Tensor, clamp: bool = True) -> torch.Tensor:
        """x_0 from the network's prediction, clamped to the trained range."""
        a = self.schedule.alpha_bar(t)
        if self.config.prediction == "sample":
            x0 = pred
        elif self.config.prediction == "v_prediction":  # Salimans & Ho 2022: x0 = sqrt(a)·x_t − sqrt(1 − a)·v
            x0 = math.sqrt(a) * x_t - math.sqrt(1 - a) * pred
        else:
            x0 = (x_t - math.sqrt(1 - a) * pred) / math.sqrt(a)
        r = self.config.clip_range
        return x0 if r is None or not clamp else x0.clamp(-r, r)

    def target(self, x_0: torch.Tensor, eps: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        """What the network is trained to output for x_0 noised with eps at timesteps t (B,)."""
        if self.config.prediction == "epsilon":
            return eps
        if self.config.prediction == "sample":
            return x_0
        a = self.schedule.alpha_bars(t, x_0)
        return a.sqrt() * eps - (1 - a).sqrt() * x_0

    def eps(self, x_t: torch.Tensor, t: int, x0: torch.Tensor) -> torch.Tensor:
        """The noise implied by x_t and x_0 at timestep t."""
        a = self.schedule.alpha_bar(t)
        return (x_t - math.sqrt(a) * x0) / math.sqrt(1 - a)

    def model_eps(self, x_t: torch.Tensor, t: int, out: torch.Tensor) -> torch.Tensor:
        """The network's own eps estimate (no clamp), for deterministic inversion."""
        pred, _ = self.split(out, x_t)
        if self.config.prediction == "epsilon":
            return pred
        return self.eps(x_t, t, self.pred_x0(x_t, t, pred, clamp=False))

    def posterior(self, t: int, t_prev: int) -> tuple[float, float, float, float]:
        """Coefficients of q(x_{t_prev} | x_t, x_0) for a respaced step: (c_x0, c_xt, variance, beta).

        Computed in float32 as Karlo's diffusers port does: at t = 999, alpha = 1 − beta ≈ 6e-7 is
        rounded coarsely there, and matching that rounding keeps whole runs equal to the reference.
        """
        f32 = lambda v: torch.tensor(v, dtype=torch.float32)  # noqa: E731
        a_t, a_prev = f32(self.schedule.alpha_bar(t)), f32(self.schedule.alpha_bar(t_prev))
        beta = f32(float(self.schedule.betas[t])) if t_prev == t - 1 else 1 - a_t / a_prev
        c_x0 = a_prev.sqrt() * beta / (1 - a_t)
        c_xt = (1 - beta).sqrt() * (1 - a_prev) / (1 - a_t)
        return float(c_x0), float(c_xt), float((1 - a_prev) / (1 - a_t) * beta), float(beta)


def _pairs(timesteps: list[int]) -> Iterator[tuple[int, int, int]]:
    """(index, t, t_prev) along descending timesteps; the last step goes to t = -1 (x_0)."""
    for i, t in enumerate(timesteps):
        yield i, t, timesteps[i + 1] if i + 1 < len(timesteps) else -1


def _evaluate(model_fn: ModelFn, x: torch.Tensor, t: int) -> torch.Tensor:
    """Run the network and bring its output to the sampler's precision."""
    return model_fn(x, t).to(x.dtype)


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
    for i, t, t_prev in _pairs(timesteps):
        x, x0 = ddpm_step(process, _evaluate(model_fn, x, t), x, t, t_prev, noise)
        yield Step(i, len(timesteps), t, x, x0)


def ddim(model_fn: ModelFn, x_T: torch.Tensor, timesteps: list[int], process: Process,
         noise: NoiseFn, eta: float = 0.0) -> Iterator[Step]:
    """DDIM sampling over respaced timesteps."""
    x = x_T
    for i, t, t_prev in _pairs(timesteps):
        x, x0 = ddim_step(process, _evaluate(model_fn, x, t), x, t, t_prev, noise, eta)
        yield Step(i, len(timesteps), t, x, x0)


SAMPLERS = {"ddpm": ddpm, "ddim": ddim}


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
            eps = process.model_eps(guess, t, _evaluate(model_fn, guess, t))
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
