"""A smoke run of every trainer, the training command's recipe, budget and options, and the model card (the full
training is a command, not a test)."""
import json
import types

import numpy as np
import pytest
import torch

from engine import Settings, TextToImage, load_bundle, run
from engine.errors import UserError
from engine.training.command import clip_workers, export, initial_bundle, main as train_main, trained_model
from engine.training.data import scene_set
from engine.training.evaluate import evaluate
from engine.training.stages import clip_batches
from engine.training.table import markdown
from engine.training.recipe import RECIPES, SHAPES_STEPS, Segment
from engine.training.world import centred_scenes


def test_smoke_training_checkpoints_resumes_and_exports(tmp_path):
    run_dir = tmp_path / "run"
    train_main(["all", "--steps", "2", "--scenes", "48", "--run", str(run_dir)])
    first = torch.load(run_dir / "decoder.pt", weights_only=True)["step"]
    train_main(["decoder", "--steps", "3", "--scenes", "48", "--run", str(run_dir)])  # resumes at 2
    assert first == 2 and torch.load(run_dir / "decoder.pt", weights_only=True)["step"] == 3
    lines = (run_dir / "decoder.log.jsonl").read_text().splitlines()
    assert lines and '"loss"' in lines[-1]
    bundle = export(run_dir, tmp_path / "bundle")
    assert sum(p.stat().st_size for p in bundle.rglob("*.safetensors")) < 40e6

    # retrain one stage against a shipped bundle: the rest comes from it, and so does the stage's start
    again = tmp_path / "again"
    train_main(["decoder", "--steps", "1", "--batch", "2", "--scenes", "16", "--run", str(again), "--init", str(bundle)])
    assert [p.name for p in again.glob("*.pt")] == ["decoder.pt"]
    shipped, seeded = load_bundle(str(bundle)), trained_model(again, str(bundle))
    assert all(torch.equal(a, b) for a, b in zip(shipped.clip.towers.state_dict().values(),
                                                 seeded.clip.towers.state_dict().values()))
    assert not torch.equal(shipped.decoder.conv_in.weight, seeded.decoder.conv_in.weight)  # one step taken
    load_bundle(str(export(again, tmp_path / "bundle2", str(bundle))))
    with pytest.raises(UserError, match="cannot export"):
        export(again, tmp_path / "bundle3")
    model = load_bundle(str(bundle))
    image = run(model, TextToImage("a large red circle on a blue background", seeds=(3,)))[0]
    assert image.image.shape == (256, 256, 3)  # the bundle's default size, not its largest stage
    quick = Settings(prior_steps=2, decoder_steps=2, upsampler_steps=1)
    table = evaluate(model, seed=0, n=4, probe_steps=3, probe_scenes=64, top_n=1, base=quick, probe_checks=20,
                     captions=10, candidates=2)
    assert set(table["probe (held-out renders)"]) == {"shape", "colour", "background colour", "background kind",
                                                      "two objects (both pairs)"}
    assert 0 <= table["single object, medium+large, 256 px"]["shape"] <= 1
    assert set(table["single object by size (1 prompts, same seeds)"]) == {"64 px", "256 px", "1024 px"}
    assert "| CLIP retrieval top-1 (10 held-out captions) |" in markdown(table)
    assert 0 <= table["CLIP shape zero-shot, medium+large (1 of 8 captions, 10 renders)"] <= 1
    assert set(table["decoder alone, render's own z_i and caption, 64 px"]) == {"shape", "colour", "background"}
    follows = table["decoder's shape follows its conditioning (one step at t = 800, shape-swapped twin)"]
    assert follows["conditioning's shape"] + follows["noisy image's shape"] <= 1  # the twin's shape is another
    kept, wider = table["variations keep shape and colour"], table["variations keep shape and colour, all 3 sources"]
    assert kept * 3 == pytest.approx(round(kept * 3)) and wider * 9 == pytest.approx(round(wider * 9))  # 1, 3 sources
    free = table["variations at layout guidance 0.25, all 3 sources"]
    assert free["keep shape and colour"] * 9 == pytest.approx(round(free["keep shape and colour"] * 9))
    assert 0 < free["differ (RMS pixel distance, 0–1)"] < 1
    best = table["variations at layout guidance 0.25, best of 3 by CLIP, all 3 sources"]
    assert best["keep shape and colour"] * 9 == pytest.approx(round(best["keep shape and colour"] * 9))
    assert best["decoder runs per image"] == 3 and free["decoder runs per image"] == 1
    assert free["moved or resized (pairs)"] * 9 == pytest.approx(round(free["moved or resized (pairs)"] * 9))
    assert model.config.decoder.accept_cosine == 0.99  # the recipe's, so the last row stops early
    upto = table["variations at layout guidance 0.25, up to 2 by CLIP, accepted at cosine 0.99, all 3 sources"]
    assert 1 <= upto["decoder runs per image"] <= 2
    assert "| variations moved or resized (pairs), all 3 sources |" in markdown(table)


