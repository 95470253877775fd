"""The ``main()`` of an app of this module: build, check, synthesize atomically, report.

    def main() -> int:
        return synth_app(build_app, Path(__file__).parent / "cdktf.out")

``build(staging)`` makes the App with ``outdir=staging``. The permission check runs over the
finished app (every function's problems in one :class:`ConfigurationError`, before anything is
written); the output folder is replaced only when the whole app synthesized
(:func:`~lambda_dynamodb.synthesis.output.synth_atomically`), and never when the project did not
make it. Then each function's warnings (on stderr) and each stack's ``cdk.tf.json`` (on stdout).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO

from lambda_dynamodb.config.errors import ConfigurationError
from lambda_dynamodb.synthesis.manifest import stack_folders
from lambda_dynamodb.synthesis.output import synth_atomically


def synth_app(build: Callable[[Path], Any], default_outdir: Path, *, out: TextIO | None = None, err: TextIO | None = None) -> int:
    """0 when synthesized; 2 with the error (it names every problem) when the app is refused.

    The output folder is the one the cdktf CLI names in ``CDKTF_OUTDIR``, else ``default_outdir``.
    """
    outdir = Path(os.environ.get("CDKTF_OUTDIR") or default_outdir)
    from lambda_dynamodb.constructs.checks import check  # the constructs load the provider bindings

    warnings: list[str] = []

    def checked(staging: Path) -> Any:
        app = build(staging)
        warnings.extend(check(app))
        return app

    try:
        target = synth_atomically(checked, outdir)
    except ConfigurationError as error:  # FolderError included: a folder the project did not make
        print(f"error: {error}", file=err or sys.stderr)
        return 2
    for warning in warnings:
        print(warning, file=err or sys.stderr)
    for folder in stack_folders(target).values():
        print(f"synthesized {folder / 'cdk.tf.json'}", file=out or sys.stdout)
    return 0
