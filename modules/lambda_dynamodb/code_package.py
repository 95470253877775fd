"""A function's code package: its content hash and a reproducible zip archive.

Only the code decides both: file names and bytes, in a fixed order. Timestamps and interpreter
caches do not, so the hash (and so Terraform's view of the function) changes only when the
code changes, and the same code always gives the same zip.
"""

from __future__ import annotations

import base64
import hashlib
import os
import tempfile
import zipfile
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
    return as_base64(source_digest(source_dir))


def as_base64(digest: bytes) -> str:
    """How Terraform's ``source_code_hash`` is written (like ``filebase64sha256``)."""
    return base64.b64encode(digest).decode()


def _ignored(relative: Path) -> bool:
    return any(part in IGNORED_NAMES for part in relative.parts) or relative.suffix in IGNORED_SUFFIXES


#: Every entry gets this timestamp (the zip format's earliest), so the archive is reproducible.
_ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)


def archive(source_dir: Path, cache_dir: Path | None = None, digest_hex: str | None = None) -> Path:
    """A reproducible zip of the code, cached by content hash (built once per code version)."""
    folder = cache_dir or Path(tempfile.gettempdir()) / "cdktf-lambda-dynamodb-code"
    target = folder / (digest_hex or source_hash_hex(source_dir)) / "archive.zip"
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        handle, staging = tempfile.mkstemp(dir=target.parent, suffix=".zip.tmp")
        os.close(handle)
        try:
            _write_zip(source_dir, Path(staging))
            os.replace(staging, target)
        finally:
            Path(staging).unlink(missing_ok=True)
    return target


def _write_zip(source_dir: Path, target: Path) -> None:
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as bundle:
        for path in source_files(source_dir):
            entry = zipfile.ZipInfo(path.relative_to(source_dir).as_posix(), date_time=_ZIP_EPOCH)
            executable = os.access(path, os.X_OK)
            entry.external_attr = (0o100755 if executable else 0o100644) << 16
            entry.compress_type = zipfile.ZIP_DEFLATED
            bundle.writestr(entry, path.read_bytes())
