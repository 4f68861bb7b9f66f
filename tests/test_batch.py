"""Batches: job files, grids, the local path and Ray (a local 2-CPU instance) giving the same pixels."""
import json
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from engine import UserError, load_bundle
from engine.batch import run_local
from engine.cli import main
from engine.jobs import grid, parse_jobs


def write_jobs(path: Path, n: int = 20) -> Path:
    records = grid(["a red circle", "a blue star"], list(range(n // 4)), [None], [2.0, 3.0],
                   {"decoder_steps": 2, "prior_steps": 2, "size": 32})
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    return path


def pixels(folder: Path) -> dict:
    return {p.name: np.asarray(Image.open(p)) for p in sorted(folder.glob("*.png"))}


def test_grid_and_seed_lines_expand(tmp_path):
    jobs = parse_jobs(write_jobs(tmp_path / "j.jsonl"))
    assert len(jobs) == 20 and len({j.key for j in jobs}) == 20
    (tmp_path / "s.jsonl").write_text('{"prompt": "x", "seeds": [1, 2, 3]}\n# a comment\n\n')
    assert [j.seed for j in parse_jobs(tmp_path / "s.jsonl")] == [1, 2, 3]


@pytest.mark.parametrize("line, message", [
    ("{not json", "j.jsonl:1: not JSON"), ('{"kind": "paint"}', "unknown kind"),
    ('{"kind": "variation"}', "needs .image."), ('{"settings": {"steps": 3}}', "unknown settings steps"),
    ('{"seed": -1}', "seed"), ('{"settings": {"decoder_guidance": "x"}}', "guidance"),
])
def test_bad_job_lines_name_their_line(tmp_path, line, message):
    (tmp_path / "j.jsonl").write_text(line + "\n")
    with pytest.raises(UserError, match=message):
        parse_jobs(tmp_path / "j.jsonl")


def test_a_saved_images_settings_replay_in_bulk(tiny_bundle, tmp_path):
    assert main(["generate", "a green ring", "--model", str(tiny_bundle), "--seed", "9", "--size", "32",
                 "--steps", "2,2,2", "--dtype", "float32", "--out", str(tmp_path / "orig.png")]) == 0
    record = json.loads(Image.open(tmp_path / "orig.png").text["unclip"])
    (tmp_path / "replay.jsonl").write_text(json.dumps(record) + "\n")
    assert main(["batch", str(tmp_path / "replay.jsonl"), "--model", str(tiny_bundle), "--out",
                 str(tmp_path / "out")]) == 0
    [replayed] = (tmp_path / "out").glob("*.png")
    assert np.array_equal(np.asarray(Image.open(replayed)), np.asarray(Image.open(tmp_path / "orig.png")))


def test_local_batch_resumes_and_verifies(tiny_bundle, tmp_path):
    jobs = parse_jobs(write_jobs(tmp_path / "j.jsonl"))
    model = load_bundle(str(tiny_bundle))
    first = run_local(model, jobs, tmp_path / "out")
    assert first.done == 20 and len(pixels(tmp_path / "out")) == 20
    broken = sorted((tmp_path / "out").glob("*.png"))[3]
    broken.write_bytes(broken.read_bytes()[:100])  # a damaged file is redone, the rest skipped
    again = run_local(model, jobs, tmp_path / "out")
    assert (again.done, again.skipped) == (1, 19)


@pytest.fixture(scope="module")
def ray_local():
    ray = pytest.importorskip("ray")
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield ray
    ray.shutdown()


def test_ray_gives_the_local_pixels_and_survives_a_killed_worker(ray_local, tiny_bundle, tmp_path):
    from engine.ray_batch import run_ray
    jobs = parse_jobs(write_jobs(tmp_path / "j.jsonl"))
    run_local(load_bundle(str(tiny_bundle)), jobs, tmp_path / "local")

    def kill_one_soon(actors):
        threading.Thread(target=lambda: (time.sleep(2.0), ray_local.kill(actors[0], no_restart=False)),
                         daemon=True).start()

    summary = run_ray("local", str(tiny_bundle), "cpu", "float32", jobs, tmp_path / "ray", chunk=2,
                      started=kill_one_soon)
    assert summary.done == 20 and not summary.failed
    local, remote = pixels(tmp_path / "local"), pixels(tmp_path / "ray")
    assert local.keys() == remote.keys() and len(remote) == 20
    assert all(np.array_equal(local[k], remote[k]) for k in local)
    resumed = run_ray("local", str(tiny_bundle), "cpu", "float32", jobs, tmp_path / "ray")
    assert (resumed.done, resumed.skipped) == (0, 20)


def test_without_ray_the_flag_says_how_to_install(monkeypatch, tiny_bundle, tmp_path, capsys):
    import builtins
    real = builtins.__import__

    def no_ray(name, *args, **kwargs):
        if name == "ray":
            raise ImportError("no ray")
        return real(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_ray)
    write_jobs(tmp_path / "j.jsonl")
    assert main(["batch", str(tmp_path / "j.jsonl"), "--out", str(tmp_path / "o"), "--ray", "auto",
                 "--model", str(tiny_bundle)]) == 2
    assert 'pip install -e ".[ray]"' in capsys.readouterr().err


def test_interpolation_jobs_write_every_frame(tiny_bundle, tmp_path):
    (tmp_path / "i.jsonl").write_text(json.dumps({"kind": "interpolation", "a": "text:a red circle",
                                                  "b": "text:a blue star", "frames": 3, "seed": 1,
                                                  "settings": {"decoder_steps": 2, "size": 32}}) + "\n")
    jobs = parse_jobs(tmp_path / "i.jsonl")
    summary = run_local(load_bundle(str(tiny_bundle)), jobs, tmp_path / "out")
    frames = sorted((tmp_path / "out").glob("*.png"))
    assert summary.images == 3 and [f.name[-13:] for f in frames] == [f"frame-{i:03d}.png" for i in range(3)]
    assert json.loads(Image.open(frames[2]).text["unclip"])["position"] == 1.0
