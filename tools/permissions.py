"""`make permissions`: every permission of the app's role, why it is there, and a verdict.

    python tools/permissions.py

One row per (action, resource) the role's policy grants, plus one per call that needs a
permission the policy lacks: why (the code's call at file:line, what the Lambda service does,
or "granted by ... only") and the verdict (used, unused, missing, not checked). The account is
shown as ``<account>``: nothing here asks AWS. Exits 1 when a permission is missing.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

sys.path[:0] = [str(Path(__file__).resolve().parent.parent)]

import main  # noqa: E402
from lambda_dynamodb import ConfigurationError  # noqa: E402
from lambda_dynamodb.permissions import PermissionPlan, PermissionRow, Verdict, permission_plan  # noqa: E402
from lambda_dynamodb.policy import ArnContext, partition_of  # noqa: E402

ACCOUNT_PLACEHOLDER = "<account>"


def table_markdown(rows: Sequence[PermissionRow]) -> list[str]:
    """The permissions as a Markdown table (what the README shows)."""
    lines = ["| action | resource | why | verdict |", "|---|---|---|---|"]
    for row in rows:
        why = "<br>".join(_cell(reason) for reason in row.why)
        verdict = f"**{row.verdict.value}**" if row.verdict is Verdict.MISSING else row.verdict.value
        lines.append(f"| `{row.action}` | `{row.resource}` | {why} | {verdict} |")
    return lines


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def summary(plan: PermissionPlan) -> str:
    counts = {verdict: sum(row.verdict is verdict for row in plan.rows) for verdict in Verdict}
    return ", ".join(f"{count} {verdict.value}" for verdict, count in counts.items() if count)


def run(argv: Sequence[str] | None = None) -> int:
    argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter).parse_args(argv)
    try:
        settings = main.app_settings(main.load_context(), permissions=False)
    except ConfigurationError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    context = ArnContext(partition_of(settings.region), settings.region, ACCOUNT_PLACEHOLDER)
    plan = permission_plan(settings.module_settings(), context)
    print(f"Permissions of role {settings.role_name} (policy {settings.policy_name}), function {settings.function_name}:\n")
    print("\n".join(table_markdown(plan.rows)))
    print(f"\n{len(plan.rows)} permissions: {summary(plan)}.")
    sys.stdout.flush()
    for line in (*plan.warnings, *(f"error: {error}" for error in plan.errors)):
        print(line, file=sys.stderr)
    return 1 if plan.errors else 0


if __name__ == "__main__":
    sys.exit(run())
