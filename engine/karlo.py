"""Karlo v1 alpha in diffusers' layout (UnCLIPPipeline / UnCLIPImageVariationPipeline) → our networks.

Every component's config is translated to our frozen configs (unsupported variants are refused by
name) and its weights go through an explicit key map (diffusers / transformers names → ours).
"""
from __future__ import annotations

from pathlib import Path

import torch

from .config import BundleConfig, ClipConfig, DecoderStageConfig, PriorStageConfig, UpsamplerStageConfig
from .diffusion.schedule import DiffusionConfig
from .model import UnCLIP, Upsampler, clip_dtype
from .nn.conditioning import ConditioningConfig, DecoderConditioning
from .nn.transformer import PriorConfig, PriorTransformer
from .nn.unet import UNet, UNetConfig
from .stages.embed import ClipEncoder, ClipTowers
from .weights import BundleError, KeyMap, Rule, load_module, read_files, weight_files

PIPELINES = ("UnCLIPPipeline", "UnCLIPImageVariationPipeline")
DIFFUSERS_STEMS = ("diffusion_pytorch_model", "diffusion_pytorch_model.fp16")
TRANSFORMERS_STEMS = ("model", "pytorch_model", "model.fp16")

# --- key maps ------------------------------------------------------------------------------------
TIME_RULES = (  # diffusers' TimestepEmbedding → our TimestepMLP, in the prior and every UNet
    Rule(r"time_embedding\.linear_1\.(\w+)", r"time_embed.fc1.\1"),
    Rule(r"time_embedding\.linear_2\.(\w+)", r"time_embed.fc2.\1"),
)

PRIOR_MAP = KeyMap(TIME_RULES + (
    Rule(r"proj_in\.(\w+)", r"image_in.\1"),
    Rule(r"embedding_proj\.(\w+)", r"text_embed_in.\1"),
    Rule(r"encoder_hidden_states_proj\.(\w+)", r"text_states_in.\1"),
    Rule(r"positional_embedding", r"pos_embed"),
    Rule(r"prd_embedding", r"query"),
    Rule(r"transformer_blocks\.(\d+)\.norm1\.(\w+)", r"blocks.\1.ln_1.\2"),
    Rule(r"transformer_blocks\.(\d+)\.attn1\.to_(q|k|v)\.(\w+)", r"blocks.\1.attn.\2.\3"),
    Rule(r"transformer_blocks\.(\d+)\.attn1\.to_out\.0\.(\w+)", r"blocks.\1.attn.out.\2"),
    Rule(r"transformer_blocks\.(\d+)\.norm3\.(\w+)", r"blocks.\1.ln_2.\2"),
    Rule(r"transformer_blocks\.(\d+)\.ff\.net\.0\.proj\.(\w+)", r"blocks.\1.fc.\2"),
    Rule(r"transformer_blocks\.(\d+)\.ff\.net\.2\.(\w+)", r"blocks.\1.proj.\2"),
    Rule(r"norm_out\.(\w+)", r"final_ln.\1"),
    Rule(r"proj_to_clip_embeddings\.(\w+)", r"out.\1"),
    Rule(r"clip_(mean|std)", r"clip_\1"),
))

_RESNET = {"norm1": "norm1", "conv1": "conv1", "time_emb_proj": "time_proj", "norm2": "norm2", "conv2": "conv2",
           "conv_shortcut": "skip"}
_ATTENTION = {"group_norm": "norm", "to_q": "q", "to_k": "k", "to_v": "v", "add_k_proj": "context_k",
              "add_v_proj": "context_v", r"to_out\.0": "out"}


