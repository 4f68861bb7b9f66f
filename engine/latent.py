"""Arithmetic in CLIP's image-embedding space (Ramesh et al. 2022, §3): slerp, text diffs, mixing, drift.

Pure tensor math on embeddings (D,): no model, no pixels.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

from .diffusion.noise import stage_seed
from .errors import UserError


def slerp(a: torch.Tensor, b: torch.Tensor, t: torch.Tensor | float) -> torch.Tensor:
    """Spherical interpolation of whole vectors (…, D): direction along the great circle, norm linear.

    t = 0 gives a and t = 1 gives b exactly; vectors of equal norm keep it for every t.
    t may be a float or a (N,) tensor, giving (N, …, D).
    """
    t = torch.as_tensor(t, dtype=torch.float64)
    a64, b64 = a.double().flatten(), b.double().flatten()
    na, nb = a64.norm(), b64.norm()
    ua, ub = a64 / na, b64 / nb
    omega = torch.arccos((ua @ ub).clamp(-1, 1))
    tt = t.reshape(-1, 1)
    if omega.abs() < 1e-6:  # (anti)parallel within rounding: the straight line is the arc
        direction = (1 - tt) * ua + tt * ub
    else:
        direction = (torch.sin((1 - tt) * omega) * ua + torch.sin(tt * omega) * ub) / torch.sin(omega)
    out = F.normalize(direction, dim=-1) * ((1 - tt) * na + tt * nb)
    out[tt.flatten() == 0] = a64
    out[tt.flatten() == 1] = b64
    out = out.reshape(*t.shape, *a.shape) if t.dim() else out.reshape(a.shape)
    return out.to(a.dtype)


def text_direction(z_t: torch.Tensor, z_t0: torch.Tensor) -> torch.Tensor:
    """The paper's text diff z_d = normalise(z_t − z_t0) (D,)."""
    d = z_t.double() - z_t0.double()
    if d.norm() < 1e-8:
        raise UserError("the target text and the caption are the same: there is no direction to move in")
    return F.normalize(d, dim=-1).to(z_t.dtype)


def text_diff(z_i: torch.Tensor, z_d: torch.Tensor, theta: torch.Tensor | float) -> torch.Tensor:
    """slerp(z_i, z_d, θ) with z_d scaled to z_i's norm, so only the meaning moves (θ ∈ [0, 0.5])."""
    return slerp(z_i, z_d * z_i.norm() / z_d.norm(), theta)


def mix(embeddings: torch.Tensor, weights: torch.Tensor | list[float]) -> torch.Tensor:
    """Barycentric mix of K embeddings (K, D): weights clipped at 0 and normalised; directions averaged
    on the sphere and the norm averaged with the same weights."""
    w = torch.as_tensor(weights, dtype=torch.float64).clamp(min=0)
    if w.numel() != embeddings.shape[0] or float(w.sum()) <= 0:
        raise UserError("mixing needs one non-negative weight per source, not all zero")
    w = w / w.sum()
    e = embeddings.double()
    norms = e.norm(dim=-1)
    direction = F.normalize((w[:, None] * e / norms[:, None]).sum(0), dim=-1)
    return (direction * (w * norms).sum()).to(embeddings.dtype)


def random_direction(dim: int, seed: int) -> torch.Tensor:
    """A unit vector (D,) drawn from `seed`."""
    g = torch.Generator().manual_seed(stage_seed(seed, "direction"))
    return F.normalize(torch.randn(dim, generator=g, dtype=torch.float64), dim=0).float()


def vary_embedding(z_i: torch.Tensor, amount: float, seed: int) -> torch.Tensor:
    """Variation amount in [0, 1]: 0 keeps z_i (the paper's variations: new noise only); 1 moves it
    halfway along the great circle toward a random direction of the same norm (the image's meaning drifts)."""
    if not 0 <= amount <= 1:
        raise UserError(f"variation amount must be between 0 and 1, got {amount}")
    r = random_direction(z_i.shape[-1], seed).to(z_i) * z_i.norm()
    return slerp(z_i, r, 0.5 * amount)
