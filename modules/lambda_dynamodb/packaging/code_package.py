"""A function's deployment package: its code and dependencies as reproducible, cached zips.

Only content decides a zip's bytes: file names and bytes, in a fixed order, with a fixed
timestamp; interpreter caches are left out. So the same code and requirements always give the
same zip, and its SHA-256 (Lambda's ``CodeSha256``, the function's ``source_code_hash``)
changes only when they do. Dependencies go in the function's zip, or in a layer's zip of their
own (``python/``, where Lambda's Python runtimes look), so that a change to the code alone
uploads a small zip.

Lambda's size limits are checked before anything is written: a zip uploaded directly may hold
50 MB, a function and its layers 250 MB unzipped
(https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html).
"""

from __future__ import annotations

import base64
import fnmatch
import hashlib
import json
import os
import re
import tempfile
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path, PureWindowsPath

from lambda_dynamodb.config import defaults
from lambda_dynamodb.packaging.cache import cache_dir as default_cache_dir
from lambda_dynamodb.packaging.dependencies import Installed, Platform, install, requirements_file
from lambda_dynamodb.config.enums import DependencyPackaging, Runtime
from lambda_dynamodb.config.errors import ConfigurationError, problem
from lambda_dynamodb.config.settings import FunctionSettings

#: Names that are build or interpreter by-products, never code (on top of ``defaults.PACKAGE_EXCLUDES``).
IGNORED_NAMES = frozenset({"__pycache__", ".pytest_cache", ".mypy_cache", ".DS_Store"})
IGNORED_SUFFIXES = (".pyc", ".pyo")
MAX_ZIPPED_BYTES = 50 * 1024 * 1024
MAX_UNZIPPED_BYTES = 250 * 1024 * 1024
#: Where a layer's Python packages go: Lambda puts /opt/python on the path.
LAYER_PREFIX = "python/"
#: Bump when what a package zip holds changes, so that older cached zips are not reused.
FORMAT = 2


# --- which files: excludes and links -----------------------------------------------------------


def source_files(source_dir: Path, exclude: Sequence[str] = ()) -> Iterator[Path]:
    """The files of ``source_dir`` that are packaged, sorted, as paths under ``source_dir``.

    Left out: ``defaults.PACKAGE_EXCLUDES`` and interpreter caches, then ``exclude`` (glob
    patterns, see :func:`excluded`). A symbolic link is followed only when what it points to is
    inside ``source_dir`` (a file is packaged under the link's name, a folder's files under the
    link's path); one that points outside it, or nowhere, is a :class:`ConfigurationError` naming
    the link and its target, and nothing outside is ever read.
    """
    source_dir = Path(source_dir)
    root = source_dir.resolve()
    patterns = (*defaults.PACKAGE_EXCLUDES, *exclude)
    yield from _walk(source_dir, Path(), root, root, patterns, (root,))


def _walk(folder: Path, relative: Path, real: Path, root: Path, patterns: Sequence[str], seen: tuple[Path, ...]) -> Iterator[Path]:
    try:
        entries = sorted(os.scandir(folder), key=lambda entry: entry.name)
    except OSError as error:
        raise ConfigurationError([problem("function.source_dir", str(root), f"{folder} cannot be read ({error.strerror})")]) from None
    for entry in entries:
        name = relative / entry.name
        if excluded(name.as_posix(), patterns):
            continue
        path = folder / entry.name
        if entry.is_symlink():
            pointed = _link_target(path, name, root)
            if excluded(pointed.relative_to(root).as_posix(), patterns):
                continue  # a link to what is left out (``config -> .env``) is left out too
            if pointed.is_dir():
                if pointed in seen:
                    raise ConfigurationError([_link_problem(root, name, path, "points to a folder that holds it (a loop)")])
                yield from _walk(path, name, pointed, root, patterns, (*seen, pointed))
            elif pointed.is_file():
                yield path
        elif entry.is_dir(follow_symlinks=False):
            yield from _walk(path, name, real / entry.name, root, patterns, (*seen, real / entry.name))
        elif entry.is_file(follow_symlinks=False):
            yield path
        # anything else (a socket, a pipe, a device) is no code: left out


