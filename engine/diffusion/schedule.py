"""Noise schedules and timestep respacing (Nichol & Dhariwal 2021; guided-diffusion `respace.py`)."""
from __future__ import annotations

import math
import re
from dataclasses import dataclass

import torch

TRAIN_STEPS = 1000


@dataclass(frozen=True)
class DiffusionConfig:
    """How a network was trained: its schedule, what it predicts, its variance, its x0 clamp."""

    schedule: str = "squaredcos_cap_v2"  # or "linear"
    train_steps: int = TRAIN_STEPS
    prediction: str = "epsilon"  # or "sample" (x0), or "v_prediction" (v = sqrt(a)·eps − sqrt(1 − a)·x0)
    variance: str = "fixed_small_log"  # or "learned_range"
    clip_range: float | None = 1.0  # clamp pred_x0 to [-r, r]; None = no clamp

    def __post_init__(self) -> None:
        if self.schedule not in ("squaredcos_cap_v2", "linear"):
            raise ValueError(f"unknown schedule {self.schedule!r}")
        if self.prediction not in ("epsilon", "sample", "v_prediction"):
            raise ValueError(f"unknown prediction type {self.prediction!r}")
        if self.variance not in ("fixed_small_log", "learned_range"):
            raise ValueError(f"unknown variance type {self.variance!r}")


def cosine_betas(steps: int = TRAIN_STEPS, max_beta: float = 0.999) -> torch.Tensor:
    """Cosine schedule, alpha_bar(t) = cos²((t/T + s)/(1 + s) · π/2), s = 0.008 (improved DDPM eq. 17)."""

    def alpha_bar(u: float) -> float:
        return math.cos((u + 0.008) / 1.008 * math.pi / 2) ** 2

    betas = [min(1 - alpha_bar((i + 1) / steps) / alpha_bar(i / steps), max_beta) for i in range(steps)]
    return torch.tensor(betas, dtype=torch.float64)


def linear_betas(steps: int = TRAIN_STEPS) -> torch.Tensor:
    """Linear schedule of DDPM, scaled so that any T spans the same noise range (guided-diffusion)."""
    scale = 1000 / steps
    return torch.linspace(scale * 1e-4, scale * 0.02, steps, dtype=torch.float64)


class Schedule:
    """alpha_bar_t over the training steps, indexable by integer timestep (t = -1 gives 1).

    betas and their cumulative product are rounded through float32, exactly as the reference
    schedulers hold them, so samplers agree with diffusers to float32 precision; stored as float64.
    """

    def __init__(self, betas: torch.Tensor):
        b32 = betas.to(torch.float32)
        self.betas = b32.to(torch.float64)  # (T,)
        self.alphas_cumprod = torch.cumprod(1 - b32, dim=0).to(torch.float64)  # (T,) alpha_bar_t

    @classmethod
    def from_config(cls, config: DiffusionConfig) -> "Schedule":
        """The schedule a DiffusionConfig names."""
        make = cosine_betas if config.schedule == "squaredcos_cap_v2" else linear_betas
        return cls(make(config.train_steps))

    @property
    def train_steps(self) -> int:
        return len(self.betas)

    def alpha_bar(self, t: int) -> float:
        """alpha_bar_t, with alpha_bar_{-1} = 1 (the clean image)."""
        return 1.0 if t < 0 else float(self.alphas_cumprod[t])

    def alpha_bars(self, t: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
        """alpha_bar at per-sample timesteps t (B,), float32, shaped (B, 1, …) to broadcast over `like`.

        Indexed on t's device, so a batch of timesteps on a GPU is never copied back to the host.
        """
        a = self.alphas_cumprod.to(t.device, torch.float32)[t].to(like.device)
        return a.view(-1, *([1] * (like.dim() - 1)))

    def q_sample(self, x_0: torch.Tensor, t: int, eps: torch.Tensor) -> torch.Tensor:
        """Forward process q(x_t | x_0) = N(sqrt(a) x_0, (1 - a) I)."""
        a = self.alpha_bar(t)
        return math.sqrt(a) * x_0 + math.sqrt(1 - a) * eps


def respace(spec: str | int, train_steps: int = TRAIN_STEPS) -> tuple[list[int], bool]:
    """Timesteps to sample, descending, and whether the spec asks for DDIM.

    "25" → 25 steps at round(i·(T-1)/24), as Karlo and diffusers' UnCLIPScheduler;
    "ddim25" → the evenly strided DDIM steps of guided-diffusion (T must divide evenly).
    """
    text = str(spec).strip().lower()
    match = re.fullmatch(r"(ddim)?(\d+)", text)
    if not match:
        raise ValueError(f"bad step count {spec!r}: expected a number such as 25 or ddim25")
    use_ddim, n = bool(match.group(1)), int(match.group(2))
    if not 1 <= n <= train_steps:
        raise ValueError(f"step count must be between 1 and {train_steps}, got {n}")
    if use_ddim:
        strides = [s for s in range(1, train_steps + 1) if len(range(0, train_steps, s)) == n]
        if not strides:
            raise ValueError(f"cannot make exactly {n} evenly strided DDIM steps out of {train_steps}")
        steps = list(range(0, train_steps, strides[0]))
    elif n == 1:
        steps = [train_steps - 1]
    else:
        ratio = (train_steps - 1) / (n - 1)
        steps = torch.round(torch.arange(n, dtype=torch.float64) * ratio).long().tolist()
    return sorted(steps, reverse=True), use_ddim
