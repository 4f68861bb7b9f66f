"""Start-up without stalls: the GUI thread keeps ticking while the default model loads, and a job asked for before
the model is ready waits in the queue."""
import json
import os
import subprocess
import sys
from pathlib import Path

from studio.jobs import JobState
from tests.studio.helpers import close_window, open_window

ROOT = Path(__file__).resolve().parents[2]

PERIOD = 10  # ms: the heartbeat timer's interval
STALL = 50  # ms: the longest the GUI thread may be held beyond the timer's own period (issue 31)


def held_while_loading(tmp_path: Path) -> dict:
    """One start of the window on the default in a fresh process (tests/studio/start_probe.py): the longest gap of
    the GUI thread's 10 ms timer beyond its period until the model is ready (ms), its ticks, and the stacks of every
    thread when a gap first passed STALL. A fresh process is what a user starts, and its measure does not depend on
    what hundreds of earlier tests left in this one."""
    tmp_path.mkdir()
    out = subprocess.run([sys.executable, "-m", "tests.studio.start_probe", str(tmp_path), str(STALL)], cwd=ROOT,
                         capture_output=True, text=True, timeout=300, env={**os.environ, "QT_QPA_PLATFORM": "offscreen"})
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_no_gui_stall_over_50_ms_while_the_default_model_loads(tmp_path, capsys):
    """No gap of the GUI thread's 10 ms timer longer than its period plus 50 ms while the default loads. On a shared
    machine another process can take the CPU from the engine thread while it holds Python's lock, so up to three
    starts are measured and the best must keep the bound; a stall of the studio's own shows in every one
    (bench/studio_start.py measures before and after in one run)."""
    runs = []
    for attempt in range(3):
        runs.append(held_while_loading(tmp_path / str(attempt)))
        assert runs[-1]["ready"], "the default model did not load"
        assert runs[-1]["ticks"] > 5, "the model was ready before the window had painted: nothing was measured"
        if runs[-1]["held_ms"] <= STALL:
            break
    with capsys.disabled():
        held = ", ".join(f"{r['held_ms']:.0f}" for r in runs)
        print(f"\nGUI thread while the default loads: held at most {held} ms beyond the {PERIOD} ms period")
    best = min(runs, key=lambda r: r["held_ms"])
    assert best["held_ms"] <= STALL, f"every thread when the timer was {STALL} ms late:\n{best['stacks'][:6000]}"


def test_a_job_asked_for_before_the_model_is_ready_is_queued_not_refused(qtbot, tiny_bundle, tmp_path):
    w = open_window(qtbot, str(tiny_bundle), tmp_path)  # loading on the engine thread: its news is not in yet
    w.show()
    assert w.state.model_status == "loading" and w.prompt.generate_button.isEnabled()
    w.prompt.edit.setPlainText("a red circle")
    w.prompt.generate_button.click()  # no event is taken in meanwhile: the model's news cannot overtake the click
    assert w.state.model_status == "loading"  # asked for before the model was ready
    job = w.jobs.waiting()[0]
    assert w.queue_view.count() == 1 and w.status.text().startswith("Queued: it starts as soon as the model")
    qtbot.waitUntil(lambda: job.state is JobState.FINISHED, timeout=60_000)  # its image comes in before its end
    assert w.gallery.count() == 1 and w.state.results[0].prompt == "a red circle"
    config = w.worker.model.config  # asked for before the controls knew the model: its defaults were used
    assert w.state.results[0].metadata["settings"]["decoder_steps"] == config.decoder.steps
    close_window(w)
