"""unCLIP engine (Ramesh et al. 2022, "Hierarchical Text-Conditional Image Generation with CLIP Latents").

    prompt ─CLIP text─► z_t ─diffusion prior─► z_i ─┐
    image  ─CLIP image────────────────────────► z_i ─┤
                                                     ▼
         decoder (64 px) ─► upsampler 64→256 ─► upsampler 256→1024 ─► image

Public surface:
    load_bundle(spec, device, dtype) -> UnCLIP      a model folder ('default' = the embedded bundle)
    generate(model, request, cancel) -> events      StageStarted, StepDone, ImageReady, Finished, Failed, Cancelled
    serve(model, request, on_event=…) -> last event the one runner: drains the events once
    run(model, request) -> [ImageReady]             the same, to the end; typed errors otherwise
    render_strip(model, strip, …) -> [Frame]        frames of an interpolation or text diff
    TextToImage, ImageVariation, EmbeddingToImage, Settings   the requests
    Stage                                           a stage of the chain as a value
    live_preview(model, request) -> (B, 64, 64, 3)  the live decoder's one-pass guess at a request's 64 px image

torch and open_clip only: this package never imports Qt. Names load on first use (PEP 562), so
`import engine.cli` answers argument errors before torch is imported.
"""
from __future__ import annotations

from importlib import import_module

_HOME = {  # public name → the module that defines it
    "BundleConfig": "config", "BundleError": "weights", "load_bundle": "families", "save_bundle": "families",
    "UserError": "errors", "EngineFailure": "errors", "JobCancelled": "errors",
    "Event": "events", "StageStarted": "events", "StepDone": "events", "ImageReady": "events",
    "Finished": "events", "Failed": "events", "FailureKind": "events", "Cancelled": "events",
    "UnCLIP": "model", "CancelToken": "pipeline", "generate": "pipeline", "resolve_settings": "pipeline",
    "TextToImage": "requests", "ImageVariation": "requests", "EmbeddingToImage": "requests", "Settings": "requests",
    "Frame": "runner", "render_strip": "runner", "run": "runner", "serve": "runner",
    "Stage": "stage", "StageKind": "stage", "Vocabulary": "vocabulary",
    "has_live": "live", "live_preview": "live",
}
__all__ = sorted(_HOME)


def __getattr__(name: str):
    if name not in _HOME:
        raise AttributeError(f"module 'engine' has no attribute {name!r}")
    value = getattr(import_module(f".{_HOME[name]}", __name__), name)
    globals()[name] = value
    return value