def _link_target(path: Path, name: Path, root: Path) -> Path:
    """Where the link ``path`` points, when that is inside ``root``; refused otherwise."""
    try:
        pointed = path.resolve(strict=True)
    except (OSError, RuntimeError):
        raise ConfigurationError([_link_problem(root, name, path, "points to nothing that exists (a broken link)")]) from None
    if not pointed.is_relative_to(root):
        rule = "points outside the function's folder, and a link is never followed out of it (it could package this machine's secrets): copy the file in, or remove the link"
        raise ConfigurationError([_link_problem(root, name, path, rule)])
    return pointed


def _link_problem(root: Path, name: Path, path: Path, rule: str) -> str:
    try:
        shown = os.readlink(path)
    except OSError:
        shown = "?"
    return problem("function.source_dir", str(root), f"the link {name.as_posix()} -> {shown} {rule}")


def excluded(relative: str, patterns: Sequence[str] = defaults.PACKAGE_EXCLUDES) -> bool:
    """Whether the ``/``-separated path ``relative`` (to ``source_dir``) is left out by ``patterns``.

    A pattern without ``/`` matches any single part of the path (``.env``, ``*.pyc``, ``tests``:
    anywhere); one with ``/`` matches the path from ``source_dir`` (``docs/*.md``,
    ``tools/dev``; ``*`` may span folders). A folder matched is left out with all it holds.
    Names in :data:`IGNORED_NAMES` and suffixes in :data:`IGNORED_SUFFIXES` are always left out.
    """
    parts = relative.strip("/").split("/")
    if any(part in IGNORED_NAMES for part in parts) or parts[-1].endswith(IGNORED_SUFFIXES):
        return True
    for pattern in patterns:
        pattern = pattern.strip("/")
        if "/" in pattern:
            if any(fnmatch.fnmatchcase("/".join(parts[:end]), pattern) for end in range(1, len(parts) + 1)):
                return True
        elif any(fnmatch.fnmatchcase(part, pattern) for part in parts):
            return True
    return False


def exclude_problems(settings: FunctionSettings) -> list[str]:
    """What is wrong with ``settings.exclude``: a tuple of relative glob patterns inside ``source_dir``."""
    value = settings.exclude
    field = "function.exclude"
    if isinstance(value, str) or not isinstance(value, (tuple, list)):
        return [problem(field, value, "a tuple of glob patterns (strings), e.g. ('tests', '*.md')")]
    problems = []
    for pattern in value:
        if not isinstance(pattern, str) or not pattern.strip():
            problems.append(problem(field, pattern, "each pattern is a non-empty string"))
        elif pattern.startswith(("/", "\\")) or PureWindowsPath(pattern).drive or pattern.startswith("~"):
            problems.append(problem(field, pattern, "a pattern is relative to source_dir, not an absolute path"))
        elif ".." in re.split(r"[/\\]", pattern):
            problems.append(problem(field, pattern, "a pattern names files inside source_dir: no '..'"))
    return problems


def source_digest(source_dir: Path, exclude: Sequence[str] = ()) -> bytes:
    """SHA-256 of what is packaged from ``source_dir`` (the very files :func:`source_files` gives)."""
    digest = hashlib.sha256()
    for path in source_files(source_dir, exclude):
        name = path.relative_to(source_dir).as_posix().encode()
        content = path.read_bytes()
        # Length-prefixed, so that moving bytes between a name and a content changes the hash.
        for part in (name, content):
            digest.update(len(part).to_bytes(8, "big"))
            digest.update(part)
    return digest.digest()


def source_hash_hex(source_dir: Path, exclude: Sequence[str] = ()) -> str:
    return source_digest(source_dir, exclude).hex()


def as_base64(digest: bytes) -> str:
    """How Terraform's ``source_code_hash`` is written (like ``filebase64sha256``)."""
    return base64.b64encode(digest).decode()


