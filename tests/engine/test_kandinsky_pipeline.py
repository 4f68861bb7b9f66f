"""Kandinsky 2.2 through the engine's pipeline: its stages and previews, sizes, candidates, stage-wise offload."""
import numpy as np
import pytest

from engine import Failed, Settings, StageStarted, StepDone, TextToImage, generate, load_bundle, run
from tests.engine.kandinsky_reference import kandinsky  # noqa: F401 (the fixture)


@pytest.fixture(scope="module")
def model(kandinsky):  # noqa: F811
    return load_bundle(str(kandinsky["decoder_dir"]))


def test_embed_prior_decode_movq_with_cheap_previews(model):
    events = list(generate(model, TextToImage("a cat", seeds=(1, 2), settings=Settings(prior_steps=2, decoder_steps=3,
                                                                                        size=24))))
    stages = [(e.stage.component, e.steps, e.stage.size) for e in events if isinstance(e, StageStarted)]
    assert stages == [("prior", 2, None), ("decoder", 3, 24)]  # MoVQ decodes the last latent; no upsamplers
    steps = [e for e in events if isinstance(e, StepDone)]
    assert [s.preview is None for s in steps] == [True, True, False, False, False]
    assert steps[-1].preview.shape == (2, 12, 12, 3) and steps[-1].preview.dtype == np.uint8  # the latent grid
    done = events[-1]
    assert done.images[0].image.shape == (24, 24, 3) and done.images[0].metadata["model"]["name"] == "kandinsky-2-2"


def test_a_size_off_the_list_is_refused_naming_the_list(model):
    end = list(generate(model, TextToImage("a cat", settings=Settings(size=18))))[-1]
    assert isinstance(end, Failed) and "choose one of 16, 20, 24, 28, 32" in end.message


def test_decoder_candidates_and_even_spacing_run(model):
    s = Settings(prior_steps=2, decoder_steps=4, size=16, decoder_candidates=2, decoder_spacing="even", sampler="ddim")
    assert run(model, TextToImage("a cat", seeds=(3,), settings=s))[0].image.shape == (16, 16, 3)


def test_stage_wise_offload_gives_the_same_pixels(kandinsky):  # noqa: F811
    request = TextToImage("two yellow stars", seeds=(5, 6), settings=Settings(prior_steps=2, decoder_steps=3, size=20))
    resident = run(load_bundle(str(kandinsky["decoder_dir"])), request)
    offloaded = load_bundle(str(kandinsky["decoder_dir"])).offloaded("cpu")
    again = run(offloaded, request)
    assert all(np.array_equal(a.image, b.image) for a, b in zip(resident, again))
    assert set(offloaded.derived["users"].values()) == {0}  # every stage gave its networks back
