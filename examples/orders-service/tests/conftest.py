"""The app the lambda_dynamodb pytest plugin tests here: this service, synthesized by its main.py."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def lambda_dynamodb_app() -> Path:
    """Synthesized once per session as ``python main.py`` (CDKTF_OUTDIR set), the way the cdktf CLI runs it."""
    return Path(__file__).resolve().parent.parent / "main.py"
