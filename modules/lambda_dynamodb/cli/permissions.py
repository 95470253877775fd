"""``lambda-dynamodb permissions``: every permission of every function's role, why, and a verdict.

    lambda-dynamodb permissions [--outdir ./cdktf.out] [--stack NAME] [--format table|markdown|json]

Reads the permissions manifests the synthesis wrote (``<outdir>/stacks/<stack>/
lambda-dynamodb.permissions.json``, docs/manifest.md); the app is never imported nor run again.
For each function of the module: its role and policy, what its zip holds (files, sizes,
SHA-256), then one row per (action, resource) its policy grants and per call the policy lacks:
why (the code's call at file:line, what the Lambda service does, "added by hand", "granted by
... only") and the verdict (used, unused, missing, not checked), then the findings (a public
function URL). Warnings and errors go to stderr. The account is shown as ``<account>``.

Exit codes: 0 every call is allowed, 1 a permission is missing, 2 no manifest to read (the
message says which folder and why).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Sequence
from enum import Enum
from typing import TextIO

from lambda_dynamodb.cli.arguments import add_outdir, command_parser
from lambda_dynamodb.cli.errors import CommandError
from lambda_dynamodb.iam.permissions import Verdict
from lambda_dynamodb.packaging.code_package import ZipSummary
from lambda_dynamodb.synthesis.manifest import (
    FILE_NAME,
    FunctionEntry,
    Manifest,
    ManifestError,
    PackageEntry,
    PackageOrigin,
    PermissionEntry,
    load_all,
    stack_folders,
)


class Format(str, Enum):
    #: What ``make permissions`` prints: a heading line per function, a Markdown table of its rows.
    TABLE = "table"
    #: A Markdown document (headings, lists), to paste into a pull request or a README.
    MARKDOWN = "markdown"
    #: The manifests' functions, each with its stack's name.
    JSON = "json"


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = command_parser(subparsers, "permissions", "every permission of every function's role: action, resource, why, verdict", __doc__)
    add_outdir(parser)
    parser.add_argument("--stack", help="one stack (default: every stack with a manifest)")
    parser.add_argument("--format", choices=[f.value for f in Format], default=Format.TABLE.value, help="default: table")
    parser.set_defaults(run=run)


def run(arguments: argparse.Namespace) -> int:
    try:
        manifests = load_all(arguments.outdir, arguments.stack)
        skipped = [] if arguments.stack else sorted(set(stack_folders(arguments.outdir)) - {m.stack for m in manifests})
    except ManifestError as error:
        raise CommandError(str(error)) from None
    out, err = sys.stdout, sys.stderr
    for name in skipped:
        print(f"note: stack {name} has no {FILE_NAME} (no function of cdktf-lambda-dynamodb in it): left out", file=err)
    form = Format(arguments.format)
    if form is Format.JSON:
        functions = [{"stack": m.stack, **function} for m in manifests for function in m.to_dict()["functions"]]
        json.dump({"functions": functions}, out, indent=2, sort_keys=True)
        out.write("\n")
    else:
        for manifest in manifests:
            write_stack(manifest, form, out, err)
    return 1 if any(function.missing or function.errors for m in manifests for function in m.functions) else 0


def write_stack(manifest: Manifest, form: Format, out: TextIO, err: TextIO) -> None:
    """One stack's functions, each followed (on ``err``) by its warnings and errors."""
    heading = f"# Stack {manifest.stack}" if form is Format.TABLE else f"## Stack `{manifest.stack}`"
    print(f"{heading}\n", file=out)
    for function in manifest.functions:
        lines = table_lines(function) if form is Format.TABLE else markdown_lines(function)
        print("\n".join(lines) + "\n", file=out)
        out.flush()  # the warnings below follow their function's table in a terminal
        for line in (*(f"warning: {w}" for w in function.warnings), *(f"error: {e}" for e in function.errors)):
            print(line, file=err)


# --- the formats -----------------------------------------------------------------------------


def table_lines(function: FunctionEntry) -> list[str]:
    """What ``make permissions`` prints for one function."""
    role = function.role
    lines = [f"Permissions of role {role.name} (policy {role.policy}), function {function.name}:", ""]
    # What the zip holds: the code these rows were read from, as deployed.
    lines += [*package_lines(function), ""]
    lines += table_markdown(function.permissions)
    lines += ["", totals(function.permissions)]
    lines += list(function.findings)
    return lines


def markdown_lines(function: FunctionEntry) -> list[str]:
    role = function.role
    lines = [f"### Function {_code(function.name)}", ""]
    lines += [f"Role {_code(role.name)}, policy {_code(role.policy)}.", ""]
    lines += [*(f"- {line}" for line in package_lines(function)), ""]
    lines += table_markdown(function.permissions)
    lines += ["", totals(function.permissions)]
    if function.findings:
        lines += ["", *(f"- **{_text(finding)}**" for finding in function.findings)]
    return lines


def table_markdown(rows: Sequence[PermissionEntry]) -> list[str]:
    """The rows as a Markdown table (what the README shows)."""
    lines = ["| action | resource | why | verdict |", "|---|---|---|---|"]
    for row in rows:
        why = "<br>".join(_text(reason) for reason in row.why)
        verdict = f"**{row.verdict.value}**" if row.verdict is Verdict.MISSING else row.verdict.value
        lines.append(f"| {_code(row.action)} | {_code(row.resource)} | {why} | {verdict} |")
    return lines


def totals(rows: Sequence[PermissionEntry]) -> str:
    counts = {verdict: sum(row.verdict is verdict for row in rows) for verdict in Verdict}
    found = ", ".join(f"{count} {verdict.value}" for verdict, count in counts.items() if count)
    return f"{len(rows)} permissions: {found}."


def package_lines(function: FunctionEntry) -> list[str]:
    """One line per zip: files, sizes, SHA-256 (and Lambda's CodeSha256)."""
    package = function.package
    if package is None:
        return ["package: not recorded"]
    what = "function zip" if package.origin is PackageOrigin.BUILT else "package"
    lines = [_zip_line(what, package)]
    if function.layer is not None:
        lines.append(_zip_line("layer zip", function.layer))
    return lines


def _zip_line(what: str, package: PackageEntry) -> str:
    if package.sha256 is None or package.files is None or package.bytes is None:
        return f"{what}: {package.file} (a Terraform value: not summarized)"
    return ZipSummary(package.files, package.bytes, package.unzipped_bytes or 0, package.sha256).line(what)


def _text(text: str) -> str:
    """Text in a table cell: a ``|`` would end the cell, a line break the row."""
    return text.replace("|", "\\|").replace("\r\n", "<br>").replace("\n", "<br>")


def _code(text: str) -> str:
    """A code span that holds ``text`` whole, whatever backticks it contains (CommonMark)."""
    flat = text.replace("|", "\\|").replace("\r", " ").replace("\n", " ")
    fence = "`" * (max((len(run) for run in re.findall("`+", flat)), default=0) + 1)
    padding = " " if flat.startswith("`") or flat.endswith("`") else ""
    return f"{fence}{padding}{flat}{padding}{fence}"
