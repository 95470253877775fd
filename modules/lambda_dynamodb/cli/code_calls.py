"""``lambda-dynamodb code-calls``: the DynamoDB calls one folder of function code makes, read, never run.

    lambda-dynamodb code-calls SOURCE_DIR [--handler MODULE.FUNCTION] [--exclude PATTERN]... [--json]

The analysis the permission check uses (:mod:`lambda_dynamodb.analysis`), on any folder: one
line per call, ``file:line method -> actions on table``, then the places the analysis cannot
read (unresolved: a permission check fails on them) and, with ``--handler``, what the handler
never reaches (unreachable: listed, granting nothing). Files are named relative to SOURCE_DIR;
a table as the code names it: ``env:NAME`` (read from that environment variable) or the literal.

With ``--json``: ``{"calls": [{"file", "line", "method", "operation", "actions", "table",
"index"}], "unresolved": [{"file", "line", "reason"}], "unreachable": [...]}`` (an unreachable
entry has the keys of a call or of an unresolved place; ``table`` and ``index`` are null when the
code does not name one, ``index`` ``"*"`` when it names one the analysis cannot read).

Exit codes: 0 it ran (findings included), 2 bad input (the message names the argument, its
value and the rule).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Sequence
from pathlib import Path, PureWindowsPath
from typing import Any

from lambda_dynamodb.analysis import CodeAnalysis, CodeCall, Unresolved, analyse
from lambda_dynamodb.cli.arguments import command_parser
from lambda_dynamodb.cli.errors import CommandError
from lambda_dynamodb.config.errors import ConfigurationError, problem

SOURCE_DIR_RULE = "an existing folder holding the function's code"
HANDLER_RULE = "module.function, e.g. handler.handler, or app.main.handler for app/main.py"
HANDLER_MODULE_RULE = "its module must be a .py file (or a package) in SOURCE_DIR"
HANDLER_FUNCTION_RULE = "its function must be defined at the top level of its module"
EXCLUDE_RULE = "a glob pattern relative to SOURCE_DIR (not absolute, no '..'), e.g. tests or scripts/*.py"
_HANDLER = re.compile(r"[A-Za-z_]\w*(\.[A-Za-z_]\w*)+", re.ASCII)


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = command_parser(subparsers, "code-calls", "the DynamoDB calls of one folder of function code, with file:line", __doc__)
    parser.add_argument("source_dir", metavar="SOURCE_DIR", type=Path, help="the function's code")
    parser.add_argument("--handler", metavar="MODULE.FUNCTION", help="count only what this function reaches (default: every function)")
    parser.add_argument(
        "--exclude",
        metavar="PATTERN",
        action="append",
        default=[],
        help="leave files out, as the function's exclude setting does (repeatable)",
    )
    parser.add_argument("--json", action="store_true", help="print JSON instead of text")
    parser.set_defaults(run=run)


def run(arguments: argparse.Namespace) -> int:
    source_dir: Path = arguments.source_dir
    handler: str | None = arguments.handler
    exclude: list[str] = arguments.exclude
    check_input(source_dir, handler, exclude)
    try:
        analysis = analyse(source_dir, handler=handler, exclude=exclude)
    except ConfigurationError as error:  # a link out of the folder, an unreadable folder
        raise CommandError("; ".join(error.problems)) from None
    except ValueError as error:  # the handler's function is not in its module (or the module is left out)
        reason = str(error).removeprefix(f"handler {handler!r}: ")
        rule = HANDLER_FUNCTION_RULE if " defines no " in reason else HANDLER_MODULE_RULE
        raise CommandError(problem("--handler", handler, f"{rule} ({reason})")) from None
    if arguments.json:
        json.dump(as_json(analysis), sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        print("\n".join(text_lines(analysis)))
    return 0


def check_input(source_dir: Path, handler: str | None, exclude: Sequence[str]) -> None:
    """Bad input, before anything is read: a CommandError naming the argument, its value and the rule."""
    if not source_dir.exists():
        raise CommandError(problem("SOURCE_DIR", str(source_dir), f"{SOURCE_DIR_RULE} (nothing is there)"))
    if not source_dir.is_dir():
        raise CommandError(problem("SOURCE_DIR", str(source_dir), f"{SOURCE_DIR_RULE} (it is a file)"))
    for pattern in exclude:
        if not pattern.strip() or pattern.startswith(("/", "\\", "~")) or PureWindowsPath(pattern).drive or ".." in re.split(r"[/\\]", pattern):
            raise CommandError(problem("--exclude", pattern, EXCLUDE_RULE))
    if handler is None:
        return
    if not _HANDLER.fullmatch(handler):
        raise CommandError(problem("--handler", handler, HANDLER_RULE))
    module = Path(*handler.rpartition(".")[0].split("."))
    if not ((source_dir / module).with_suffix(".py").is_file() or (source_dir / module / "__init__.py").is_file()):
        raise CommandError(problem("--handler", handler, f"{HANDLER_MODULE_RULE} ({source_dir.as_posix().rstrip('/')}/ has no {module.as_posix()}.py)"))


# --- the output --------------------------------------------------------------------------------


def as_json(analysis: CodeAnalysis) -> dict[str, list[dict[str, Any]]]:
    return {
        "calls": [_record(analysis, call) for call in analysis.calls],
        "unresolved": [_record(analysis, entry) for entry in analysis.unresolved],
        "unreachable": [_record(analysis, record) for record in analysis.unreachable],
    }


def _record(analysis: CodeAnalysis, record: CodeCall | Unresolved) -> dict[str, Any]:
    where = {"file": relative(analysis, record.path), "line": record.line}
    if isinstance(record, Unresolved):
        return where | {"reason": record.reason}
    return where | {
        "method": record.method,
        "operation": record.operation,
        "actions": sorted(record.actions),
        "table": record.table,
        "index": record.index,
    }


def relative(analysis: CodeAnalysis, path: str) -> str:
    """A file as SOURCE_DIR names it: the analysis names it from the working directory."""
    return path.removeprefix(analysis.source)


def text_lines(analysis: CodeAnalysis) -> list[str]:
    lines = [call_line(analysis, call) for call in analysis.calls] or [f"no DynamoDB call found in {analysis.source}"]
    if analysis.unresolved:
        lines += ["", f"unresolved ({len(analysis.unresolved)}): calls the analysis cannot read, a permission check fails on them"]
        lines += [unresolved_line(analysis, entry) for entry in analysis.unresolved]
    if analysis.unreachable:
        lines += ["", f"unreachable from {analysis.handler} ({len(analysis.unreachable)}): listed, granting nothing"]
        lines += [call_line(analysis, r) if isinstance(r, CodeCall) else unresolved_line(analysis, r) for r in analysis.unreachable]
    return lines


def call_line(analysis: CodeAnalysis, call: CodeCall) -> str:
    table = call.table if call.table is not None else "a table the code does not name"
    index = f" index {call.index}" if call.index is not None else ""
    return f"{relative(analysis, call.path)}:{call.line} {call.method} -> {', '.join(sorted(call.actions))} on {table}{index}"


def unresolved_line(analysis: CodeAnalysis, entry: Unresolved) -> str:
    return f"{relative(analysis, entry.path)}:{entry.line} {entry.reason}"
