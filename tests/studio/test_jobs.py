"""The job model: one message type from the worker, one observable model of jobs, queue and strips."""
import numpy as np

import studio.worker
from engine import Failed, FailureKind, Finished, ImageReady, Stage, StageStarted, StepDone
from studio.jobs import JobModel, JobState
from studio.messages import END, Frames, FrameReady, JobKind, Kind, Message, Saved, Ticket, Waiting
from tests.studio.helpers import generate_one, record


def ticket(job_id, label="job", **kw):
    return Ticket(job_id, JobKind.GENERATE, label, **kw)


def test_the_model_follows_a_job_from_queued_to_finished(qtbot):
    jobs, seen, busy = JobModel(), [], []
    jobs.changed.connect(lambda job, message: seen.append((message.kind, job.state)))
    jobs.busy_changed.connect(busy.append)
    t = ticket(1, "a red circle")
    jobs.receive(Message(Kind.QUEUED, 1, Waiting(1, (t,))))
    assert [j.label for j in jobs.waiting()] == ["a red circle"] and jobs.busy
    jobs.receive(Message(Kind.STARTED, 1, t))
    stage = Stage.decoder(64)
    jobs.receive(Message(Kind.STAGE, 1, StageStarted(stage, 4)))
    jobs.receive(Message(Kind.STEP, 1, StepDone(stage, 2, 4, np.zeros((1, 8, 8, 3), np.uint8))))
    job = jobs.running
    assert (job.stage.display, job.step, job.steps, job.progress) == ("decoder · 64 px", 2, 4, 0.5)
    image = ImageReady(0, 7, np.zeros((8, 8, 3), np.uint8), {"seed": 7})
    jobs.receive(Message(Kind.IMAGE, 1, Saved(image, "/library/a.png")))
    jobs.receive(Message(Kind.FINISHED, 1, Finished((image,), 0.5)))
    assert [k for k, _ in seen] == [Kind.QUEUED, Kind.STARTED, Kind.STAGE, Kind.STEP, Kind.IMAGE, Kind.FINISHED]
    assert seen[0][1] is JobState.WAITING and seen[1][1] is JobState.RUNNING and seen[-1][1] is JobState.FINISHED
    assert (job.images, job.last_seed, job.last_path) == (1, 7, "/library/a.png")
    assert jobs.running is None and not jobs.busy and busy == [True, False]


def test_the_newest_queue_snapshot_wins_whichever_thread_sent_it(qtbot):
    jobs, changes = JobModel(), []
    jobs.queue_changed.connect(lambda: changes.append([j.id for j in jobs.waiting()]))
    a, b, c = ticket(1), ticket(2), ticket(3)
    jobs.receive(Message(Kind.QUEUED, 3, Waiting(3, (c, a, b))))  # sent from the GUI thread, direct
    jobs.receive(Message(Kind.QUEUED, 2, Waiting(2, (a, b))))  # older, queued from the engine thread
    assert [j.id for j in jobs.waiting()] == [3, 1, 2] and changes == [[3, 1, 2]]
    jobs.receive(Message(Kind.REMOVED, 1))
    jobs.receive(Message(Kind.QUEUED, 1, Waiting(4, (c, b))))
    assert jobs.job(1).state is JobState.REMOVED and [j.id for j in jobs.waiting()] == [3, 2]
    jobs.receive(Message(Kind.STARTED, 3, c))
    assert [j.id for j in jobs.waiting()] == [2] and jobs.running.id == 3


def test_open_strips_keep_their_frames_and_know_their_pending_jobs(qtbot):
    jobs, added = JobModel(), []
    jobs.frame_added.connect(lambda key, index: added.append((key, index)))
    jobs.open_strip("k", {0: np.zeros((4, 4, 3), np.uint8)})
    t = Ticket(5, JobKind.FRAMES, "frames [4] of 5", "k", (4,))
    jobs.receive(Message(Kind.QUEUED, 5, Waiting(1, (t,))))
    assert jobs.pending("k") == {5: (4,)} and jobs.pending("other") == {}
    jobs.receive(Message(Kind.STARTED, 5, t))
    jobs.receive(Message(Kind.FRAME, 5, FrameReady("k", 4, np.ones((4, 4, 3), np.uint8))))
    jobs.receive(Message(Kind.FRAME, 5, FrameReady("mix", 0, np.ones((4, 4, 3), np.uint8))))  # not open: not kept
    jobs.receive(Message(Kind.FINISHED, 5, Finished((), 0.1)))
    assert sorted(jobs.frames("k")) == [0, 4] and jobs.frames("mix") == {} and added == [("k", 4)]
    assert jobs.pending("k") == {}
    jobs.close_strip("k")
    assert jobs.frames("k") == {}


def test_tickets_say_what_a_job_is():
    frames = Frames("key", lambda model: None, [0, 4], None)
    assert Ticket.of(3, frames, "frames") == Ticket(3, JobKind.FRAMES, "frames", "key", (0, 4))
    assert Ticket.of(4, None, "x").kind is JobKind.OTHER


def test_a_generate_job_sends_one_message_type_in_order(window, qtbot):
    seen = record(window)
    generate_one(window, qtbot, seed=21, count=2)
    qtbot.waitUntil(lambda: seen and seen[-1].kind in END, timeout=30_000)
    kinds = [m.kind for m in seen]
    assert kinds[:2] == [Kind.QUEUED, Kind.STARTED] and kinds[-1] is Kind.FINISHED
    assert {Kind.STAGE, Kind.STEP} <= set(kinds) and kinds.count(Kind.IMAGE) == 2
    assert kinds.index(Kind.STEP) < kinds.index(Kind.IMAGE)
    assert all(isinstance(m, Message) and m.job_id == seen[0].job_id for m in seen)
    stages = [m.payload.stage for m in seen if m.kind is Kind.STAGE]
    assert all(isinstance(s, Stage) for s in stages) and stages[0].display == "prior"
    assert [m.payload.image.seed for m in seen if m.kind is Kind.IMAGE] == [21, 22]
    assert [r.seed for r in window.state.results] == [21, 22]
    first = window.state.results[0]  # the grid's focus, as the seed field shows it
    assert window.status.text().startswith(f"seeds 21–22, seed 21 in focus — {first.path} · 2 images in ")


def test_out_of_memory_splits_the_job_by_its_failure_kind(window, qtbot, monkeypatch):
    real = studio.worker.serve

    def small_memory(model, request, **kwargs):
        if len(request.seeds) > 1:  # the message does not matter: the kind decides
            return Failed("the device is full", kind=FailureKind.OUT_OF_MEMORY)
        return real(model, request, **kwargs)

    monkeypatch.setattr(studio.worker, "serve", small_memory)
    seen = record(window)
    generate_one(window, qtbot, seed=10, count=2)
    split = next(m for m in seen if m.kind is Kind.SPLIT)
    assert split.payload.failure.kind is FailureKind.OUT_OF_MEMORY
    assert window.jobs.job(split.job_id).state is JobState.SPLIT
    first, second = split.payload.into
    started = [m.job_id for m in seen if m.kind is Kind.STARTED]
    assert started == [split.job_id, first, second] and [r.seed for r in window.state.results] == [10, 11]
    monkeypatch.setattr(studio.worker, "serve", lambda model, request, **kwargs: Failed("no", kind=FailureKind.USER))
    window.settings.count.setValue(2)
    window.generate()
    qtbot.waitUntil(lambda: seen[-1].kind is Kind.FAILED, timeout=30_000)  # any other failure: not split
    assert window.status.text() == "⚠ Failed: no"
