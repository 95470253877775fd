"""What every subcommand's parser shares: its description (the module's docstring) and ``--outdir``."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

#: Where CDKTF synthesizes by default (``cdktf synth``, ``App()``).
DEFAULT_OUTDIR = Path("cdktf.out")


def command_parser(subparsers: Any, name: str, summary: str, doc: str | None) -> argparse.ArgumentParser:
    """The parser of subcommand ``name``: ``summary`` in the command list, ``doc`` as its help text."""
    return subparsers.add_parser(name, help=summary, description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)


def add_outdir(parser: argparse.ArgumentParser) -> None:
    """``--outdir``: the app's synthesized output, whose stack folders hold the manifests."""
    parser.add_argument("--outdir", type=Path, default=DEFAULT_OUTDIR, help="the synthesized app (default: ./cdktf.out)")