def test_recipe_segments_resume_with_a_warm_restart(tmp_path, monkeypatch):
    # cosine to 2, then a fresh cosine to 4 from there
    monkeypatch.setitem(SHAPES_STEPS, "prior", (Segment(2), Segment(4)))
    train_main(["prior", "--scenes", "16", "--run", str(tmp_path)])
    logged = [json.loads(line)["step"] for line in (tmp_path / "prior.log.jsonl").read_text().splitlines()]
    assert logged == [2, 4] and torch.load(tmp_path / "prior.pt", weights_only=True)["step"] == 4


def test_decoder_curriculum_draws_centred_objects_at_32_px_then_the_world_at_64(tmp_path, monkeypatch):
    from engine.nn.unet import UNet
    sizes, forward = [], UNet.forward
    monkeypatch.setattr(UNet, "forward", lambda self, x, *a, **k: (sizes.append(x.shape[-1]), forward(self, x, *a, **k))[1])
    monkeypatch.setitem(SHAPES_STEPS, "decoder", (Segment(2, "centred", 32), Segment(3)))
    train_main(["decoder", "--scenes", "16", "--batch", "2", "--run", str(tmp_path)])
    assert sizes == [32, 32, 64]
    assert np.load(tmp_path / "centred-64.npy").shape == (len(centred_scenes()), 3, 64, 64)
    assert torch.load(tmp_path / "decoder.pt", weights_only=True)["step"] == 3


def test_training_option_errors_are_one_line(tmp_path, tiny_bundle):
    with pytest.raises(UserError, match="not a torch device"):
        train_main(["prior", "--device", "gpu9", "--run", str(tmp_path)])
    if not torch.cuda.is_available():
        with pytest.raises(UserError, match="no CUDA GPU"):
            train_main(["prior", "--device", "cuda", "--run", str(tmp_path)])
    with pytest.raises(UserError, match="--batch must be at least 2"):
        train_main(["prior", "--batch", "1", "--run", str(tmp_path)])
    with pytest.raises(UserError, match="not the shape of the shapes recipe"):
        train_main(["prior", "--init", str(tiny_bundle), "--run", str(tmp_path)])
    with pytest.raises(UserError, match="--minutes must be a positive number"):
        train_main(["prior", "--minutes", "0", "--run", str(tmp_path)])
    with pytest.raises(UserError, match="--workers must be 0 or more"):
        train_main(["clip", "--workers", "-1", "--run", str(tmp_path)])
    assert not list(tmp_path.iterdir())  # nothing was started


