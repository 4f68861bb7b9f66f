"""One training loop for every stage: progress bar, loss log, checkpoints, EMA and resume."""
from __future__ import annotations

import json
import sys
import time
from contextlib import nullcontext
from pathlib import Path
from typing import Callable

import torch
from torch import nn
from tqdm import tqdm

from ..cpu import native_bfloat16


class EMA:
    """Exponential moving average of a set of modules' floating-point state (sampling uses the average)."""

    def __init__(self, modules: dict[str, nn.Module], decay: float) -> None:
        self.decay = decay
        self.shadow = {k: {n: t.detach().clone() for n, t in m.state_dict().items()} for k, m in modules.items()}

    @torch.no_grad()
    def update(self, modules: dict[str, nn.Module]) -> None:
        pairs = [(self.shadow[key][name], value) for key, module in modules.items()
                 for name, value in module.state_dict().items()]
        floats = [(avg, value) for avg, value in pairs if avg.is_floating_point()]
        if floats:  # one fused kernel per group on an accelerator, not one launch per tensor
            torch._foreach_lerp_([a for a, _ in floats], [v for _, v in floats], 1 - self.decay)
        for avg, value in pairs:
            if not avg.is_floating_point():
                avg.copy_(value)


def logged_seconds(log: Path, step: float = float("inf")) -> float:
    """Training seconds already spent up to `step`, from the loss log (so times add up across resumes)."""
    seconds = 0.0
    if log.is_file():
        for line in log.read_text().splitlines():
            entry = json.loads(line)
            if entry["step"] <= step:
                seconds = entry["seconds"]
    return seconds


def autocast_pays(device: torch.device) -> bool:
    """Whether bfloat16 autocast speeds training up here: an accelerator, or a CPU with AVX-512 BF16 or AMX."""
    # emulated, it is 14x slower than float32 on AVX2: bench/decoder_training.py --precisions float32 bfloat16
    return device.type != "cpu" or native_bfloat16()


