"""One folder, from its files to the results: parse (:mod:`.program`), interpret
(:mod:`.interpreter`), sort (:mod:`.model`).

The files are those the function's package holds (:func:`~lambda_dynamodb.packaging.code_package.source_files`,
``exclude`` left out): what Lambda can run is what is read.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from lambda_dynamodb.analysis.interpreter import Interpreter
from lambda_dynamodb.analysis.model import CodeAnalysis, CodeCall, Unresolved, display_root
from lambda_dynamodb.analysis.program import Program, entry_point
from lambda_dynamodb.packaging.code_package import source_files


def analyse(source_dir: Path, handler: str | None = None, exclude: Sequence[str] = ()) -> CodeAnalysis:
    """Every DynamoDB call the ``.py`` files under ``source_dir`` can make (read, never imported).

    With ``handler`` (``module.function``, e.g. ``app.main.handler``), only what that function
    reaches counts, plus the import-time code of its module and of the modules they import;
    the rest is listed in :attr:`CodeAnalysis.unreachable`. Without one, every function is an
    entry point. A handler whose module or function is not in the folder is a ``ValueError``.
    """
    # The files the package holds (``exclude`` left out): what Lambda can run.
    files = [path for path in source_files(source_dir, exclude) if path.suffix == ".py"]
    program = Program(source_dir, files)
    entry = entry_point(program, source_dir, handler) if handler is not None else None
    reached, unreachable = Interpreter(program, entry).run()
    calls = [r for r in reached if isinstance(r, CodeCall)]
    unresolved = [r for r in reached if isinstance(r, Unresolved)]
    return CodeAnalysis(
        source=f"{display_root(source_dir)}/",
        files=tuple(sorted(program.paths)),
        calls=tuple(sorted(calls, key=_call_order)),
        unresolved=tuple(sorted(set(unresolved) | set(program.parse_errors), key=_unresolved_order)),
        unreachable=tuple(sorted(unreachable, key=_record_order)),
        handler=handler,
    )


def _call_order(call: CodeCall) -> tuple[object, ...]:
    return (call.path, call.line, call.method, call.operation, call.table or "", call.index or "", call.actions)


def _unresolved_order(entry: Unresolved) -> tuple[object, ...]:
    return (entry.path, entry.line, entry.reason)


def _record_order(record: CodeCall | Unresolved) -> tuple[object, ...]:
    return _call_order(record) if isinstance(record, CodeCall) else (*_unresolved_order(record), "", "", "", ())
