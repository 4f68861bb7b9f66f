"""The embedded bundles' shapes and schedules: every unCLIP stage, sized to train on a 2-core CPU."""
from __future__ import annotations

from dataclasses import dataclass, replace

from ..config import BundleConfig, ClipConfig, DecoderStageConfig, PriorStageConfig, UpsamplerStageConfig
from ..diffusion.schedule import DiffusionConfig
from ..nn.conditioning import ConditioningConfig
from ..nn.transformer import PriorConfig
from ..nn.unet import UNetConfig

CONTEXT = 48  # tokens: the world's longest captions need about 35
CLIP_DIM = 96

DEFAULT_BUNDLE = BundleConfig(
    name="unclip-shapes-v1",
    clip=ClipConfig(embed_dim=CLIP_DIM, image_size=64, patch_size=8, vision_width=128, vision_layers=4,
                    vision_head_width=32, text_width=CLIP_DIM, text_layers=4, text_heads=4, context_length=CONTEXT),
    prior=PriorStageConfig(network=PriorConfig(clip_dim=CLIP_DIM, width=192, layers=4, heads=4, text_ctx=CONTEXT),
                           diffusion=DiffusionConfig(prediction="sample", clip_range=10.0), steps=25, guidance=2.0),
    decoder=DecoderStageConfig(
        network=UNetConfig(in_channels=3, out_channels=3, channels=(32, 64, 128), layers_per_block=1,
                           attention_levels=(False, False, True), head_dim=32, context_dim=CLIP_DIM, groups=16),
        conditioning=ConditioningConfig(clip_dim=CLIP_DIM, context_dim=CLIP_DIM, time_dim=128, extra_tokens=4),
        # v-prediction: at t = 999 (alpha_bar ≈ 2e-9) an eps-predicting net this small turns tiny errors into
        # a garbage x0 (measured: unusable samples after 1000 steps); v stays well-posed at every noise level
        diffusion=DiffusionConfig(prediction="v_prediction"), size=64, steps=25, guidance=3.0,
        accept_cosine=0.99),
    upsamplers=(
        UpsamplerStageConfig(network=UNetConfig(in_channels=6, out_channels=3, channels=(32, 64), layers_per_block=1,
                                                attention_levels=(False, False), mid_attention=False,
                                                context_dim=None, scale_shift=False, groups=16),
                             diffusion=DiffusionConfig(prediction="v_prediction"), size=256, last_step_model=False,
                             steps=7, padding="reflect"),
        UpsamplerStageConfig(network=UNetConfig(in_channels=6, out_channels=3, channels=(16, 32), layers_per_block=1,
                                                attention_levels=(False, False), mid_attention=False,
                                                context_dim=None, scale_shift=False, groups=8),
                             diffusion=DiffusionConfig(prediction="v_prediction"), size=1024, last_step_model=False,
                             steps=5, padding="reflect"),
    ),
    default_size=256,  # 1024 px is a final-render option: minutes of CPU, not seconds
)


@dataclass(frozen=True)
class Segment:
    """Train on to step `until` on `world`'s scenes, at `size` px (None: the stage's own size).

    `minutes`: its wall clock in the recipe's run on the 2-core CPU, its share of a time budget.
    """

    until: int
    world: str = "full"
    size: int | None = None
    minutes: float = 1.0


# Each stage's schedule as the shapes bundle was trained: one cosine decay to each segment's step count in
# turn, every segment resuming the last one's checkpoint (a warm restart of the learning rate). The decoder
# is a curriculum: single centred objects at 32 px first (it learns shapes there), then the world at 64 px.
# Logged minutes: CLIP 26.4 (split by steps), decoder 127.8 (32 px at 0.16 s a step, the rest at 64 px), prior
# 21.3, upsamplers 7.5 and 1.4: 184.4 in all, so `train all --minutes 180` trims each to 97.6% on that CPU.
SHAPES_STEPS = {"clip": (Segment(3000, minutes=17.6), Segment(4500, minutes=8.8)),
                "prior": (Segment(2500, minutes=21.3),),
                "decoder": (Segment(6000, "centred", 32, minutes=16.0), Segment(19000, minutes=111.8)),
                "upsampler0": (Segment(900, minutes=7.5),), "upsampler1": (Segment(500, minutes=1.4),)}

# The everyday world's bundle: the shapes bundle's CLIP, prior and upsamplers (seeded from it), and its decoder
# behind a 2 × 2 fold (levels at 32/16/8 px), which the pilot found learns things faster per CPU minute
# (docs/everyday-pilot.md). Its schedule's steps are upper bounds: `--minutes` fits each to its share.
EVERYDAY_BUNDLE = replace(DEFAULT_BUNDLE, name="unclip-everyday-v1", decoder=replace(
    DEFAULT_BUNDLE.decoder, network=replace(DEFAULT_BUNDLE.decoder.network, fold=2)))
EVERYDAY_STEPS = {"clip": (Segment(3000, "everyday", minutes=12.0),),
                  "prior": (Segment(2500, "everyday", minutes=10.0),),
                  "decoder": (Segment(40000, "everyday", minutes=60.0),)}
# The first things an artist types, 105 of the atlas's 518: the pilot's curve gives too few CPU minutes for more
# (docs/everyday-pilot.md); the rest of the atlas waits for a longer run.
EVERYDAY_THINGS = (
    "cat", "dog", "tiger", "lion", "horse", "cow", "pig", "rabbit", "bear", "panda", "monkey", "elephant", "fox", "owl",
    "penguin", "fish", "whale", "dolphin", "butterfly", "bee", "snake", "frog", "turtle", "bird", "chicken", "duck",
    "unicorn", "dragon", "octopus", "snail", "mouse", "giraffe", "zebra", "apple", "banana", "pear", "strawberry",
    "cherries", "grapes", "lemon", "watermelon", "pineapple", "peach", "pizza", "burger", "cake", "ice cream", "bread",
    "cheese", "carrot", "mushroom", "doughnut", "cookie", "egg", "tree", "palm tree", "pine tree", "flower", "rose",
    "sunflower", "tulip", "cactus", "maple leaf", "sun", "moon", "cloud", "rainbow", "snowflake", "fire", "water drop",
    "mountain", "volcano", "house", "castle", "tent", "car", "bus", "truck", "bicycle", "train", "airplane", "rocket",
    "sailboat", "ship", "umbrella", "clock", "key", "book", "guitar", "violin", "drum", "trumpet", "football",
    "balloon", "crown", "glasses", "hat", "shoe", "coffee", "candle", "snowman", "bell", "anchor", "camera",
    "light bulb")


@dataclass(frozen=True)
class Recipe:
    """A bundle's shape, its stages' schedules and the things its world draws (None: the shapes world)."""

    name: str
    bundle: BundleConfig
    steps: dict
    things: tuple[str, ...] | None = None


RECIPES = {"shapes": Recipe("shapes", DEFAULT_BUNDLE, SHAPES_STEPS),
           "everyday": Recipe("everyday", EVERYDAY_BUNDLE, EVERYDAY_STEPS, EVERYDAY_THINGS)}
