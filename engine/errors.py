"""Errors the user can fix (bad input, missing files); anything else is an internal failure."""


class UserError(ValueError):
    """A problem with what the user asked for, reported as one line without a traceback."""
