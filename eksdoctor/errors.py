"""Errors the user caused: reported as one line on stderr with exit code 2, never a traceback."""


class UserError(Exception):
    """Bad input or options."""
