"""Synthesize the app under test into a folder, the way its own entry point does.

The app is named by what the consumer has: a callable building their ``cdktf.App`` for an
``outdir`` (run in this process, then ``app.synth()``), their ``main.py`` (run as ``python
main.py`` with ``CDKTF_OUTDIR``, as the cdktf CLI runs it), or their ``cdktf.json`` (its
``app`` command, likewise). The CLI also hands the app ``cdktf.json``'s ``context`` in
``CDKTF_CONTEXT_JSON``; so does this.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, Union

from lambda_dynamodb.testing.stack import SynthesizedApp

#: What names an app: ``build(outdir) -> cdktf.App``, or the path of its main.py or cdktf.json.
AppSource = Union[Callable[[Path], Any], Path, str]
SYNTH_TIMEOUT_SECONDS = 600


class SynthesisFailed(AssertionError):
    """The app did not synthesize (the message holds its output)."""


def synthesize(app: AppSource, outdir: Path) -> SynthesizedApp:
    """Synthesize ``app`` into ``outdir`` (a ``cdktf.out`` folder) and read it back."""
    outdir = Path(outdir)
    if callable(app):
        built = app(outdir)
        if built is not None and hasattr(built, "synth"):
            built.synth()
    else:
        _run_entry_point(Path(app), outdir)
    if not (outdir / "stacks").is_dir():
        raise SynthesisFailed(f"{_name(app)} ran but wrote no stack into {outdir}: does it build its App with that outdir (or CDKTF_OUTDIR)?")
    return SynthesizedApp(outdir)


def _run_entry_point(path: Path, outdir: Path) -> None:
    path = path.resolve()
    if path.is_dir():
        path = path / "cdktf.json"
    if not path.is_file():
        raise SynthesisFailed(f"the app {path} does not exist: name its main.py or cdktf.json")
    project = path.parent
    env = {**os.environ, "CDKTF_OUTDIR": str(outdir)}
    env.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "1")
    config = project / "cdktf.json"
    settings = json.loads(config.read_text()) if config.is_file() else {}
    if "context" in settings and "CDKTF_CONTEXT_JSON" not in env:
        env["CDKTF_CONTEXT_JSON"] = json.dumps(settings["context"])
    if path.name == "cdktf.json":
        if "app" not in settings:
            raise SynthesisFailed(f"{path} names no app command (its \"app\" key)")
        command: list[str] | str = str(settings["app"])
    else:
        command = [sys.executable, str(path)]
    run = subprocess.run(command, cwd=project, env=env, shell=isinstance(command, str), capture_output=True, text=True, timeout=SYNTH_TIMEOUT_SECONDS)
    if run.returncode != 0:
        shown = command if isinstance(command, str) else f"python {path.name}"
        raise SynthesisFailed(f"{shown} (in {project}) failed with exit {run.returncode}:\n{run.stdout[-3000:]}{run.stderr[-3000:]}")


def _name(app: AppSource) -> str:
    return getattr(app, "__qualname__", None) or str(app)
