"""High-order multistep solvers in data prediction: DPM-Solver++(2M) and UniPC (bh2), with the samplers'
one signature, so every stage can sample in fewer steps (Lu et al. 2022, arXiv:2211.01095; Zhao et al. 2023,
arXiv:2302.04867). Both run on the stage's own timesteps, the last step landing on x_0 (σ = 0).

In the notation of the papers: α_t = sqrt(ᾱ_t), σ_t = sqrt(1 − ᾱ_t), λ_t = log(α_t / σ_t); x0_t is the
network's data prediction at t (clamped as the process is trained), h = λ_t − λ_s the step in log-SNR.
"""
from __future__ import annotations

import math
from typing import Iterator

import torch

from .process import ModelFn, NoiseFn, Process, Step, evaluate, pairs

ORDER = 2


def _coefficients(process: Process, t: int) -> tuple[float, float, float]:
    """(α_t, σ_t, λ_t) at timestep t; t = −1 is the clean sample (σ = 0, λ = +∞)."""
    a = process.schedule.alpha_bar(t)
    alpha, sigma = math.sqrt(a), math.sqrt(max(1.0 - a, 0.0))
    return alpha, sigma, (math.inf if sigma == 0 else math.log(alpha) - math.log(sigma))


def _x0(process: Process, model_fn: ModelFn, x: torch.Tensor, t: int) -> torch.Tensor:
    """The network's data prediction x0_t at (x, t)."""
    pred, _ = process.split(evaluate(model_fn, x, t), x)
    return process.pred_x0(x, t, pred)


def dpmpp_2m(model_fn: ModelFn, x_T: torch.Tensor, timesteps: list[int], process: Process,
             noise: NoiseFn) -> Iterator[Step]:
    """DPM-Solver++(2M), midpoint form: first order on the first and the last step, second order between."""
    x, history = x_T, []  # history: (λ_s, x0_s) of the previous step
    for i, t, t_prev in pairs(timesteps):
        x0 = _x0(process, model_fn, x, t)
        _, sigma_s, lam_s = _coefficients(process, t)
        alpha_t, sigma_t, lam_t = _coefficients(process, t_prev)
        h = lam_t - lam_s
        phi = math.expm1(-h)  # e^{−h} − 1
        ratio = sigma_t / sigma_s
        d = x0
        if history and t_prev >= 0:  # 2M: D = x0_s + (x0_s − x0_{s−1}) / (2 r), r = h_{s−1} / h
            lam_prev, x0_prev = history
            r = (lam_s - lam_prev) / h
            d = x0 + (x0 - x0_prev) / (2 * r)
        x = ratio * x - alpha_t * phi * d
        history = (lam_s, x0)
        yield Step(i, len(timesteps), t, x, x0)


def _bh2_weights(rks: list[float], hh: float, order: int) -> tuple[torch.Tensor, torch.Tensor, float, float]:
    """UniPC's bh2 system: R (order × order) of r_k^(i−1), b_i = i!·φ_{i+1}(hh)/B(h), and φ_1, B(h)."""
    h_phi_1 = math.expm1(hh)
    b_h = h_phi_1  # bh2: B(h) = e^{hh} − 1
    h_phi_k, factorial = h_phi_1 / hh - 1, 1
    rows, b = [], []
    for i in range(1, order + 1):
        rows.append([rk ** (i - 1) for rk in rks])
        b.append(h_phi_k * factorial / b_h)
        factorial *= i + 1
        h_phi_k = h_phi_k / hh - 1 / factorial
    return torch.tensor(rows, dtype=torch.float64), torch.tensor(b, dtype=torch.float64), h_phi_1, b_h


def _uni_update(x: torch.Tensor, x0_s: torch.Tensor, older: list[tuple[float, torch.Tensor]], s: tuple,
                t: tuple, order: int, x0_t: torch.Tensor | None = None) -> torch.Tensor:
    """UniP (x0_t None: predict x_t) or UniC (x0_t given: correct x_t) from x at s, bh2 variant."""
    (_, sigma_s, lam_s), (alpha_t, sigma_t, lam_t) = s, t
    h = lam_t - lam_s
    rks, d1s = [], []
    for lam_i, x0_i in older[: order - 1]:
        rk = (lam_i - lam_s) / h
        rks.append(rk)
        d1s.append((x0_i - x0_s) / rk)
    rks.append(1.0)
    r_matrix, b, h_phi_1, b_h = _bh2_weights(rks, -h, order)
    out = sigma_t / sigma_s * x - alpha_t * h_phi_1 * x0_s
    if x0_t is None:  # predictor: order 2 uses ρ = ½, higher orders solve the system
        if not d1s:
            return out
        rhos = [0.5] if order == 2 else torch.linalg.solve(r_matrix[:-1, :-1], b[:-1]).tolist()
        return out - alpha_t * b_h * sum(rho * d for rho, d in zip(rhos, d1s))
    rhos = [0.5] if order == 1 else torch.linalg.solve(r_matrix, b).tolist()
    res = sum((rho * d for rho, d in zip(rhos[:-1], d1s)), torch.zeros_like(x))
    return out - alpha_t * b_h * (res + rhos[-1] * (x0_t - x0_s))


def unipc(model_fn: ModelFn, x_T: torch.Tensor, timesteps: list[int], process: Process,
          noise: NoiseFn) -> Iterator[Step]:
    """UniPC (bh2, order 2): a predictor step, then at the next evaluation a corrector of the point it reached."""
    x, history, last, order = x_T, [], None, 1  # history: (λ, x0), newest first; last: (x_s, s coefficients)
    for i, t, t_prev in pairs(timesteps):
        x0 = _x0(process, model_fn, x, t)
        here = _coefficients(process, t)
        if last is not None:  # UniC: correct x with the new evaluation, from the previous point
            x_s, s = last
            x = _uni_update(x_s, history[0][1], history[1:], s, here, order, x0_t=x0)
        history = [(here[2], x0)] + history[: ORDER - 1]
        order = min(ORDER, len(timesteps) - i, len(history))
        last = (x, here)
        x = _uni_update(x, x0, history[1:], here, _coefficients(process, t_prev), order)
        yield Step(i, len(timesteps), t, x, x0)
