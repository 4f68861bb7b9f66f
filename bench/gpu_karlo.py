"""Karlo-sized unCLIP, random weights: our engine vs diffusers' UnCLIPPipeline, in one process.

Both run the same weights (ours are mapped from diffusers' through the loader's key maps), 25/25/7
steps, 256 px, fp16, batch 1 and 4. Prints seconds per image, the ratio and peak GPU memory; then the same for
ours on the opt-in fast path (engine.nn.fused: regional torch.compile, fused GroupNorm+SiLU), with its first
(compiling) call's time and its largest difference from the plain path's images (in [-1, 1]).

    python bench/gpu_karlo.py                 # on a CUDA machine (needs the test extra: diffusers, transformers)
    python bench/gpu_karlo.py --tiny --device cpu --compile-backend eager   # a smoke run of this script on a CPU
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from engine import Finished, Settings, TextToImage, serve  # noqa: E402
from engine.config import BundleConfig, ClipConfig, DecoderStageConfig, PriorStageConfig, UpsamplerStageConfig  # noqa: E402
from engine.families.karlo import assemble  # noqa: E402
from engine.nn.conditioning import ConditioningConfig  # noqa: E402
from engine.nn.fused import FastPath, enable  # noqa: E402
from engine.nn.transformer import PriorConfig  # noqa: E402
from engine.nn.unet import UPSAMPLER_UNET, UNetConfig  # noqa: E402

PROMPT = "a photograph of an astronaut riding a horse"


def reference(tiny: bool):
    """diffusers' Karlo components (real sizes, or toy sizes for a smoke run) and our matching config."""
    from diffusers import PriorTransformer, UnCLIPPipeline, UnCLIPScheduler, UNet2DConditionModel, UNet2DModel
    from diffusers.pipelines.deprecated.unclip.text_proj import UnCLIPTextProjModel
    from transformers import CLIPTextConfig, CLIPTextModelWithProjection
    ch = (16, 32, 48, 64) if tiny else (320, 640, 960, 1280)
    groups = 8 if tiny else 32
    clip = ClipConfig(text_width=64, text_layers=2, text_heads=2, embed_dim=64, vision=False) if tiny \
        else ClipConfig(vision=False)
    prior_net = PriorConfig(clip_dim=clip.embed_dim, width=128, layers=2, heads=4) if tiny else PriorConfig()
    ctx = 96 if tiny else 1536
    decoder_net = UNetConfig(channels=ch, layers_per_block=1 if tiny else 3, head_dim=16 if tiny else 64,
                             context_dim=ctx, groups=groups)
    up_net = UNetConfig(**{**UPSAMPLER_UNET.__dict__, "channels": ch, "groups": groups,
                           "layers_per_block": 1 if tiny else 3})
    config = BundleConfig(
        name="karlo-random", clip=clip, prior=PriorStageConfig(network=prior_net),
        decoder=DecoderStageConfig(network=decoder_net, conditioning=ConditioningConfig(
            clip_dim=clip.embed_dim, context_dim=ctx, time_dim=4 * ch[0])),
        upsamplers=(UpsamplerStageConfig(network=up_net, size=256),))
    text = CLIPTextModelWithProjection(CLIPTextConfig(
        vocab_size=49408, hidden_size=clip.text_width, intermediate_size=4 * clip.text_width,
        num_hidden_layers=clip.text_layers, num_attention_heads=clip.text_heads, projection_dim=clip.embed_dim,
        hidden_act="quick_gelu", max_position_embeddings=77))
    prior = PriorTransformer(num_attention_heads=prior_net.heads, attention_head_dim=prior_net.width // prior_net.heads,
                             num_layers=prior_net.layers, embedding_dim=clip.embed_dim)
    decoder = UNet2DConditionModel(
        sample_size=64, layers_per_block=decoder_net.layers_per_block, block_out_channels=ch, norm_num_groups=groups,
        down_block_types=("ResnetDownsampleBlock2D",) + ("SimpleCrossAttnDownBlock2D",) * 3,
        up_block_types=("SimpleCrossAttnUpBlock2D",) * 3 + ("ResnetUpsampleBlock2D",),
        mid_block_type="UNetMidBlock2DSimpleCrossAttn", in_channels=3, out_channels=6, cross_attention_dim=ctx,
        class_embed_type="identity", attention_head_dim=decoder_net.head_dim, resnet_time_scale_shift="scale_shift")
    proj = UnCLIPTextProjModel(clip_extra_context_tokens=4, clip_embeddings_dim=clip.embed_dim,
                               time_embed_dim=4 * ch[0], cross_attention_dim=ctx)
    sr = dict(sample_size=256, layers_per_block=up_net.layers_per_block, block_out_channels=ch, norm_num_groups=groups,
              down_block_types=("ResnetDownsampleBlock2D",) * 4, up_block_types=("ResnetUpsampleBlock2D",) * 4,
              in_channels=6, out_channels=3, add_attention=False)
    from transformers import CLIPTokenizer

    from tests.engine.karlo_reference import write_clip_tokenizer
    folder = write_clip_tokenizer(Path(tempfile.mkdtemp()))
    tokenizer = CLIPTokenizer(str(folder / "vocab.json"), str(folder / "merges.txt"), pad_token="!", model_max_length=77)
    pipe = UnCLIPPipeline(
        prior=prior, decoder=decoder, text_proj=proj, text_encoder=text, tokenizer=tokenizer,
        super_res_first=UNet2DModel(**sr), super_res_last=UNet2DModel(**sr),
        prior_scheduler=UnCLIPScheduler(variance_type="fixed_small_log", prediction_type="sample", clip_sample_range=5.0),
        decoder_scheduler=UnCLIPScheduler(variance_type="learned_range", prediction_type="epsilon"),
        super_res_scheduler=UnCLIPScheduler(variance_type="fixed_small_log", prediction_type="epsilon"))
    return pipe, config


