"""Synthesis that never leaves half-written output behind."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

from cdktf import App


def synth_atomically(build: Callable[[Path], App], outdir: Path) -> Path:
    """Build and synthesize into a staging folder, then swap it in place of ``outdir``.

    ``build`` gets the staging folder to use as the App's ``outdir``. If building or
    synthesizing fails, ``outdir`` keeps what it had and the staging folder is removed.
    """
    outdir = outdir.resolve()
    outdir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{outdir.name}.staging-", dir=outdir.parent))
    try:
        build(staging).synth()
        replace_folder(staging, outdir)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return outdir


def replace_folder(new: Path, target: Path) -> None:
    """Put the folder ``new`` in place of ``target`` (removing what ``target`` held)."""
    retired = target.with_name(f".{target.name}.retired")
    shutil.rmtree(retired, ignore_errors=True)
    if target.exists():
        target.rename(retired)
    new.rename(target)
    shutil.rmtree(retired, ignore_errors=True)
