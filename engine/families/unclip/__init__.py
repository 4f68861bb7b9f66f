"""The project's own bundles (format "unclip-studio/1"): our frozen configs as JSON, our state dicts as
safetensors under an identity key map; the embedded default is one of them."""
from __future__ import annotations

from ..family import Family
from .layout import FORMAT, default_bundle_path, embedded_bundle, embedded_bundles, embedded_title
from .load import bundle_config, load
from .save import save_bundle, save_live

__all__ = ["FAMILY", "FORMAT", "bundle_config", "default_bundle_path", "embedded_bundle", "embedded_bundles",
           "embedded_title", "load", "save_bundle", "save_live"]


def claims(index: dict) -> bool:
    """An index written by `save_bundle`."""
    return index.get("format") == FORMAT


FAMILY = Family("unclip-studio", reads=(f"{FORMAT} bundles",), claims=claims, load=load)