def test_a_time_budget_fixes_the_run_length_from_the_measured_rate(tmp_path, monkeypatch, capsys):
    from engine.training import loop
    clock = {"now": 0.0}
    monkeypatch.setattr(loop.time, "time", lambda: clock["now"])
    net = torch.nn.Linear(2, 1)

    def step(_: int) -> torch.Tensor:
        clock["now"] += 2.0  # every step "takes" two seconds
        return net(torch.ones(1, 2)).pow(2).mean()

    loop.train("toy", {"net": net}, step, 1000, tmp_path, warmup=1, deadline=clock["now"] + 60, probe=10)
    saved = torch.load(tmp_path / "toy.pt", weights_only=True)
    assert saved["step"] == 30 and saved["budgeted"] == [1000, 30]  # 60 s at 2 s a step, not the 1,000 asked
    assert saved["sched"]["_last_lr"][0] == pytest.approx(0.02 * 3e-4)  # the cosine ran out at step 30
    loop.train("toy", {"net": net}, step, 1000, tmp_path, warmup=1, deadline=clock["now"] + 60, probe=10)
    assert torch.load(tmp_path / "toy.pt", weights_only=True)["step"] == 30  # resumed: same length, done
    said = capsys.readouterr().err.splitlines()
    assert "toy.pt is at step 30, the end of its schedule: nothing to train; a --steps above 30, other than 1000 " \
           "(whose fitted length it keeps), goes on with a new schedule" in "".join(said)
    saved = torch.load(tmp_path / "toy.pt", weights_only=True)
    torch.save({**saved, "step": 25}, tmp_path / "toy.pt")  # as if stopped short of its fitted length
    loop.train("toy", {"net": net}, step, 1000, tmp_path, warmup=1, deadline=clock["now"] + 60, probe=10)
    assert torch.load(tmp_path / "toy.pt", weights_only=True)["step"] == 30  # resumed to the kept length
    assert "toy.pt goes on from step 25 to 30, the length fitted earlier; a --steps above 25, other than 1000 " \
           "(whose fitted length it keeps), fits a new schedule" in "".join(capsys.readouterr().err.splitlines())
    loop.train("toy", {"net": net}, step, 2000, tmp_path, warmup=1, deadline=clock["now"] + 40, probe=10)  # next segment
    assert torch.load(tmp_path / "toy.pt", weights_only=True)["budgeted"] == [2000, 50]  # fitted anew: 20 more
    loop.train("toy", {"net": net}, step, 3000, tmp_path, warmup=1, deadline=clock["now"] + 7, probe=10)  # spent early
    assert torch.load(tmp_path / "toy.pt", weights_only=True)["budgeted"] == [3000, 54]  # 4 steps reach 7 s


def test_a_run_slowed_after_its_rate_was_measured_stops_at_the_deadline_and_resumes(tmp_path, monkeypatch):
    from engine.training import loop
    clock = {"now": 0.0}
    monkeypatch.setattr(loop.time, "time", lambda: clock["now"])
    net = torch.nn.Linear(2, 1)

    def step(n: int) -> torch.Tensor:
        clock["now"] += 2.0 if n < 10 else 6.0  # measured at 2 s a step, then the machine gets busy
        return net(torch.ones(1, 2)).pow(2).mean()

    loop.train("toy", {"net": net}, step, 1000, tmp_path, warmup=1, deadline=clock["now"] + 60, probe=10)
    saved = torch.load(tmp_path / "toy.pt", weights_only=True)
    assert clock["now"] <= 66 and saved["step"] == 17 and saved["budgeted"] == [1000, 30]  # not 30 steps at 6 s
    loop.train("toy", {"net": net}, step, 1000, tmp_path, warmup=1, deadline=clock["now"] + 600, probe=10)
    assert torch.load(tmp_path / "toy.pt", weights_only=True)["step"] == 30  # the resume ran the fitted rest
    assert [json.loads(line)["step"] for line in (tmp_path / "toy.log.jsonl").read_text().splitlines()] == [17, 30]


