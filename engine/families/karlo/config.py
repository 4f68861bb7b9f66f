"""Karlo's configs in diffusers' layout → our frozen configs; unsupported variants are refused by name."""
from __future__ import annotations

from pathlib import Path

from ...config import BundleConfig, ClipConfig, DecoderStageConfig, PriorStageConfig, UpsamplerStageConfig
from ...diffusion.schedule import DiffusionConfig
from ...nn.conditioning import ConditioningConfig
from ...nn.transformer import PriorConfig
from ...nn.unet import UNetConfig
from ...weights import BundleError
from ..files import read_json

TEXT_TO_IMAGE = "UnCLIPPipeline"
PIPELINES = (TEXT_TO_IMAGE, "UnCLIPImageVariationPipeline")  # model_index.json's _class_name


def _read(folder: Path, name: str, file: str = "config.json") -> dict:
    """`name/file` of the folder as a JSON object."""
    return read_json(folder / name / file)


def _require(where: str, cfg: dict, key: str, allowed, default=None) -> None:
    """Refuse, by name, a config value this loader does not translate."""
    value = cfg.get(key, default)
    if value not in (allowed if isinstance(allowed, tuple) else (allowed,)):
        raise BundleError(f"{where}: unsupported {key}={value!r} (this loader reads Karlo's unCLIP layout)")


def _diffusion(folder: Path, name: str) -> DiffusionConfig:
    """diffusers' UnCLIPScheduler config → DiffusionConfig (cosine schedule only)."""
    cfg = _read(folder, name, "scheduler_config.json")
    where = f"{name}/scheduler_config.json"
    _require(where, cfg, "beta_schedule", "squaredcos_cap_v2", "squaredcos_cap_v2")
    _require(where, cfg, "variance_type", ("fixed_small_log", "learned_range"), "fixed_small_log")
    _require(where, cfg, "prediction_type", ("epsilon", "sample"), "epsilon")
    clip = cfg.get("clip_sample_range", 1.0) if cfg.get("clip_sample", True) else None
    return DiffusionConfig(train_steps=cfg.get("num_train_timesteps", 1000), prediction=cfg.get("prediction_type", "epsilon"),
                           variance=cfg.get("variance_type", "fixed_small_log"), clip_range=clip)


def _prior(folder: Path) -> PriorStageConfig:
    """diffusers' PriorTransformer config → PriorStageConfig (Karlo's variant only)."""
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
    """transformers' CLIP text (and image) encoder configs → ClipConfig."""
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
    if index.get("_class_name") == TEXT_TO_IMAGE:
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
    name = "karlo-v1-alpha" + ("-image-variations" if index["_class_name"] != TEXT_TO_IMAGE else "")
    return BundleConfig(
        name=name, clip=_clip(folder),
        prior=_prior(folder) if index["_class_name"] == TEXT_TO_IMAGE else None,
        decoder=DecoderStageConfig(network=decoder_net, conditioning=conditioning,
                                   diffusion=_diffusion(folder, "decoder_scheduler"), size=decoder_size),
        upsamplers=(UpsamplerStageConfig(network=up_net, diffusion=_diffusion(folder, "super_res_scheduler"),
                                         size=up_size, last_step_model=(folder / "super_res_last").is_dir()),),
    )
