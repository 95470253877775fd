"""The layout's promises: settings validation does not load the analyser, nothing edits sys.path,
and the code analysis stays split at its seams."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys

from conftest import PROJECT_DIR

#: The library and this repository's run-book: found by their package names, never by sys.path.
SCANNED = [PROJECT_DIR / "modules", PROJECT_DIR / "tools"]
#: list methods that change sys.path in place.
_MUTATORS = frozenset({"append", "extend", "insert", "remove", "pop", "clear", "reverse", "sort", "__setitem__", "__delitem__", "__iadd__"})


def loaded_modules(statement: str) -> list[str]:
    """The ``lambda_dynamodb`` modules a fresh interpreter holds after ``statement``."""
    code = f"{statement}\nimport json, sys\nprint(json.dumps(sorted(m for m in sys.modules if m.startswith('lambda_dynamodb'))))"
    env = {k: v for k, v in os.environ.items() if not k.startswith("LAMBDA_DYNAMODB_")}
    result = subprocess.run([sys.executable, "-c", code], cwd=PROJECT_DIR, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_settings_validation_does_not_import_the_code_analysis() -> None:
    modules = loaded_modules("import lambda_dynamodb.config.validation")
    assert "lambda_dynamodb.config.validation" in modules
    assert [m for m in modules if m.startswith("lambda_dynamodb.analysis")] == []


def test_validate_does_import_it_the_permission_check_reads_the_code() -> None:
    # The check moved, it did not disappear: lambda_dynamodb.validate still runs it.
    modules = loaded_modules("from lambda_dynamodb import validate")
    assert "lambda_dynamodb.analysis.interpreter" in modules


def sys_path_edits(source: str, filename: str = "<source>") -> list[str]:
    """Where ``source`` changes ``sys.path``: a mutating call, an assignment, or ``from sys import path``."""
    tree = ast.parse(source, filename)
    sys_names = {"sys"} | {a.asname for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names if a.name == "sys" and a.asname}

    def is_sys_path(node: ast.AST) -> bool:
        return isinstance(node, ast.Attribute) and node.attr == "path" and isinstance(node.value, ast.Name) and node.value.id in sys_names

    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        line = getattr(node, "lineno", 0)
        where = f"{filename}:{line}"
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            if node.func.attr in _MUTATORS and is_sys_path(node.func.value):
                found.append((line, f"{where} sys.path.{node.func.attr}()"))
            elif node.func.attr == "addsitedir":
                found.append((line, f"{where} site.addsitedir()"))
        elif isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                if is_sys_path(target) or (isinstance(target, ast.Subscript) and is_sys_path(target.value)):
                    found.append((line, f"{where} assigns sys.path"))
        elif isinstance(node, ast.ImportFrom) and node.module == "sys" and any(a.name == "path" for a in node.names):
            found.append((line, f"{where} from sys import path"))
    return [edit for _, edit in sorted(found)]


def test_the_scan_finds_each_kind_of_sys_path_edit() -> None:
    source = "\n".join(
        [
            "import sys",
            "import sys as system",
            "sys.path.insert(0, 'tools')",
            "system.path.append('x')",
            "sys.path = ['a']",
            "sys.path[0:0] = ['b']",
            "sys.path += ['c']",
            "from sys import path",
            "import site; site.addsitedir('d')",
            "print(sys.path[0], os.path.join('a', 'b'))",  # reading it is fine
        ]
    )
    assert [line.split(" ", 1)[0] for line in sys_path_edits(source)] == [f"<source>:{n}" for n in (3, 4, 5, 6, 7, 8, 9)]


def test_no_module_of_the_library_or_the_run_book_edits_sys_path() -> None:
    files = [path for root in SCANNED for path in sorted(root.rglob("*.py")) if "__pycache__" not in path.parts]
    assert len(files) > 50  # the scan sees the tree (a wrong root would pass vacuously)
    edits = [edit for path in files for edit in sys_path_edits(path.read_text(), str(path.relative_to(PROJECT_DIR)))]
    assert edits == []


def test_the_code_analysis_stays_split_at_its_seams() -> None:
    # One concern per module (see lambda_dynamodb/analysis/__init__.py): none grows past ~400 lines.
    analysis = PROJECT_DIR / "modules" / "lambda_dynamodb" / "analysis"
    sizes = {path.name: len(path.read_text().splitlines()) for path in analysis.glob("*.py")}
    assert {"values.py", "program.py", "interpreter.py", "sdk.py", "libraries.py", "model.py"} <= set(sizes)
    assert {name: lines for name, lines in sizes.items() if lines > 400} == {}