def test_a_deadline_met_while_the_rate_is_measured_ends_the_run_there(tmp_path, monkeypatch):
    from engine.training import loop
    clock = {"now": 0.0}
    monkeypatch.setattr(loop.time, "time", lambda: clock["now"])
    net = torch.nn.Linear(2, 1)

    def step(_: int) -> torch.Tensor:
        clock["now"] += 2.0
        return net(torch.ones(1, 2)).pow(2).mean()

    loop.train("toy", {"net": net}, step, 1000, tmp_path, warmup=1, deadline=clock["now"] + 19, probe=10)
    assert torch.load(tmp_path / "toy.pt", weights_only=True)["budgeted"] == [1000, 10]  # not the 1,000 unfitted


@pytest.mark.parametrize("native", [True, False])
def test_the_decoder_trains_under_bf16_autocast_only_where_the_cpu_computes_bfloat16(native, tmp_path, monkeypatch):
    from engine.training import loop, stages
    monkeypatch.setattr(loop, "native_bfloat16", lambda: native)  # emulated bfloat16 is slower than float32
    assert loop.autocast_pays(torch.device("cpu")) is native and loop.autocast_pays(torch.device("meta"))
    asked = {}
    monkeypatch.setattr(stages, "train", lambda *args, **kw: asked.update(kw))
    monkeypatch.setattr(stages, "decoder_step", lambda *args, **kw: ({}, None))
    stages.train_decoder(types.SimpleNamespace(device=torch.device("cpu")), None, 2, tmp_path)
    assert asked["bf16"] is native


def test_a_budget_shares_the_time_left_by_recipe_minutes_and_counts_logged_training(tmp_path, monkeypatch):
    from engine.training import command
    clock = {"now": 0.0}
    monkeypatch.setattr(command.time, "time", lambda: clock["now"])
    budget = command.Budget(100, [1, 3])
    assert budget.next_seconds() == 25  # a quarter of 100 s
    clock["now"] = 50  # the first segment overran by 25 s: the last gets what is left
    assert budget.next_seconds() == 50
    (tmp_path / "clip.log.jsonl").write_text('{"step": 50, "seconds": 30.0}\n{"step": 100, "seconds": 61.5}\n')
    assert command.Budget.spent(tmp_path, ("clip", "prior")) == 61.5


def test_minutes_without_steps_fit_every_recipe_segment_to_its_share(tmp_path, monkeypatch):
    from engine.training import command
    clock = {"now": 1000.0}
    monkeypatch.setattr(command.time, "time", lambda: clock["now"])
    monkeypatch.setitem(SHAPES_STEPS, "prior", (Segment(2, minutes=1), Segment(4, minutes=3)))
    given = []

    def train_prior(model, data, until, run_dir, deadline):
        given.append((until, deadline - clock["now"]))
        clock["now"] = deadline  # each segment takes its whole share

    monkeypatch.setattr(command, "train_prior", train_prior)
    (tmp_path / "prior.log.jsonl").write_text('{"step": 1, "seconds": 20.0}\n')  # logged before: it counts
    train_main(["prior", "--scenes", "16", "--minutes", "1", "--run", str(tmp_path)])
    assert given == [(2, 10.0), (4, 30.0)]  # 60 s less the 20 logged, shared 1 : 3


def test_weight_average_moves_each_float_tensor_by_one_minus_decay_and_copies_counters():
    from engine.training.loop import EMA
    net = torch.nn.BatchNorm1d(3)  # float weights and running stats, an integer batch counter
    average = EMA({"net": net}, decay=0.9)
    with torch.no_grad():
        net.weight.fill_(11.0)  # the average holds 1.0
        net.num_batches_tracked.fill_(7)
    average.update({"net": net})
    assert torch.allclose(average.shadow["net"]["weight"], torch.full((3,), 2.0))  # 1 + 0.1 · (11 − 1)
    assert torch.equal(average.shadow["net"]["running_var"], torch.ones(3))  # unchanged values stay
    assert int(average.shadow["net"]["num_batches_tracked"]) == 7