def settled_clock(device: torch.device) -> float:
    """The clock once the device has finished its queued work (steps are timed by what they cost, not queue)."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    return time.time()


def train(name: str, modules: dict[str, nn.Module], step_fn: Callable[[int], torch.Tensor], steps: int,
          run_dir: Path, lr: float = 3e-4, warmup: int = 200, checkpoint_every: int = 250,
          extra_params: list[nn.Parameter] | None = None, ema: float | None = None,
          bf16: bool = False, deadline: float | None = None, probe: int = 100) -> dict[str, nn.Module]:
    """Minimise `step_fn(step)` with AdamW (linear warm-up, cosine decay); resumes from run_dir/name.pt.

    `ema`: keep an average of the weights with this decay and leave it in the modules at the end
    (checkpoints hold both; a run resumed from a checkpoint without one starts the average there).
    `bf16`: run the forward pass under bfloat16 autocast (master weights stay float32); `autocast_pays` says where.
    `deadline` (a `time.time()`): fit the schedule to the time until then: after `probe` steps the run's length
    becomes as many steps as the measured rate fits (at most `steps`), or ends sooner if the budget runs out
    first; a resumed run keeps that length. A run slowed after the measure stops at the deadline all the same,
    with a checkpoint.
    """
    run_dir.mkdir(parents=True, exist_ok=True)
    ckpt, log = run_dir / f"{name}.pt", run_dir / f"{name}.log.jsonl"
    params = [p for m in modules.values() for p in m.parameters()] + list(extra_params or [])
    for m in modules.values():
        m.train().requires_grad_(True)
    device = params[0].device
    opt = torch.optim.AdamW(params, lr=lr, weight_decay=0.01, fused=device.type == "cuda")
    plan = {"steps": steps}  # the schedule's length; a wall-clock budget shortens it once the rate is known
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: min(1.0, (s + 1) / warmup) * 0.5 * (
        1 + torch.cos(torch.tensor(torch.pi * min(s, plan["steps"]) / plan["steps"])).item()) + 0.02)
    start, state = 0, None
    budget_s = None if deadline is None else deadline - time.time()  # work before the loop came out of it
    budgeted = budget_s is not None  # checkpoints then record the length that the budget fixed
    if ckpt.is_file():
        state = torch.load(ckpt, weights_only=True, map_location=device)
        for key, m in modules.items():
            m.load_state_dict(state["modules"][key])
        for p, saved in zip(extra_params or [], state.get("extra", [])):
            p.data.copy_(saved)
        opt.load_state_dict(state["opt"])
        sched.load_state_dict(state["sched"])
        start = state["step"]
        fixed = state.get("budgeted")  # (steps asked, steps the budget fitted); an int in older checkpoints
        if budgeted and fixed is not None and (isinstance(fixed, int) or fixed[0] == steps):
            plan["steps"], budget_s = (fixed if isinstance(fixed, int) else fixed[1]), None  # same run: keep it
    kept = "" if plan["steps"] == steps else f", other than {steps} (whose fitted length it keeps),"
    if start >= plan["steps"]:
        print(f"train {name}: {ckpt} is at step {start}, the end of its schedule: nothing to train; a --steps above "
              f"{start}{kept} goes on with a new schedule", file=sys.stderr)
    elif kept:
        print(f"train {name}: {ckpt} goes on from step {start} to {plan['steps']}, the length fitted earlier; a "
              f"--steps above {start}{kept} fits a new schedule to the time given", file=sys.stderr)
    offset = logged_seconds(log, start) if state is not None else 0.0
    average = EMA(modules, ema) if ema is not None else None
    if average is not None and state is not None and "ema" in state:
        average.shadow = state["ema"]
    autocast = torch.autocast(device.type, dtype=torch.bfloat16) if bf16 else nullcontext()
    bar = tqdm(desc=f"train {name}", file=sys.stderr, initial=start, total=plan["steps"])
    began, running, step = time.time(), None, start
    while step < plan["steps"]:
        if budget_s is not None and step == start + probe // 2:
            halfway = settled_clock(device)
        if budget_s is not None and step == start + probe:
            now = settled_clock(device)
            rate = (now - halfway) / (probe - probe // 2)  # seconds a step, once warmed up
            plan["steps"] = min(steps, max(step + 1, step + int((budget_s - (now - began)) / rate)))
            bar.total = plan["steps"]
            print(f"train {name}: {rate * 1000:.0f} ms a step → to step {plan['steps']} of {steps} "
                  f"({100 * (plan['steps'] - start) / (steps - start):.0f}% of the steps left) in {budget_s:.0f} s",
                  file=sys.stderr)
        with autocast:
            loss = step_fn(step).float()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        sched.step()
        if average is not None:
            average.update(modules)
        value = loss.detach()  # stays on the device: reading it every step would stall the accelerator's queue
        running = value if running is None else 0.98 * running + 0.02 * value
        bar.update()
        step = done = step + 1
        if budget_s is not None and done <= start + probe and time.time() >= deadline:
            plan["steps"] = bar.total = done  # the budget ran out before the rate was measured: stop here
        late = (deadline is not None and (budget_s is None or done > start + probe) and done < plan["steps"]
                and time.time() >= deadline)  # the machine slowed after the rate was measured
        if done % 50 == 0 or done == plan["steps"] or late:
            bar.set_postfix(loss=f"{running.item():.4f}")
            with log.open("a") as f:
                f.write(json.dumps({"step": done, "loss": value.item(), "smooth": running.item(),
                                    "lr": sched.get_last_lr()[0],
                                    "seconds": round(offset + time.time() - began, 1)}) + "\n")
        if done % checkpoint_every == 0 or done == plan["steps"] or late:
            tmp = ckpt.with_suffix(".tmp")
            saved = {"modules": {k: m.state_dict() for k, m in modules.items()}, "opt": opt.state_dict(),
                     "sched": sched.state_dict(), "step": done, "extra": [p.detach() for p in extra_params or []]}
            if budgeted:
                saved["budgeted"] = [steps, plan["steps"]]  # a later segment (more steps asked) fits anew
            if average is not None:
                saved["ema"] = average.shadow
            torch.save(saved, tmp)
            tmp.replace(ckpt)
        if late:  # stop at the deadline; the checkpoint keeps the fitted length, so a resume with time left runs on
            print(f"train {name}: deadline reached at step {done} of {plan['steps']}", file=sys.stderr)
            break
    bar.close()
    for key, m in modules.items():
        if average is not None:
            m.load_state_dict(average.shadow[key])
        m.eval().requires_grad_(False)
    return modules
