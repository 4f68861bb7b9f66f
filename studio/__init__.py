"""The PySide6 studio: the only package that knows Qt. `studio.app.create_main_window` builds it."""
