"""Plain numbers the engine and its callers share; imports nothing, so a command line can check them at once."""

MAX_SEED = 2**32 - 1  # user-facing seeds are 32-bit, as in other image tools
MAX_STEPS = 1000
MAX_COUNT = 64  # images in one command-line request
SAMPLER_NAMES = ("ddpm", "ddim", "dpm++2m", "unipc")  # engine.diffusion.samplers.SAMPLERS
# Karlo's sampling presets (kakaobrain/karlo `SAMPLING_CONF`): steps for prior, decoder, upsampler.
PRESETS = {"fast": (25, 25, 7), "quality": (25, 50, 7)}  # "quality" is Karlo's original "default"
# The freer variations (the embedded default's model card): the layout left to the noise, fidelity won back by
# decoder candidates at the model's accept cosine; the studio's "Free layout", the card's picture, the eval's rows
FREE_LAYOUT_GUIDANCE = 0.25
FREE_LAYOUT_CANDIDATES = 6
