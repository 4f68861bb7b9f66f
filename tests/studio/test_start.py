"""Start-up without stalls: the GUI thread keeps ticking while the default model loads, and a job asked for before
the model is ready waits in the queue."""
import faulthandler
import time

from PySide6.QtCore import QTimer

from studio.jobs import JobState
from tests.studio.helpers import close_window, open_window

PERIOD = 10  # ms: the heartbeat timer's interval
STALL = 50  # ms: the longest the GUI thread may be held beyond the timer's own period (issue 31)


def held_while_loading(qtbot, tmp_path) -> tuple[float, int, str]:
    """Open the window on the default and tick a 10 ms timer on the GUI thread from its first paint until the model
    is ready: the longest gap beyond the timer's period (ms), how many ticks there were, and every thread's stack
    at the moment a gap first passed the bound (faulthandler's watchdog runs without Python's lock)."""
    ticks = []
    stacks = (tmp_path / "stacks.txt").open("w+")

    def tick() -> None:
        ticks.append(time.perf_counter())
        faulthandler.dump_traceback_later((PERIOD + STALL) / 1000, file=stacks)  # re-armed each tick

    timer = QTimer(interval=PERIOD, timeout=tick)
    w = open_window(qtbot, "default", tmp_path)
    w.show()
    qtbot.waitExposed(w)
    timer.start()
    qtbot.waitUntil(lambda: w.state.model_status == "ready", timeout=120_000)
    qtbot.wait(2 * PERIOD)  # the tick after the model's news was taken in
    timer.stop()
    faulthandler.cancel_dump_traceback_later()
    close_window(w)
    stacks.seek(0)
    return max(1000 * (b - a) - PERIOD for a, b in zip(ticks, ticks[1:])), len(ticks), stacks.read()


def test_no_gui_stall_over_50_ms_while_the_default_model_loads(qtbot, tmp_path, capsys):
    """No gap of the GUI thread's 10 ms timer longer than its period plus 50 ms while the default loads. On a shared
    machine another process can take the CPU from the engine thread while it holds Python's lock (its longest single
    hold is the CLIP tokenizer's set-up), so up to three starts are measured and the best must keep the bound; a
    stall of the studio's own shows in every one (bench/studio_start.py measures before and after in one run)."""
    attempts, stacks = [], ""
    for attempt in range(3):
        (tmp_path / str(attempt)).mkdir()
        held, ticks, stacks = held_while_loading(qtbot, tmp_path / str(attempt))
        assert ticks > 5, "the model was ready before the window had painted: nothing was measured"
        attempts.append(held)
        if held <= STALL:
            break
    with capsys.disabled():
        print(f"\nGUI thread while the default loads: held at most {', '.join(f'{a:.0f}' for a in attempts)} ms "
              f"beyond the {PERIOD} ms period")
    assert min(attempts) <= STALL, f"every thread when the GUI thread's timer was {STALL} ms late:\n{stacks[:6000]}"


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
