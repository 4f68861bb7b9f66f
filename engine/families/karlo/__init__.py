"""Karlo v1 alpha in diffusers' layout (UnCLIPPipeline / UnCLIPImageVariationPipeline) → our networks.

config.py translates every component's config to our frozen configs, keys.py (with ../hf_keys.py) maps
diffusers' and transformers' tensor names to ours, load.py assembles the model.
"""
from __future__ import annotations

from ..family import Family
from .config import PIPELINES, karlo_config
from .load import assemble, load

__all__ = ["FAMILY", "PIPELINES", "assemble", "karlo_config", "load"]


def claims(index: dict) -> bool:
    """A diffusers unCLIP pipeline: text→image, or image variations."""
    return index.get("_class_name") in PIPELINES


FAMILY = Family("karlo", reads=PIPELINES, claims=claims, load=load)
