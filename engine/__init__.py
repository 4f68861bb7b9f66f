"""unCLIP engine (Ramesh et al. 2022, "Hierarchical Text-Conditional Image Generation with CLIP Latents").

    prompt ─CLIP text─► z_t ─diffusion prior─► z_i ─┐
    image  ─CLIP image────────────────────────► z_i ─┤
                                                     ▼
         decoder (64 px) ─► upsampler 64→256 ─► upsampler 256→1024 ─► image

Public surface:
    load_bundle(spec, device, dtype) -> UnCLIP      a model folder ('default' = the embedded bundle)
    generate(model, request, cancel) -> events      StageStarted, StepDone, ImageReady, Finished, Failed, Cancelled
    run(model, request) -> [ImageReady]             the same, to the end
    TextToImage, ImageVariation, EmbeddingToImage, Settings   the requests

torch and open_clip only: this package never imports Qt.
"""
from .bundles import BundleError, load_bundle, save_bundle
from .config import BundleConfig
from .errors import UserError
from .events import Cancelled, Event, Failed, Finished, ImageReady, StageStarted, StepDone
from .model import UnCLIP
from .pipeline import CancelToken, generate, resolve_settings, run
from .requests import EmbeddingToImage, ImageVariation, Settings, TextToImage

__all__ = [
    "BundleConfig", "BundleError", "CancelToken", "Cancelled", "EmbeddingToImage", "Event", "Failed", "Finished",
    "ImageReady", "ImageVariation", "Settings", "StageStarted", "StepDone", "TextToImage", "UnCLIP", "UserError",
    "generate", "load_bundle", "resolve_settings", "run", "save_bundle",
]
