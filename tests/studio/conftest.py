"""The ready window on the tiny bundle, shown, for the studio's tests."""
import pytest

from tests.studio.helpers import close_window, open_window


@pytest.fixture
def window(qtbot, tiny_bundle, tmp_path):
    w = open_window(qtbot, str(tiny_bundle), tmp_path)
    w.show()
    qtbot.waitUntil(lambda: w.state.model_status == "ready", timeout=30_000)
    yield w
    close_window(w)
