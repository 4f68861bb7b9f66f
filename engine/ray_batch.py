"""The batch on a Ray cluster: one model-holding actor per GPU (or per CPU slot), chunks of jobs per call.

Actors restart when their process dies and Ray retries the call they were serving; the driver alone
writes files, named by job key, so a retried chunk can neither duplicate nor lose an image.
"""
from __future__ import annotations

import time
from pathlib import Path
from typing import Callable

from .batch import BATCH_THREADS, Summary, _progress, chunks, pending, render, write
from .errors import UserError
from .jobs import Job


def _ray():
    try:
        import ray
    except ImportError:
        raise UserError("--ray needs Ray, an optional dependency: pip install -e \".[ray]\"") from None
    return ray


def renderer_class(ray):
    """The actor: loads the bundle once, then renders chunks of jobs."""

    @ray.remote(max_restarts=4, max_task_retries=4)
    class Renderer:
        def __init__(self, model: str, device: str, dtype: str, threads: int) -> None:
            import torch

            from .cpu import dtype_named, keep_freed_memory
            from .families import load_bundle
            keep_freed_memory()
            torch.set_num_threads(threads)
            self.model = load_bundle(model, device, dtype_named(dtype, device, exact=True))

        def render(self, jobs: list[Job]) -> list[tuple[str, list | None, str]]:
            out = []
            for job in jobs:
                try:
                    out.append((job.key, render(self.model, job), ""))
                except UserError as err:
                    out.append((job.key, None, str(err)))
                except Exception as err:  # noqa: BLE001 - reported per job, the actor goes on
                    out.append((job.key, None, f"{type(err).__name__}: {err}"))
            return out

    return Renderer


def run_ray(address: str, model: str, device: str, dtype: str, jobs: list[Job], out: Path, chunk: int = 2,
            workers: int | None = None, started: Callable[[list], None] | None = None) -> Summary:
    """Render the jobs on the cluster at `address` ('auto', an address, or 'local' for a fresh local one)."""
    ray = _ray()
    if not ray.is_initialized():
        ray.init(address=None if address == "local" else address, include_dashboard=False, log_to_driver=False)
    summary, begin = Summary(), time.perf_counter()
    out.mkdir(parents=True, exist_ok=True)
    todo = pending(jobs, out, summary)
    gpus = int(ray.cluster_resources().get("GPU", 0)) if device != "cpu" else 0
    slots = gpus or int(ray.cluster_resources().get("CPU", 1))
    n = max(1, min(workers or slots, slots, len(todo) or 1))
    Renderer = renderer_class(ray)
    options = {"num_gpus": 1, "num_cpus": 1} if gpus else {"num_cpus": 1}
    actor_device = ("cuda" if gpus else "cpu") if device == "auto" else device
    actors = [Renderer.options(**options).remote(model, actor_device, dtype, BATCH_THREADS)
              for _ in range(n)]
    if started is not None:
        started(actors)
    by_key = {job.key: job for job in todo}
    queue = list(chunks(todo, chunk))
    running: dict = {}
    with _progress(len(jobs)) as bar:
        bar.update(summary.skipped)
        for actor in actors:
            if queue:
                part = queue.pop(0)
                running[actor.render.remote(part)] = (actor, part)
        while running:
            ready, _ = ray.wait(list(running), num_returns=1)
            ref = ready[0]
            actor, part = running.pop(ref)
            try:
                results = ray.get(ref)
            except ray.exceptions.RayActorError:  # gone for good: another actor takes the chunk
                actors = [a for a in actors if a is not actor]
                if not actors:
                    raise UserError("every Ray worker died; finished images are kept, run the batch again") from None
                queue.insert(0, part)
                actor = actors[0]
            else:
                for key, images, error in results:
                    job = by_key[key]
                    if images is None:
                        summary.failed.append((job.line, error))
                    else:
                        write(job, images, out)
                        summary.done += 1
                        summary.images += len(images)
                    bar.update(1)
            if queue and actor in actors:
                part = queue.pop(0)
                running[actor.render.remote(part)] = (actor, part)
            elif queue:
                spare = next((a for a in actors if all(a is not r[0] for r in running.values())), None)
                if spare is not None:
                    part = queue.pop(0)
                    running[spare.render.remote(part)] = (spare, part)
    for actor in actors:
        ray.kill(actor)
    summary.seconds = time.perf_counter() - begin
    return summary
