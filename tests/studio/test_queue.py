"""The queue and cancel in the real window, as the job model has them: the queue view and the window show the
model's jobs (never a label read back)."""
from PySide6.QtCore import Qt

from engine import StageKind, TextToImage
from studio.jobs import JobState
from studio.messages import Kind
from tests.studio.helpers import record


def shown_queue(window):
    view = window.queue_view
    return [(view.item(k).data(Qt.ItemDataRole.UserRole), view.item(k).text()) for k in range(view.count())]


def test_queue_runs_next_removes_and_keeps_order(window, qtbot):
    seen = record(window)

    def started():
        return [m.payload.label for m in seen if m.kind is Kind.STARTED]
    window.settings.steps["decoder"].setValue(1000)
    window.prompt.edit.setPlainText("slow")
    window.generate()
    qtbot.waitUntil(lambda: len(started()) == 1, timeout=30_000)
    window.settings.steps["decoder"].setValue(2)
    ids = [window.worker.submit(None, name) for name in ("a", "b", "c")]
    assert shown_queue(window) == [(j.id, j.label) for j in window.jobs.waiting()] == list(zip(ids, "abc"))
    window.queue_view.front_requested.emit(ids[2])
    window.queue_view.remove_requested.emit(ids[1])
    assert shown_queue(window) == [(ids[2], "c"), (ids[0], "a")]  # at once: edits from this thread are direct
    assert window.jobs.job(ids[1]).state is JobState.REMOVED
    window.worker.clear_queue()
    assert shown_queue(window) == [] and {window.jobs.job(i).state for i in ids} == {JobState.REMOVED}
    window.worker.submit(TextToImage("c", (1,), window.settings.settings()), "c")
    window.worker.submit(TextToImage("a", (2,), window.settings.settings()), "a")
    window.cancel()
    qtbot.waitUntil(lambda: window.gallery.count() == 2, timeout=60_000)
    assert started()[1:] == ["c", "a"] and [r.prompt for r in window.state.results] == ["c", "a"]
    qtbot.waitUntil(lambda: not window.jobs.busy, timeout=10_000)
    assert not window.prompt.cancel_button.isEnabled() and shown_queue(window) == []


def test_the_window_shows_the_running_job_as_the_model_has_it(window, qtbot):
    window.settings.steps["decoder"].setValue(1000)
    window.prompt.edit.setPlainText("a slow one")
    window.generate()
    behind = window.worker.submit(TextToImage("next", (3,), window.settings.settings()), "next")

    def shown():
        job, bar = window.jobs.running, window.progress_bar
        return job is not None and job.stage is not None and job.stage.kind is StageKind.DECODER and job.step >= 3 \
            and (bar.value(), bar.maximum()) == (job.step, job.steps)
    qtbot.waitUntil(shown, timeout=60_000)
    job = window.jobs.running
    assert job.stage.display == window.status.text().removesuffix("…") == "decoder · 16 px" and job.steps == 1000
    assert window.canvas.previewing and window.canvas.caption.startswith("decoder · 16 px · step ")
    assert window.prompt.cancel_button.isEnabled() == window.jobs.busy is True
    assert shown_queue(window) == [(behind, "next")]
    window.worker.remove(behind)
    window.cancel()
    qtbot.waitUntil(lambda: job.state is JobState.CANCELLED, timeout=30_000)


def test_cancel_stops_within_a_step_clears_the_preview_and_keeps_the_ui_alive(window, qtbot):
    seen = record(window)
    window.settings.steps["decoder"].setValue(1000)
    window.prompt.edit.setPlainText("a slow one")
    window.generate()
    qtbot.waitUntil(lambda: window.jobs.running is not None and window.jobs.running.step >= 1
                    and window.canvas.previewing, timeout=60_000)
    job = window.jobs.running
    qtbot.mouseClick(window.prompt.cancel_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: job.state is JobState.CANCELLED, timeout=30_000)
    end = seen[-1]
    assert end.kind is Kind.CANCELLED and end.job_id == job.id and end.payload.step < 1000
    assert window.status.text() == "Cancelled." and window.gallery.count() == 0
    assert (window.progress_bar.value(), window.progress_bar.maximum()) == (0, 1)  # the bar starts again
    assert not window.canvas.previewing and " step " not in window.canvas.caption  # the preview is gone
    assert not window.jobs.busy and not window.prompt.cancel_button.isEnabled()
    window.settings.steps["decoder"].setValue(2)
    window.generate()
    qtbot.waitUntil(lambda: window.gallery.count() == 1, timeout=60_000)
