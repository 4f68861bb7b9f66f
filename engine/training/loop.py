"""One training loop for every stage: progress bar, loss log, checkpoints and resume."""
from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Callable

import torch
from torch import nn
from tqdm import tqdm


def train(name: str, modules: dict[str, nn.Module], step_fn: Callable[[int], torch.Tensor], steps: int,
          run_dir: Path, lr: float = 3e-4, warmup: int = 200, checkpoint_every: int = 250,
          extra_params: list[nn.Parameter] | None = None) -> dict[str, nn.Module]:
    """Minimise `step_fn(step)` with AdamW (linear warm-up, cosine decay); resumes from run_dir/name.pt."""
    run_dir.mkdir(parents=True, exist_ok=True)
    ckpt, log = run_dir / f"{name}.pt", run_dir / f"{name}.log.jsonl"
    params = [p for m in modules.values() for p in m.parameters()] + list(extra_params or [])
    for m in modules.values():
        m.train().requires_grad_(True)
    opt = torch.optim.AdamW(params, lr=lr, weight_decay=0.01)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: min(1.0, (s + 1) / warmup) * 0.5 * (
        1 + torch.cos(torch.tensor(torch.pi * min(s, steps) / steps)).item()) + 0.02)
    start = 0
    if ckpt.is_file():
        state = torch.load(ckpt, weights_only=True)
        for key, m in modules.items():
            m.load_state_dict(state["modules"][key])
        for p, saved in zip(extra_params or [], state.get("extra", [])):
            p.data.copy_(saved)
        opt.load_state_dict(state["opt"])
        sched.load_state_dict(state["sched"])
        start = state["step"]
    bar = tqdm(range(start, steps), desc=f"train {name}", file=sys.stderr, initial=start, total=steps)
    began, running = time.time(), None
    for step in bar:
        loss = step_fn(step)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        sched.step()
        value = float(loss)
        running = value if running is None else 0.98 * running + 0.02 * value
        bar.set_postfix(loss=f"{running:.4f}")
        done = step + 1
        if done % 50 == 0 or done == steps:
            with log.open("a") as f:
                f.write(json.dumps({"step": done, "loss": value, "smooth": running, "lr": sched.get_last_lr()[0],
                                    "seconds": round(time.time() - began, 1)}) + "\n")
        if done % checkpoint_every == 0 or done == steps:
            tmp = ckpt.with_suffix(".tmp")
            torch.save({"modules": {k: m.state_dict() for k, m in modules.items()}, "opt": opt.state_dict(),
                        "sched": sched.state_dict(), "step": done,
                        "extra": [p.detach() for p in extra_params or []]}, tmp)
            tmp.replace(ckpt)
    for m in modules.values():
        m.eval().requires_grad_(False)
    return modules
