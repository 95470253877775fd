"""The one error a subcommand raises for bad input: printed on one line, exit code 2."""

from __future__ import annotations


class CommandError(Exception):
    """Bad input (a missing folder, no manifest, an unreadable plan): the message says which and why."""