def _unet_rules() -> tuple[Rule, ...]:
    rules = [*TIME_RULES,
             Rule(r"conv_in\.(\w+)", r"conv_in.\1"),
             Rule(r"conv_norm_out\.(\w+)", r"norm_out.\1"),
             Rule(r"conv_out\.(\w+)", r"conv_out.\1")]
    for src, dst in (("down_blocks", "down"), ("up_blocks", "up")):
        sampler = "downsamplers" if src == "down_blocks" else "upsamplers"
        for a, b in _RESNET.items():
            rules.append(Rule(rf"{src}\.(\d+)\.resnets\.(\d+)\.{a}\.(\w+)", rf"{dst}.\1.resnets.\2.{b}.\3"))
            rules.append(Rule(rf"{src}\.(\d+)\.{sampler}\.0\.{a}\.(\w+)", rf"{dst}.\1.resample.{b}.\2"))
        for a, b in _ATTENTION.items():
            rules.append(Rule(rf"{src}\.(\d+)\.attentions\.(\d+)\.{a}\.(\w+)", rf"{dst}.\1.attentions.\2.{b}.\3"))
    for a, b in _RESNET.items():
        rules.append(Rule(rf"mid_block\.resnets\.(\d+)\.{a}\.(\w+)", rf"mid.resnets.\1.{b}.\2"))
    for a, b in _ATTENTION.items():
        rules.append(Rule(rf"mid_block\.attentions\.0\.{a}\.(\w+)", rf"mid_attention.{b}.\1"))
    return tuple(rules)


UNET_MAP = KeyMap(_unet_rules())

TEXT_PROJ_MAP = KeyMap((
    Rule(r"learned_classifier_free_guidance_embeddings", r"null_image_embed"),
    Rule(r"clip_image_embeddings_project_to_time_embeddings\.(\w+)", r"image_to_time.\1"),
    Rule(r"embedding_proj\.(\w+)", r"text_to_time.\1"),
    Rule(r"clip_extra_context_tokens_proj\.(\w+)", r"image_to_tokens.\1"),
    Rule(r"encoder_hidden_states_proj\.(\w+)", r"text_states_proj.\1"),
    Rule(r"text_encoder_hidden_states_norm\.(\w+)", r"text_states_norm.\1"),
))


def _encoder_rules(src: str, dst: str) -> tuple[Rule, ...]:
    """transformers' CLIP encoder layers → open_clip residual blocks (q, k, v fused into in_proj)."""
    layer = rf"{src}\.encoder\.layers\.(\d+)"
    block = rf"{dst}.transformer.resblocks.\1"
    return (
        Rule(rf"{layer}\.self_attn\.(q|k|v)_proj\.weight", rf"{block}.attn.in_proj_weight", None),
        Rule(rf"{layer}\.self_attn\.(q|k|v)_proj\.bias", rf"{block}.attn.in_proj_bias", None),
        Rule(rf"{layer}\.self_attn\.out_proj\.(\w+)", rf"{block}.attn.out_proj.\2"),
        Rule(rf"{layer}\.layer_norm1\.(\w+)", rf"{block}.ln_1.\2"),
        Rule(rf"{layer}\.layer_norm2\.(\w+)", rf"{block}.ln_2.\2"),
        Rule(rf"{layer}\.mlp\.fc1\.(\w+)", rf"{block}.mlp.c_fc.\2"),
        Rule(rf"{layer}\.mlp\.fc2\.(\w+)", rf"{block}.mlp.c_proj.\2"),
    )


def _qkv(rules: tuple[Rule, ...]) -> tuple[Rule, ...]:
    """Expand the fused in-projection rules into one rule per q, k and v."""
    out = []
    for r in rules:
        if "(q|k|v)" in r.pattern:
            out += [Rule(r.pattern.replace("(q|k|v)", p), r.target, p) for p in "qkv"]
        else:
            out.append(r)
    return tuple(out)


TEXT_MAP = KeyMap(_qkv(_encoder_rules(r"text_model", "text")) + (
    Rule(r"text_model\.embeddings\.token_embedding\.weight", r"text.token_embedding.weight"),
    Rule(r"text_model\.embeddings\.position_embedding\.weight", r"text.positional_embedding"),
    Rule(r"text_model\.final_layer_norm\.(\w+)", r"text.ln_final.\1"),
    Rule(r"text_projection\.weight", r"text.text_projection", "T"),
), skip=r".*position_ids")

