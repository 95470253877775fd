"""`make permissions`: every permission of every function's role, why it is there, and a verdict.

    python tools/permissions.py [--app NAME ...]

The apps are this repository's: the reference app (``main.py``, stack ``lambda-dynamodb``) and
the example service (``examples/orders-service``). Each is built (not deployed, not even
synthesized: the constructs decide the statements), and every function of the library in it
reports, after what its zip holds (file count, sizes, SHA-256), its rows: one per (action, resource) its role's policy grants, grants added after the
function was made and statements added by hand included, plus one per call that needs a
permission the policy lacks: why (the code's call at file:line, what the Lambda service does,
"added by hand", or "granted by ... only") and the verdict (used, unused, missing, not
checked). Findings (a public function URL) follow each table. The account is shown as
``<account>``: nothing here asks AWS. Exits 1 when a permission is missing.
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

sys.path[:0] = [str(Path(__file__).resolve().parent.parent)]

import main  # noqa: E402
from lambda_dynamodb import ConfigurationError  # noqa: E402
from lambda_dynamodb.packaging.code_package import package_summary  # noqa: E402
from lambda_dynamodb.iam.permissions import PermissionPlan, PermissionRow, Verdict, function_plan  # noqa: E402
from lambda_dynamodb.iam.policy import ArnContext, partition_of  # noqa: E402

ACCOUNT_PLACEHOLDER = "<account>"
EXAMPLE_SERVICE = main.PROJECT_DIR / "examples" / "orders-service"


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


def reference_app(outdir: Path) -> Any:
    settings = main.app_settings(main.load_context(), permissions=False)
    return main.build_app(settings, outdir)


def example_service(outdir: Path) -> Any:
    """The example service's app, from its own main.py (its folder is its own project)."""
    spec = importlib.util.spec_from_file_location("orders_service_main", EXAMPLE_SERVICE / "main.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.build_app(outdir)


#: The repository's apps, by the name ``--app`` takes.
APPS: dict[str, Callable[[Path], Any]] = {"lambda-dynamodb": reference_app, "orders-service": example_service}


def functions(app: Any) -> list[Any]:
    """Every function of the library in ``app``, in tree order."""
    from lambda_dynamodb.constructs.checks import functions as found

    return found(app)


def stack_context(function: Any) -> ArnContext:
    """The function's stack's partition and region (its AWS provider's), the account left out."""
    from cdktf import TerraformStack
    from cdktf_cdktf_provider_aws.provider import AwsProvider

    stack = TerraformStack.of(function)
    region = next(node.region for node in stack.node.find_all() if isinstance(node, AwsProvider))
    return ArnContext(partition_of(region), region, ACCOUNT_PLACEHOLDER)


def report(function: Any) -> tuple[list[str], PermissionPlan]:
    """The lines `make permissions` prints for one function, and its plan."""
    plan = function_plan(function.model(), stack_context(function))
    role = function.role
    lines = [f"Permissions of role {role.role_name} (policy {role.policy_name}), function {function.settings.name}:", ""]
    # What the zip holds: the code these rows were read from, as deployed.
    lines += [*package_summary(function.settings).splitlines(), ""]
    lines += table_markdown(plan.rows)
    lines += ["", f"{len(plan.rows)} permissions: {summary(plan)}."]
    lines += [finding.removeprefix("warning: ") for finding in plan.findings]
    return lines, plan


def run(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--app", action="append", choices=sorted(APPS), help="one of the repository's apps (default: all)")
    names = parser.parse_args(argv).app or list(APPS)
    missing = False
    with tempfile.TemporaryDirectory(prefix="permissions-") as scratch:
        for name in names:
            try:
                app = APPS[name](Path(scratch) / name)
            except ConfigurationError as error:
                print(f"error: {name}: {error}", file=sys.stderr)
                return 2
            print(f"# App {name}\n")
            for function in functions(app):
                lines, plan = report(function)
                print("\n".join(lines) + "\n")
                sys.stdout.flush()
                for line in (*(w for w in plan.warnings if w not in plan.findings), *(f"error: {e}" for e in plan.errors)):
                    print(line, file=sys.stderr)
                missing |= bool(plan.errors)
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(run())