def _sync(device: str) -> None:
    if device == "cuda":
        torch.cuda.synchronize()


def timed(fn, device: str, repeats: int) -> tuple[float, float]:
    """(seconds of the first, warm-up call; best wall time of `repeats` calls after it)."""
    _sync(device)
    start = time.perf_counter()
    fn()
    _sync(device)
    first, best = time.perf_counter() - start, float("inf")
    for _ in range(repeats):
        _sync(device)
        start = time.perf_counter()
        fn()
        _sync(device)
        best = min(best, time.perf_counter() - start)
    return first, best


def _gib(value: float) -> float | None:
    return None if value != value else round(value, 2)  # NaN off CUDA → null in JSON


FLOP_PER_IMAGE = 98e12  # 256 px, 25/25/7 steps with guidance (issue 8's count: prior 0.33, decoder 1.22 per
#                         guided forward, upsampler 8.5 per forward); the --tiny run reports a meaningless fraction


def measure(fn, device: str, repeats: int, b: int) -> tuple[float, float, float]:
    """(first call s, best s per image, peak GiB or NaN off CUDA) of one configuration at batch b."""
    if device == "cuda":
        torch.cuda.reset_peak_memory_stats()
    first, best = timed(fn, device, repeats)
    return first, best / b, torch.cuda.max_memory_allocated() / 2**30 if device == "cuda" else float("nan")


