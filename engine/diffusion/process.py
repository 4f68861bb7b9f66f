"""A trained diffusion process (schedule and what the network predicts) and the step type every sampler yields."""
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

    def loss(self, out: torch.Tensor, x_0: torch.Tensor, eps: torch.Tensor, t: torch.Tensor,
             min_snr: float | None = None) -> torch.Tensor:
        """Mean squared error of the network's output against its target; per-sample timesteps t (B,).

        `min_snr` = gamma weighs each sample as min(SNR_t, gamma) times its x_0 error (Hang et al. 2023), so the
        nearly clean steps, where v- and eps-prediction put most weight, stop drowning out the noisy ones.
        """
        err = (out.float() - self.target(x_0, eps, t).float()).pow(2).mean(dim=tuple(range(1, out.dim())))  # (B,)
        if min_snr is None:
            return err.mean()
        a = self.schedule.alpha_bars(t, err).clamp(max=1 - 1e-6)
        snr = a / (1 - a)
        implied = {"epsilon": snr, "v_prediction": snr + 1, "sample": torch.ones_like(snr)}[self.config.prediction]
        return (err * snr.clamp(max=min_snr) / implied.clamp(min=1e-6)).mean()

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


def pairs(timesteps: list[int]) -> Iterator[tuple[int, int, int]]:
    """(index, t, t_prev) along descending timesteps; the last step goes to t = -1 (x_0)."""
    for i, t in enumerate(timesteps):
        yield i, t, timesteps[i + 1] if i + 1 < len(timesteps) else -1


def evaluate(model_fn: ModelFn, x: torch.Tensor, t: int) -> torch.Tensor:
    """Run the network and bring its output to the sampler's precision."""
    return model_fn(x, t).to(x.dtype)