# --- packages --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Package:
    """A built zip (a cache entry, never changed) and its SHA-256."""

    path: Path
    sha256: bytes

    @property
    def code_sha256(self) -> str:
        """Base64 of the SHA-256: what Lambda reports as ``CodeSha256``."""
        return as_base64(self.sha256)


@dataclass(frozen=True)
class FunctionCode:
    """The function's zip, and the layer's when its dependencies go in a layer of their own."""

    function: Package
    layer: Package | None = None


#: (name inside the zip, file) pairs.
Entries = Sequence[tuple[str, Path]]


def build(settings: FunctionSettings, cache_dir: Path | None = None) -> FunctionCode:
    """The deployment package(s) of a function's ``source_dir``, with its Python dependencies."""
    cache = cache_dir or default_cache_dir()
    source = Path(settings.source_dir).resolve()
    exclude = tuple(settings.exclude)
    installed = _dependencies(settings, source, cache)
    code = [(path.relative_to(source).as_posix(), path) for path in source_files(source, exclude)]
    dependencies = list(_tree(installed.folder)) if installed else []
    _check_unzipped(source, code, dependencies)
    source_hash = source_hash_hex(source, exclude)
    if installed and DependencyPackaging(settings.dependencies) is DependencyPackaging.LAYER:
        layer = _zip([(LAYER_PREFIX + name, path) for name, path in dependencies], ("layer", installed.key), cache, source)
        return FunctionCode(_zip(code, ("code", source_hash), cache, source), layer)
    _check_no_overlap(source, code, dependencies)
    key = ("function", source_hash, installed.key if installed else "")
    return FunctionCode(_zip([*code, *dependencies], key, cache, source))


def archive(source_dir: Path, cache_dir: Path | None = None, exclude: Sequence[str] = ()) -> Path:
    """A reproducible zip of ``source_dir`` alone (no dependencies installed), cached."""
    source = source_dir.resolve()
    code = [(path.relative_to(source).as_posix(), path) for path in source_files(source, exclude)]
    return _zip(code, ("code", source_hash_hex(source, exclude)), cache_dir or default_cache_dir(), source).path


def package_summary(settings: FunctionSettings, cache_dir: Path | None = None) -> str:
    """What the function's zip (and its layer's) holds, one line each: files, sizes, SHA-256.

    For ``make permissions``' header; builds the package (from the cache when built before).
    """
    if settings.package is not None:
        path = Path(settings.package)
        if not path.is_file():
            return f"package: {settings.package} (a Terraform value or a file not built yet: not summarized)"
        return _summary("package", path)
    code = build(settings, cache_dir)
    lines = [_summary("function zip", code.function.path)]
    if code.layer is not None:
        lines.append(_summary("layer zip", code.layer.path))
    return "\n".join(lines)


def _summary(what: str, path: Path) -> str:
    return zip_summary(path).line(what)


@dataclass(frozen=True)
class ZipSummary:
    """What a zip holds: its files, sizes and SHA-256 (what the permissions manifest records)."""

    files: int
    zipped_bytes: int
    unzipped_bytes: int
    sha256: str

    @property
    def code_sha256(self) -> str:
        """Base64 of the SHA-256: what Lambda reports as ``CodeSha256``."""
        return as_base64(bytes.fromhex(self.sha256))

    def line(self, what: str) -> str:
        """The summary line ``make permissions`` prints (``what``: "function zip", "layer zip", ...)."""
        return (
            f"{what}: {self.files} files, {_mb(self.zipped_bytes)} zipped, {_mb(self.unzipped_bytes)} unzipped, "
            f"SHA-256 {self.sha256} (CodeSha256 {self.code_sha256})"
        )


def zip_summary(path: Path) -> ZipSummary:
    with zipfile.ZipFile(path) as bundle:
        infos = [info for info in bundle.infolist() if not info.is_dir()]
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    return ZipSummary(len(infos), path.stat().st_size, sum(info.file_size for info in infos), digest)