VISION_MAP = KeyMap(_qkv(_encoder_rules(r"vision_model", "visual")) + (
    Rule(r"vision_model\.embeddings\.class_embedding", r"visual.class_embedding"),
    Rule(r"vision_model\.embeddings\.patch_embedding\.weight", r"visual.conv1.weight"),
    Rule(r"vision_model\.embeddings\.position_embedding\.weight", r"visual.positional_embedding"),
    Rule(r"vision_model\.pre_layrnorm\.(\w+)", r"visual.ln_pre.\1"),
    Rule(r"vision_model\.post_layernorm\.(\w+)", r"visual.ln_post.\1"),
    Rule(r"visual_projection\.weight", r"visual.proj", "T"),
), skip=r".*position_ids")


# --- configs -------------------------------------------------------------------------------------
def _read(folder: Path, name: str, file: str = "config.json") -> dict:
    from .bundles import read_json
    return read_json(folder / name / file)


def _require(where: str, cfg: dict, key: str, allowed, default=None) -> None:
    value = cfg.get(key, default)
    if value not in (allowed if isinstance(allowed, tuple) else (allowed,)):
        raise BundleError(f"{where}: unsupported {key}={value!r} (this loader reads Karlo's unCLIP layout)")


def _diffusion(folder: Path, name: str) -> DiffusionConfig:
    cfg = _read(folder, name, "scheduler_config.json")
    where = f"{name}/scheduler_config.json"
    _require(where, cfg, "beta_schedule", "squaredcos_cap_v2", "squaredcos_cap_v2")
    _require(where, cfg, "variance_type", ("fixed_small_log", "learned_range"), "fixed_small_log")
    _require(where, cfg, "prediction_type", ("epsilon", "sample"), "epsilon")
    clip = cfg.get("clip_sample_range", 1.0) if cfg.get("clip_sample", True) else None
    return DiffusionConfig(train_steps=cfg.get("num_train_timesteps", 1000), prediction=cfg.get("prediction_type", "epsilon"),
                           variance=cfg.get("variance_type", "fixed_small_log"), clip_range=clip)


def _prior(folder: Path) -> PriorStageConfig:
    cfg, where = _read(folder, "prior"), "prior/config.json"
    for key, value in (("norm_in_type", None), ("embedding_proj_norm_type", None), ("added_emb_type", "prd"),
                       ("encoder_hid_proj_type", "linear"), ("time_embed_act_fn", "silu"),
                       ("additional_embeddings", 4), ("clip_embed_dim", None), ("embedding_proj_dim", None),
                       ("time_embed_dim", None)):
        _require(where, cfg, key, value, value)
    heads, head_dim = cfg.get("num_attention_heads", 32), cfg.get("attention_head_dim", 64)
    net = PriorConfig(clip_dim=cfg.get("embedding_dim", 768), width=heads * head_dim, layers=cfg.get("num_layers", 20),
                      heads=heads, text_ctx=cfg.get("num_embeddings", 77))
    return PriorStageConfig(network=net, diffusion=_diffusion(folder, "prior_scheduler"))


_LEVELS = {"ResnetDownsampleBlock2D": False, "SimpleCrossAttnDownBlock2D": True}
_UP = {"ResnetUpsampleBlock2D": False, "SimpleCrossAttnUpBlock2D": True}


