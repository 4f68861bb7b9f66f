"""The shipped embedded default: present, small, loads with no flag, renders 256 px by default."""

from engine import Settings, TextToImage, load_bundle, run
from engine.families import default_bundle_path


def test_default_bundle_is_small_and_loads_with_no_flag():
    folder = default_bundle_path()
    assert sum(p.stat().st_size for p in folder.rglob("*.safetensors")) <= 40e6
    assert (folder / "README.md").is_file()
    model = load_bundle("default")
    assert model.model_id == "default" and model.config.sizes == (64, 256, 1024)
    assert model.config.default_size == 256


def test_default_bundle_draws_the_requested_colour():
    """An end-to-end check at 64 px: "a large red circle on a blue background" has red and blue regions."""
    model = load_bundle("default")
    image = run(model, TextToImage("a large red circle on a blue background", seeds=(3,),
                                   settings=Settings(size=64)))[0].image.astype(int)
    r, g, b = image[..., 0], image[..., 1], image[..., 2]
    red = ((r > g + 80) & (r > b + 80)).mean()
    blue = ((b > r + 80) & (b > g + 80)).mean()
    assert red > 0.08 and blue > 0.3, (red, blue)


def test_ddim_inversion_round_trip_on_the_default(capsys):
    """Invert a 64 px render through the decoder and render it back from x_T (paper §3.1)."""
    import numpy as np
    import torch
    from PIL import Image

    from engine.explore import StartFrom, invert_decoder
    from engine.pipeline import generate
    from engine.requests import EmbeddingToImage
    from engine.training.world import Scene, Thing, render

    model = load_bundle("default")
    source = Image.fromarray(render(Scene((Thing("square", "yellow", "large", "centre"),), "solid",
                                          ("purple", "white")), 64))
    with torch.inference_mode():
        z_i = model.clip.encode_image(model.clip.image_pixels([source]))[0].float()
    s = Settings(size=64, sampler="ddim", eta=0.0, decoder_spacing="even", decoder_steps=50, decoder_guidance=1.0)
    x_T = invert_decoder(model, source, z_i, s)
    request = EmbeddingToImage(z_i, seeds=(0,), settings=s)
    back = [e for e in generate(model, request, previews=False,
                                noise=lambda stage: StartFrom(x_T, [0], stage, "cpu")) if type(e).__name__ == "Finished"]
    fresh = [e for e in generate(model, request, previews=False) if type(e).__name__ == "Finished"]
    target = np.asarray(source, np.float32) / 255
    err = float(np.abs(back[0].images[0].image / 255 - target).mean())
    baseline = float(np.abs(fresh[0].images[0].image / 255 - target).mean())
    with capsys.disabled():
        print(f"\nDDIM inversion round trip (default, 64 px, 50 steps): mean abs error {err:.4f} "
              f"(fresh noise: {baseline:.4f})")
    assert err < 0.5 * baseline
