"""Writing the review's folder whole, and drawing its diagram with Graphviz ``dot``.

A review folder holds files that belong together (plan.md describes the plan beside it): it is
filled in a staging folder and swapped in whole by
:func:`lambda_dynamodb.synthesis.output.replace_folder`, which refuses a folder the project did
not make (no marker inside), so a user's folder named by mistake is never replaced.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path

from lambda_dynamodb.synthesis.output import check_replaceable, replace_folder

GRAPHVIZ_INSTALL = "install Graphviz (apt-get install graphviz, brew install graphviz, or https://graphviz.org/download/)"


class GraphvizError(RuntimeError):
    """Graphviz ``dot`` is missing or failed: the message says how to fix it."""


def write_atomically(folder: Path, write: Callable[[Path], None]) -> Path:
    """``write`` fills a staging folder, which then replaces ``folder`` whole.

    ``folder`` is checked first (:class:`lambda_dynamodb.synthesis.output.FolderError` for a
    folder the project did not make, before anything is written). If ``write`` fails,
    ``folder`` keeps what it had (or stays absent) and the staging folder is removed: a reviewer
    never reads a plan.md that belongs to another plan.
    """
    folder = folder.resolve()
    check_replaceable(folder)
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{folder.name}.staging-", dir=folder.parent))
    staging.chmod(0o755)  # mkdtemp makes it private; the review is for every reviewer on the machine
    try:
        write(staging)
        replace_folder(staging, folder)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return folder


def dot_binary(path: str | None = None, install: str = GRAPHVIZ_INSTALL) -> str:
    """Graphviz ``dot`` on ``path`` (the PATH variable's value; None: this process's)."""
    binary = shutil.which("dot", path=path)
    if binary is None:
        raise GraphvizError(f"Graphviz `dot` was not found on PATH (it draws architecture.svg): {install}")
    return binary


def render_svg(source: str, dot: str) -> bytes:
    result = subprocess.run([dot, "-Tsvg"], input=source.encode(), capture_output=True)
    if result.returncode != 0:
        raise GraphvizError(f"Graphviz dot failed (exit code {result.returncode}):\n{result.stderr.decode(errors='replace').strip()}")
    return result.stdout
