"""A content hash of a function's source directory.

Only the code decides the hash: file names and bytes, in a fixed order. Timestamps, file
modes and interpreter caches do not, so the hash (and so Terraform's view of the function)
changes only when the code changes.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterator
from pathlib import Path

#: Names that are build or interpreter by-products, never code.
IGNORED_NAMES = frozenset({"__pycache__", ".pytest_cache", ".mypy_cache", ".DS_Store"})
IGNORED_SUFFIXES = (".pyc", ".pyo")


def source_files(source_dir: Path) -> Iterator[Path]:
    for path in sorted(source_dir.rglob("*")):
        relative = path.relative_to(source_dir)
        if path.is_file() and not _ignored(relative):
            yield path


def source_digest(source_dir: Path) -> bytes:
    digest = hashlib.sha256()
    for path in source_files(source_dir):
        name = path.relative_to(source_dir).as_posix().encode()
        content = path.read_bytes()
        # Length-prefixed, so that moving bytes between a name and a content changes the hash.
        for part in (name, content):
            digest.update(len(part).to_bytes(8, "big"))
            digest.update(part)
    return digest.digest()


def source_hash_hex(source_dir: Path) -> str:
    return source_digest(source_dir).hex()


def source_hash_base64(source_dir: Path) -> str:
    return base64.b64encode(source_digest(source_dir)).decode()


def _ignored(relative: Path) -> bool:
    return any(part in IGNORED_NAMES for part in relative.parts) or relative.suffix in IGNORED_SUFFIXES
