"""``lambda-dynamodb``: the module's proofs, on any app's synthesized output.

    lambda-dynamodb permissions [--outdir cdktf.out] [--stack NAME] [--format table|markdown|json]
    lambda-dynamodb code-calls SOURCE_DIR [--handler MODULE.FUNCTION] [--exclude PATTERN]... [--json]
    lambda-dynamodb review PLAN_JSON [--outdir cdktf.out] [--stack NAME] [--out DIR]
    lambda-dynamodb run-task serve [--host 127.0.0.1] [--port N] [--tfc-address https://app.terraform.io]

Exit codes: 0 it ran (findings included), 1 a permission is missing (``permissions``), 2 bad
input (the message names it). Each subcommand is a module of this package with ``register``.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from lambda_dynamodb._version import __version__
from lambda_dynamodb.cli import code_calls, permissions, review, run_task
from lambda_dynamodb.cli.errors import CommandError

SUBCOMMANDS = (permissions, code_calls, review, run_task)


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="lambda-dynamodb", description="The IAM proofs of cdktf-lambda-dynamodb, on an app's cdktf.out.")
    root.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = root.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for command in SUBCOMMANDS:
        command.register(commands)
    return root


def main(argv: Sequence[str] | None = None) -> int:
    arguments = parser().parse_args(argv)
    try:
        return int(arguments.run(arguments))
    except CommandError as error:
        print(f"lambda-dynamodb {arguments.command}: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