def emit(row: dict, as_json: bool) -> None:
    if as_json:
        print(json.dumps(row), flush=True)
    else:
        print(f"{row['path']:>5} {row['batch']:>5} {row['reference_s_per_image']:>16.3f} "
              f"{row['ours_s_per_image']:>11.3f} {row['ratio']:>8.2f}x {row['reference_peak_gib'] or float('nan'):>10.2f} / "
              f"{row['peak_gib'] or float('nan'):.2f} {row['fraction_of_flop_floor']:>14.3f}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cuda")
    parser.add_argument("--tiny", action="store_true", help="toy sizes: check the script, not the speed")
    parser.add_argument("--batches", default="1,4")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--json", action="store_true", help="one JSON object per row instead of a table")
    parser.add_argument("--peak-tflops", type=float, default=989.0,
                        help="the card's dense fp16 peak, for the fraction of the FLOP floor (H100/H200 SXM: 989)")
    parser.add_argument("--fast", action=argparse.BooleanOptionalAction, default=True,
                        help="after the plain rows, switch ours to the fast path (engine.nn.fused) and time it again")
    parser.add_argument("--compile-mode", default=None,
                        help="torch.compile mode of the fast rows: default, reduce-overhead (CUDA graphs), ...")
    parser.add_argument("--compile-backend", default="inductor",
                        help="eager: trace the blocks without generating code (a CPU smoke run of the fast rows)")
    args = parser.parse_args()
    dtype = torch.float16 if args.device == "cuda" else torch.float32
    torch.manual_seed(0)
    pipe, config = reference(args.tiny)
    sources = {name: getattr(pipe, name).state_dict().items()
               for name in ("prior", "decoder", "text_proj", "super_res_first", "super_res_last", "text_encoder")}
    ours = assemble(config, sources, args.device, dtype)
    pipe = pipe.to(args.device, dtype)
    pipe.set_progress_bar_config(disable=True)  # stdout holds the rows alone (karlo.jsonl)
    ids = torch.zeros(1, 77, dtype=torch.long, device=args.device)
    ids[0, 0], ids[0, 1] = 49406, 49407
    if not args.json:
        print(f"{'path':>5} {'batch':>5} {'diffusers s/img':>16} {'ours s/img':>11} {'speed-up':>9} "
              f"{'peak GiB (ref / ours)':>22} {'of FLOP floor':>14}")
    floor = FLOP_PER_IMAGE / (args.peak_tflops * 1e12)  # seconds per image at the card's peak
    batches, reference_s, plain = [int(v) for v in args.batches.split(",")], {}, {}

    def row(path: str, b: int, seconds: float, peak: float) -> dict:
        ref_s, ref_peak = reference_s[b]
        return {"path": path, "batch": b, "ours_s_per_image": round(seconds, 4),
                "reference_s_per_image": round(ref_s, 4), "ratio": round(ref_s / seconds, 3), "peak_gib": _gib(peak),
                "reference_peak_gib": _gib(ref_peak), "fraction_of_flop_floor": round(floor / seconds, 3)}

    def ours_at(b: int, keep: dict):
        request = TextToImage(PROMPT, seeds=tuple(range(b)), settings=Settings(prior_steps=25, decoder_steps=25,
                                                                                upsampler_steps=7))

        def run_ours():
            end = serve(ours, request)
            assert isinstance(end, Finished), end
            keep[b] = end.samples
        return run_ours

    for b in batches:
        with torch.no_grad():
            text = pipe.text_encoder(ids.repeat(b, 1))
            mask = torch.ones(b, 77, dtype=torch.bool, device=args.device)
            mask[:, 2:] = False

        def run_ref():
            pipe(text_model_output=text, text_attention_mask=mask, prior_num_inference_steps=25,
                 decoder_num_inference_steps=25, super_res_num_inference_steps=7, output_type="np")

        _, ref_s, ref_peak = measure(run_ref, args.device, args.repeats, b)
        reference_s[b] = ref_s, ref_peak
        _, s, peak = measure(ours_at(b, plain), args.device, args.repeats, b)
        emit(row("plain", b, s, peak), args.json)
    if not args.fast:
        return
    blocks = enable(ours.modules().values(), FastPath(mode=args.compile_mode, backend=args.compile_backend))
    for b in batches:  # the same request again: compiles on its first call (one graph per block shape)
        fast = {}
        first, s, peak = measure(ours_at(b, fast), args.device, args.repeats, b)
        emit({**row("fast", b, s, peak), "compiled_blocks": blocks, "compile_mode": args.compile_mode,
              "compile_backend": args.compile_backend, "first_call_s": round(first, 2),
              "max_abs_vs_plain": round(float((fast[b] - plain[b]).abs().max()), 4)}, args.json)


if __name__ == "__main__":
    main()
