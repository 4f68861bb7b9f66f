"""Karlo's own key maps: its UNets (ResNet and SimpleCrossAttn blocks) and its text_proj → our networks."""
from __future__ import annotations

from ...weights import KeyMap, Rule
from ..hf_keys import UNET_RULES

UNET_MAP = KeyMap(UNET_RULES)

TEXT_PROJ_MAP = KeyMap((
    Rule(r"learned_classifier_free_guidance_embeddings", r"null_image_embed"),
    Rule(r"clip_image_embeddings_project_to_time_embeddings\.(\w+)", r"image_to_time.\1"),
    Rule(r"embedding_proj\.(\w+)", r"text_to_time.\1"),
    Rule(r"clip_extra_context_tokens_proj\.(\w+)", r"image_to_tokens.\1"),
    Rule(r"encoder_hidden_states_proj\.(\w+)", r"text_states_proj.\1"),
    Rule(r"text_encoder_hidden_states_norm\.(\w+)", r"text_states_norm.\1"),
))
