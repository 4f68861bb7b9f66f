"""The ready window on the tiny bundle, shown, for the studio's tests."""
import pytest

from tests.studio.helpers import close_window, open_ready


@pytest.fixture
def window(qtbot, tiny_bundle, tmp_path):
    w = open_ready(qtbot, str(tiny_bundle), tmp_path)
    yield w
    close_window(w)