def test_the_whole_recipe_fits_a_budget_and_every_segment_records_its_fitted_length(tmp_path):
    run_dir = tmp_path / "fit"
    train_main(["all", "--minutes", "0.01", "--scenes", "16", "--batch", "2", "--run", str(run_dir)])  # 0.6 s
    for stage, segments in SHAPES_STEPS.items():
        saved = torch.load(run_dir / f"{stage}.pt", weights_only=True)
        asked, fitted = saved["budgeted"]
        assert asked == segments[-1].until and saved["step"] == fitted  # the last segment ran, fitted anew
        assert fitted < segments[0].until  # far fewer steps than the recipe's: the budget stopped each one


def test_clip_batches_pair_scenes_with_twins_in_this_process_or_in_workers(tmp_path):
    data = scene_set(32, 32, 0)
    here = clip_batches(data, 4, 0, workers=0, pin=False)
    first, again = next(here), next(clip_batches(data, 4, 0, workers=0, pin=False))
    assert torch.equal(first[0], again[0]) and first[1] == again[1]  # the recipe's stream, from its seed
    pixels, captions = first
    assert pixels.shape == (8, 3, 32, 32) and pixels.dtype == torch.uint8 and len(captions) == 8
    assert captions[:4] != captions[4:]  # each scene's twin differs in one named attribute
    pooled = clip_batches(data, 4, 0, workers=2, pin=False)
    a, b = next(pooled), next(pooled)  # one batch from each worker, each drawn from its own seed
    assert a[0].shape == (8, 3, 32, 32) and a[1] != b[1]
    assert clip_workers("cpu", None) == 0 and clip_workers("cpu", 3) == 3


def test_clip_trains_from_worker_batches(tmp_path):
    train_main(["clip", "--steps", "2", "--scenes", "16", "--batch", "4", "--workers", "2", "--run", str(tmp_path)])
    assert torch.load(tmp_path / "clip.pt", weights_only=True)["step"] == 2


def test_model_card_names_the_free_layout_settings_and_logged_times(tiny_bundle, tiny_model, tmp_path):
    import shutil

    from engine.requests import FREE_LAYOUT
    from engine.training.card import write_card
    folder = shutil.copytree(tiny_bundle, tmp_path / "b")
    text = write_card(folder, tiny_model, "| measure | value |", {"prior": {
        "steps": 2500, "seconds": 1278.0, "final loss (smoothed)": 0.1115}}, "a note").read_text()
    assert f"`--layout-guidance {FREE_LAYOUT.layout_guidance:g} --candidates {FREE_LAYOUT.decoder_candidates}`" in text
    assert "| prior | 2500 | 21.3 min | 0.1115 |" in text and text.rstrip().endswith("![variations](variations.webp)")


def test_the_everyday_recipe_seeds_from_the_shapes_bundle_around_a_folded_decoder(tmp_path):
    run_dir, out = tmp_path / "run", tmp_path / "everyday"  # nothing trained yet: all but the decoder from --init
    train_main(["export", "--recipe", "everyday", "--init", "default", "--run", str(run_dir), "--out", str(out)])
    model, shapes = load_bundle(str(out)), load_bundle("default")
    assert model.config.decoder.network.fold == 2 and model.decoder.conv_in.in_channels == 12
    assert "cat" in model.vocabulary.groups["thing"] and "light bulb" in model.vocabulary.groups["thing"]
    same = lambda a, b: all(torch.equal(x, y) for x, y in zip(a.state_dict().values(), b.state_dict().values()))  # noqa: E731
    assert same(model.prior, shapes.prior) and same(model.upsamplers[0].first, shapes.upsamplers[0].first)
    image = run(model, TextToImage("a cat on the left", (1,), Settings(prior_steps=2, decoder_steps=2, size=64)))[0]
    assert image.image.shape == (64, 64, 3)
    seeded = initial_bundle(str(out), RECIPES["everyday"])  # a committed candidate: training goes on from it
    assert same(seeded.decoder, model.decoder) and same(seeded.clip.towers, model.clip.towers)