def _dependencies(settings: FunctionSettings, source: Path, cache: Path) -> Installed | None:
    requirements = requirements_file(source)
    if requirements is None or Runtime(settings.runtime).language != "python":
        return None
    platform = Platform(Runtime(settings.runtime), settings.architecture)
    return install(requirements, platform, cache, settings.runtime_provided)


def _tree(folder: Path) -> Iterator[tuple[str, Path]]:
    """An install's files: only interpreter caches are left out (its own names are the packages')."""
    root = folder.resolve()
    for path in _walk(folder, Path(), root, root, (), (root,)):
        yield path.relative_to(folder).as_posix(), path


def _zip(entries: Entries, key: Iterable[str], cache: Path, source: Path) -> Package:
    """The zip of ``entries``, built once per ``key`` (what decides its content)."""
    digest = hashlib.sha256(json.dumps([FORMAT, *key]).encode()).hexdigest()[:32]
    target = cache / "packages" / digest / "package.zip"
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        handle, staging = tempfile.mkstemp(dir=target.parent, suffix=".zip.tmp")
        os.close(handle)
        try:
            _write_zip(sorted(entries), Path(staging))
            _check_zipped(source, Path(staging), entries)
            os.replace(staging, target)
        finally:
            Path(staging).unlink(missing_ok=True)
    return Package(target, hashlib.sha256(target.read_bytes()).digest())


#: Every entry gets this timestamp (the zip format's earliest), so the archive is reproducible.
_ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)


def _write_zip(entries: Entries, target: Path) -> None:
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as bundle:
        for name, path in entries:
            entry = zipfile.ZipInfo(name, date_time=_ZIP_EPOCH)
            executable = os.access(path, os.X_OK)
            entry.external_attr = (0o100755 if executable else 0o100644) << 16
            entry.compress_type = zipfile.ZIP_DEFLATED
            bundle.writestr(entry, path.read_bytes())


# --- Lambda's limits ---------------------------------------------------------------------------


def _check_unzipped(source: Path, code: Entries, dependencies: Entries) -> None:
    total = sum(path.stat().st_size for _, path in (*code, *dependencies))
    if total > MAX_UNZIPPED_BYTES:
        rule = f"{_mb(total)} unzipped, over Lambda's {_mb(MAX_UNZIPPED_BYTES)} for a function and its layers"
        raise ConfigurationError([_size_problem(source, rule, code, dependencies)])


def _check_zipped(source: Path, zip_path: Path, entries: Entries) -> None:
    size = zip_path.stat().st_size
    if size > MAX_ZIPPED_BYTES:
        rule = f"{_mb(size)} zipped, over Lambda's {_mb(MAX_ZIPPED_BYTES)} for a zip uploaded directly"
        code = [entry for entry in entries if entry[1].is_relative_to(source)]
        raise ConfigurationError([_size_problem(source, rule, code, [e for e in entries if e not in code])])


def _size_problem(source: Path, rule: str, code: Entries, dependencies: Entries) -> str:
    sizes: dict[str, int] = {f"the code in {source.name}/": sum(p.stat().st_size for _, p in code)}
    for name, path in dependencies:
        top = name.removeprefix(LAYER_PREFIX).split("/", 1)[0]
        if not top.endswith(".dist-info"):
            sizes[top] = sizes.get(top, 0) + path.stat().st_size
    biggest = sorted(sizes.items(), key=lambda item: -item[1])[:5]
    listed = ", ".join(f"{name} {_mb(size)}" for name, size in biggest)
    return problem("function.source_dir", str(source), f"the deployment package is {rule}; biggest: {listed}")


def _check_no_overlap(source: Path, code: Entries, dependencies: Entries) -> None:
    both = sorted({name for name, _ in code} & {name for name, _ in dependencies})
    if both:
        rule = f"{', '.join(both[:3])} is both in the code and in an installed dependency: rename the code's file"
        raise ConfigurationError([problem("function.source_dir", str(source), rule)])


def _mb(size: int) -> str:
    return f"{size / 1024 / 1024:.1f} MB"
