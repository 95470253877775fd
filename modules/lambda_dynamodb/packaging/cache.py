"""Where the module keeps what it builds once and reuses: a user cache folder."""

from __future__ import annotations

import os
from pathlib import Path


def cache_dir() -> Path:
    """``$XDG_CACHE_HOME/cdktf-lambda-dynamodb`` (``~/.cache/...`` by default)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "cdktf-lambda-dynamodb"
