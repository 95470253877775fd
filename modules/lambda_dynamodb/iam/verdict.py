"""A permission row's verdict: its own module so that reading a manifest (the plan review, the
run task's Lambda package) does not import the permission plan, which imports the code analysis."""

from __future__ import annotations

from enum import Enum


class Verdict(str, Enum):
    USED = "used"
    UNUSED = "unused"
    MISSING = "missing"
    NOT_CHECKED = "not checked"
