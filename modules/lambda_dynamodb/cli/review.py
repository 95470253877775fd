"""``lambda-dynamodb review PLAN_JSON``: the plan review of any Terraform plan, into one folder.

    lambda-dynamodb review PLAN_JSON [--outdir ./cdktf.out] [--stack NAME] [--out ./plan]

PLAN_JSON is `terraform show -json` of a saved plan. Writes, all at once or not at all, into
``--out``: ``plan.md`` (replacements and what AWS would refuse first, the counts, every
resource change, the IAM permissions added or removed with why the role has each, from the
planned stack's permissions manifest in ``--outdir``), ``architecture.dot`` and
``architecture.svg`` (drawn by Graphviz ``dot``). A folder the command did not make is never
replaced. Exit 0 when the review was written, 2 on bad input.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from lambda_dynamodb.cli.arguments import add_outdir, command_parser
from lambda_dynamodb.cli.errors import CommandError
from lambda_dynamodb.review.files import GraphvizError
from lambda_dynamodb.review.plan_file import PlanFileError
from lambda_dynamodb.review.report import REVIEW_FILES, review_file
from lambda_dynamodb.synthesis.output import FolderError


def register(subparsers: Any) -> None:
    command = command_parser(subparsers, "review", "the plan review (plan.md, architecture.svg) of a `terraform show -json` plan", __doc__)
    command.add_argument("plan_json", metavar="PLAN_JSON", type=Path, help="`terraform show -json PLANFILE` output")
    add_outdir(command)
    command.add_argument("--stack", help="the planned stack (default: the stack whose manifest names the plan's roles)")
    command.add_argument("--out", type=Path, default=Path("plan"), help="the folder to write the review into (default ./plan)")
    command.set_defaults(run=run)


def run(arguments: argparse.Namespace) -> int:
    try:
        made = review_file(arguments.plan_json, arguments.out, arguments.outdir, arguments.stack)
    except (PlanFileError, GraphvizError) as error:
        raise CommandError(str(error)) from None
    except FolderError as error:
        raise CommandError(f"--out: {'; '.join(error.problems)}") from None
    written = ", ".join(str(arguments.out / name) for name in REVIEW_FILES)
    print(f"wrote {written} (stack {made.stack.name or 'unknown'})")
    if made.stack.why.unavailable:
        print(f"note: the why column is unavailable: {made.stack.why.unavailable}")
    return 0