def _unet(folder: Path, name: str, conditional: bool) -> tuple[UNetConfig, int]:
    """A diffusers UNet config → UNetConfig and its sample size."""
    cfg, where = _read(folder, name), f"{name}/config.json"
    for key, value in (("flip_sin_to_cos", True), ("freq_shift", 0), ("act_fn", "silu"),
                       ("time_embedding_type", "positional"), ("norm_eps", 1e-5)):
        _require(where, cfg, key, value, value)
    downs, ups = cfg.get("down_block_types", ()), cfg.get("up_block_types", ())
    if any(d not in _LEVELS for d in downs) or any(u not in _UP for u in ups):
        raise BundleError(f"{where}: unsupported block types {list(downs)} / {list(ups)}")
    levels = tuple(_LEVELS[d] for d in downs)
    if tuple(_UP[u] for u in reversed(ups)) != levels:
        raise BundleError(f"{where}: up blocks do not mirror the down blocks")
    if conditional:
        _require(where, cfg, "class_embed_type", "identity")
        _require(where, cfg, "mid_block_type", "UNetMidBlock2DSimpleCrossAttn")
        mid, context = True, cfg["cross_attention_dim"]
    else:
        mid, context = bool(cfg.get("add_attention", True)), None
        if mid:
            raise BundleError(f"{where}: upsamplers with attention are not supported")
    head_dim = cfg.get("attention_head_dim", 8)
    net = UNetConfig(in_channels=cfg["in_channels"], out_channels=cfg["out_channels"],
                     channels=tuple(cfg["block_out_channels"]), layers_per_block=cfg["layers_per_block"],
                     attention_levels=levels, mid_attention=mid, head_dim=head_dim if isinstance(head_dim, int) else 64,
                     context_dim=context, scale_shift=cfg.get("resnet_time_scale_shift", "default") == "scale_shift",
                     groups=cfg.get("norm_num_groups", 32))
    return net, cfg["sample_size"]


def _tokenizer_vocab(folder: Path) -> int:
    """Size of the folder's tokenizer vocabulary (slow vocab.json or fast tokenizer.json)."""
    if (folder / "tokenizer" / "vocab.json").is_file():
        return len(_read(folder, "tokenizer", "vocab.json"))
    fast = _read(folder, "tokenizer", "tokenizer.json")
    return len(fast.get("model", {}).get("vocab", {})) + len(
        [t for t in fast.get("added_tokens", []) if t.get("content") not in fast.get("model", {}).get("vocab", {})])


