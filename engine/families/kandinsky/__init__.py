"""Kandinsky 2.2 in diffusers' layout: kandinsky-community/kandinsky-2-2-decoder (KandinskyV22Pipeline) with its
prior, kandinsky-community/kandinsky-2-2-prior (KandinskyV22PriorPipeline), found beside it (pair.py).

config.py translates both repos' configs (through ../diffusers_configs.py), keys.py maps the UNet's and MoVQ's
tensor names (CLIP and the prior use ../hf_keys.py), load.py assembles the model.
"""
from __future__ import annotations

from ..family import Family
from .config import kandinsky_config
from .load import folders, load
from .pair import DECODER, PRIOR, prior_folder

__all__ = ["FAMILY", "kandinsky_config", "load", "prior_folder"]


def claims(index: dict) -> bool:
    """The decoder's index (the model a user names); the prior is found beside it."""
    return index.get("_class_name") == DECODER


FAMILY = Family("kandinsky", reads=(f"{DECODER} (its {PRIOR} found beside it)",), claims=claims, load=load,
                folders=folders)
