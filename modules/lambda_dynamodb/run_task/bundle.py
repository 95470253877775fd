"""The Lambda code folder of the run task: the ``lambda_dynamodb`` files its handler imports, nothing else.

    write_code(dest) -> dest       handler: "lambda_dynamodb.run_task.handler"

The import closure is read from the source with :mod:`ast` (never by importing it): from
``lambda_dynamodb.run_task`` (its ``__init__``, whose ``handler`` imports the Lambda module),
every ``import``/``from ... import`` of a ``lambda_dynamodb`` module, at any depth (imports inside
functions count: that is how the handler stays light), plus each package's ``__init__.py`` (run
when a submodule is imported) and what those import. ``if TYPE_CHECKING:`` blocks are left out:
they never run. So the zip holds no cdktf bindings, jsii, constructs or the testing plugin; boto3
is Lambda's own. The folder is written whole or not at all, and a folder this project did not make
is never replaced (:func:`lambda_dynamodb.synthesis.output.replace_folder`).
"""

from __future__ import annotations

import ast
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import lambda_dynamodb
from lambda_dynamodb.synthesis.output import check_replaceable, replace_folder

HANDLER = "lambda_dynamodb.run_task.handler"
PACKAGE = "lambda_dynamodb"
ROOT_MODULE = "lambda_dynamodb.run_task"
#: The installed package's folder (its parent is the import root).
PACKAGE_DIR = Path(lambda_dynamodb.__file__).resolve().parent


def write_code(dest: Path) -> Path:
    """Write the code folder into ``dest`` (replacing a previous one this project made) and return it."""
    dest = Path(dest).absolute()
    check_replaceable(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{dest.name}.staging-", dir=dest.parent))
    try:
        for module in closure():
            source = module_file(module)
            target = staging / source.relative_to(PACKAGE_DIR.parent)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, target)
        replace_folder(staging, dest)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return dest


def closure(root: str = ROOT_MODULE) -> tuple[str, ...]:
    """Every ``lambda_dynamodb`` module importing ``root`` can run, sorted."""
    return tuple(sorted(_importers(root)))


def import_chain(module: str, root: str = ROOT_MODULE) -> tuple[str, ...]:
    """How importing ``root`` reaches ``module``: (module, what imports it, ..., root); () when it does not."""
    importers = _importers(root)
    chain: list[str] = []
    current: str | None = module if module in importers else None
    while current is not None:
        chain.append(current)
        current = importers[current]
    return tuple(chain)


def _importers(root: str) -> dict[str, str | None]:
    """module -> the first module found importing it (None for ``root``), for the whole closure."""
    importers: dict[str, str | None] = {root: None}
    pending = [root]
    while pending:
        module = pending.pop(0)
        path = module_file(module)
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        found = _parents(module) + [name for name in _imports(tree, module, path.name == "__init__.py") if module_exists(name)]
        for name in found:
            if name not in importers:
                importers[name] = module
                pending.append(name)
    return importers


def module_file(module: str) -> Path:
    """The source file of a ``lambda_dynamodb`` module (a package's ``__init__.py``)."""
    parts = module.split(".")[1:]
    base = PACKAGE_DIR.joinpath(*parts)
    package = base / "__init__.py"
    if package.is_file():
        return package
    plain = base.with_suffix(".py") if parts else package
    if plain.is_file():
        return plain
    raise FileNotFoundError(f"module {module}: no {plain} or {package}")


def module_exists(module: str) -> bool:
    try:
        module_file(module)
    except FileNotFoundError:
        return False
    return True


def _parents(module: str) -> list[str]:
    parts = module.split(".")
    return [".".join(parts[:index]) for index in range(1, len(parts))]


def _imports(tree: ast.Module, module: str, is_package: bool) -> Iterator[str]:
    """The ``lambda_dynamodb`` modules named by the imports of ``tree`` (``from x import y``: x, and x.y when a module)."""
    for node in _runnable(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if _ours(alias.name):
                    yield alias.name
        elif isinstance(node, ast.ImportFrom):
            base = _absolute(node, module, is_package)
            if base is None or not _ours(base):
                continue
            yield base
            yield from (f"{base}.{alias.name}" for alias in node.names if alias.name != "*")


def _runnable(tree: ast.AST) -> Iterator[ast.AST]:
    """Every node but those under ``if TYPE_CHECKING:`` (only type checkers run those)."""
    stack = [tree]
    while stack:
        node = stack.pop()
        yield node
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            stack += node.orelse
            continue
        stack += ast.iter_child_nodes(node)


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _absolute(node: ast.ImportFrom, module: str, is_package: bool) -> str | None:
    if node.level == 0:
        return node.module
    parts = module.split(".") if is_package else module.split(".")[:-1]
    if node.level > 1:
        parts = parts[: len(parts) - (node.level - 1)]
    if not parts:
        return None
    return ".".join(parts + ([node.module] if node.module else []))


def _ours(name: str) -> bool:
    return name == PACKAGE or name.startswith(PACKAGE + ".")