def _clip(folder: Path) -> ClipConfig:
    text, where = _read(folder, "text_encoder"), "text_encoder/config.json"
    vision = _read(folder, "image_encoder") if (folder / "image_encoder").is_dir() else None
    for cfg, name in ((text, "text_encoder"), (vision, "image_encoder")):
        if cfg is None:
            continue
        if cfg.get("intermediate_size") != 4 * cfg.get("hidden_size", 0):
            raise BundleError(f"{name}/config.json: unsupported MLP width {cfg.get('intermediate_size')}")
        if cfg.get("hidden_act") not in ("quick_gelu", "gelu"):
            raise BundleError(f"{name}/config.json: unsupported activation {cfg.get('hidden_act')!r}")
    vocab = _tokenizer_vocab(folder)
    if vocab != 49408 or text.get("vocab_size") != 49408:
        raise BundleError(f"{where}: unsupported tokenizer ({vocab} tokens; CLIP's BPE has 49408)")
    mean_std = {}
    if (folder / "feature_extractor" / "preprocessor_config.json").is_file():
        fe = _read(folder, "feature_extractor", "preprocessor_config.json")
        mean_std = {"mean": tuple(fe.get("image_mean", ClipConfig.mean)), "std": tuple(fe.get("image_std", ClipConfig.std))}
    v = vision or {}
    return ClipConfig(embed_dim=text["projection_dim"], text_width=text["hidden_size"], text_layers=text["num_hidden_layers"],
                      text_heads=text["num_attention_heads"], context_length=text.get("max_position_embeddings", 77),
                      vocab_size=text["vocab_size"], quick_gelu=text.get("hidden_act") == "quick_gelu",
                      vision=vision is not None, image_size=v.get("image_size", 224), patch_size=v.get("patch_size", 14),
                      vision_width=v.get("hidden_size", 1024), vision_layers=v.get("num_hidden_layers", 24),
                      vision_head_width=v.get("hidden_size", 1024) // v.get("num_attention_heads", 16), **mean_std)


def karlo_config(folder: Path, index: dict) -> BundleConfig:
    """The BundleConfig of a diffusers unCLIP folder; defaults are Karlo's 'fast' sampling (25/25/7)."""
    missing = [c for c in ("text_encoder", "tokenizer", "text_proj", "decoder", "decoder_scheduler",
                           "super_res_first", "super_res_scheduler") if not (folder / c).is_dir()]
    if index.get("_class_name") == "UnCLIPPipeline":
        missing += [c for c in ("prior", "prior_scheduler") if not (folder / c).is_dir()]
    if missing:
        raise BundleError(f"model folder incomplete: missing component {missing[0]}/")
    proj = _read(folder, "text_proj")
    decoder_net, decoder_size = _unet(folder, "decoder", conditional=True)
    conditioning = ConditioningConfig(clip_dim=proj.get("clip_embeddings_dim", 768),
                                      context_dim=proj.get("cross_attention_dim", 1536),
                                      time_dim=proj.get("time_embed_dim", 1280),
                                      extra_tokens=proj.get("clip_extra_context_tokens", 4))
    up_net, up_size = _unet(folder, "super_res_first", conditional=False)
    name = "karlo-v1-alpha" + ("-image-variations" if index["_class_name"] != "UnCLIPPipeline" else "")
    return BundleConfig(
        name=name, clip=_clip(folder),
        prior=_prior(folder) if index["_class_name"] == "UnCLIPPipeline" else None,
        decoder=DecoderStageConfig(network=decoder_net, conditioning=conditioning,
                                   diffusion=_diffusion(folder, "decoder_scheduler"), size=decoder_size),
        upsamplers=(UpsamplerStageConfig(network=up_net, diffusion=_diffusion(folder, "super_res_scheduler"),
                                         size=up_size, last_step_model=(folder / "super_res_last").is_dir()),),
    )


def load_karlo(folder: Path, index: dict, device, dtype: torch.dtype) -> UnCLIP:
    """Every Karlo component into our networks, straight to `device` in `dtype`."""
    config = karlo_config(folder, index)

    def tensors(name: str, stems=DIFFUSERS_STEMS):
        return read_files(weight_files(folder / name, stems), device)

    sources = {name: tensors(name) for name in ("prior", "decoder", "text_proj", "super_res_first", "super_res_last")
               if (folder / name).is_dir()}
    sources["text_encoder"] = tensors("text_encoder", TRANSFORMERS_STEMS)
    if config.clip.vision:
        sources["image_encoder"] = tensors("image_encoder", TRANSFORMERS_STEMS)
    return assemble(config, sources, device, dtype)


def assemble(config: BundleConfig, sources: dict, device, dtype: torch.dtype) -> UnCLIP:
    """Our networks from diffusers-named tensors, per component (files, or state dicts in memory)."""
    clip_sources = [(sources["text_encoder"], TEXT_MAP)]
    if config.clip.vision:
        clip_sources.append((sources["image_encoder"], VISION_MAP))
    clip = load_module(lambda: ClipTowers(config.clip), clip_sources, "text_encoder", device, clip_dtype(device, dtype))
    prior = None
    if config.prior is not None:
        prior = load_module(lambda: PriorTransformer(config.prior.network), [(sources["prior"], PRIOR_MAP)], "prior",
                            device, dtype)
    decoder = load_module(lambda: UNet(config.decoder.network), [(sources["decoder"], UNET_MAP)], "decoder",
                          device, dtype)
    conditioning = load_module(lambda: DecoderConditioning(config.decoder.conditioning),
                               [(sources["text_proj"], TEXT_PROJ_MAP)], "text_proj", device, dtype)
    up = config.upsamplers[0]
    first = load_module(lambda: UNet(up.network), [(sources["super_res_first"], UNET_MAP)], "super_res_first",
                        device, dtype)
    last = load_module(lambda: UNet(up.network), [(sources["super_res_last"], UNET_MAP)], "super_res_last",
                       device, dtype) if up.last_step_model else None
    return UnCLIP(config, ClipEncoder(clip, config.clip), prior, decoder, conditioning, [Upsampler(first, last)])
