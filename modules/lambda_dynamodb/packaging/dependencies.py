"""A function's Python dependencies, installed for Lambda's runtime and architecture, no Docker.

pip installs wheels built for the function's platform, whatever machine builds it: CPython of
the runtime's version, Linux of the runtime's glibc, the function's architecture, wheels only
(``--only-binary=:all:``: a source distribution would compile for this machine). A requirements
file with hashes is installed in pip's hash-checking mode, as pip does by itself.

What Lambda's Python runtime already provides (``defaults.RUNTIME_PROVIDED``: the AWS SDK,
boto3, botocore and s3transfer) is left out, with whatever only it needed: a package ships one copy of each module, and it is not
one that shadows the runtime's SDK (https://docs.aws.amazon.com/lambda/latest/dg/lambda-python.html).

Installs are cached by (requirements, every file they include with ``-r``/``-c``, runtime,
architecture, what is left out): a change to the code alone reinstalls nothing, and a change to an
included file reinstalls. Several synths may install at once: each installs into a folder of its
own, renamed into the cache whole; the first to finish wins and the others use its install.

Only requirements an index resolves to wheels are accepted (:func:`requirements_problems`): a
local path, a VCS URL, ``-e`` or a direct URL to a file is refused, as it is not reproducible for
Lambda's platform and pip would run its build backend (any code) on the synthesizing machine.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lambda_dynamodb.config.enums import Architecture, Runtime
from lambda_dynamodb.config.errors import ConfigurationError, problem

REQUIREMENTS_FILE = "requirements.txt"
#: Bump when what an install holds changes, so that older cached installs are not reused.
FORMAT = 2
#: glibc of the OS each Python runtime runs on: Amazon Linux 2 (2.26) for python3.11, Amazon
#: Linux 2023 (2.34) for later ones (https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtimes.html).
#: A wheel built for a newer glibc fails there ("GLIBC_2.xx not found").
RUNTIME_GLIBC: dict[Runtime, tuple[int, int]] = {
    Runtime.PYTHON_3_11: (2, 26),
    Runtime.PYTHON_3_12: (2, 34),
    Runtime.PYTHON_3_13: (2, 34),
}
#: manylinux_2_17 (manylinux2014) is the oldest tag with wheels for both architectures.
OLDEST_GLIBC_MINOR = 17
MACHINES: dict[Architecture, str] = {Architecture.X86_64: "x86_64", Architecture.ARM64: "aarch64"}


class DependencyInstallError(RuntimeError):
    """pip failed for a reason that is not the configuration's (the network, the index)."""


@dataclass(frozen=True)
class Platform:
    """Where a function runs: its runtime's CPython and glibc, on its architecture."""

    runtime: Runtime
    architecture: Architecture

    @property
    def python_version(self) -> str:
        return Runtime(self.runtime).value.removeprefix("python")

    @property
    def machine(self) -> str:
        return MACHINES[Architecture(self.architecture)]

    @property
    def tags(self) -> tuple[str, ...]:
        """pip's --platform values: every manylinux tag the runtime's glibc runs, newest first."""
        major, newest = RUNTIME_GLIBC[Runtime(self.runtime)]
        tags = [f"manylinux_{major}_{minor}_{self.machine}" for minor in range(newest, OLDEST_GLIBC_MINOR - 1, -1)]
        return (*tags, f"manylinux2014_{self.machine}")

    def describe(self) -> str:
        major, minor = RUNTIME_GLIBC[Runtime(self.runtime)]
        return (
            f"CPython {self.python_version} on Linux {self.machine} with glibc {major}.{minor} "
            f"(Lambda {Runtime(self.runtime).value}, {Architecture(self.architecture).value})"
        )


@dataclass(frozen=True)
class Installed:
    """An install of a requirements file: its folder (a cache entry, never changed) and key."""

    folder: Path
    key: str


def requirements_file(source_dir: Path) -> Path | None:
    path = Path(source_dir) / REQUIREMENTS_FILE
    return path if path.is_file() else None


def install(requirements: Path, platform: Platform, cache_dir: Path, excluded: Iterable[str] = ()) -> Installed:
    """The requirements installed for ``platform`` (from the cache when installed before)."""
    files, problems = _read_requirements(requirements)
    if problems:
        raise ConfigurationError(problems)
    left_out = tuple(sorted({_normalized(name) for name in excluded}))
    key = _cache_key(files, platform, left_out)
    folder = cache_dir / "dependencies" / key
    if not folder.is_dir():
        folder.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{key}.", dir=folder.parent))
        try:
            report = _pip_install(requirements, platform, staging / "site")
            _prune(staging / "site", report, platform, left_out)
            # Whole or not at all: a failed or interrupted install never becomes a cache entry.
            try:
                os.rename(staging / "site", folder)
            except OSError:
                if not folder.is_dir():
                    raise
                # Another synth installed the same key meanwhile: its install is this one's twin.
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    return Installed(folder, key)


def _cache_key(files: list[tuple[str, bytes]], platform: Platform, left_out: tuple[str, ...]) -> str:
    contents = [[name, content.decode(errors="replace")] for name, content in files]
    material = json.dumps([FORMAT, contents, platform.python_version, platform.tags, left_out])
    return hashlib.sha256(material.encode()).hexdigest()[:32]


# --- what a requirements file may hold ---------------------------------------------------------

_WHY = "not reproducible for Lambda's platform, and pip would run its build backend (any code) on this machine at synthesis"
_VCS = ("git+", "hg+", "svn+", "bzr+")
_ARCHIVES = (".whl", ".zip", ".tar.gz", ".tgz", ".tar", ".tar.bz2", ".tbz", ".tar.xz", ".txz", ".tlz", ".tar.lz", ".tar.lzma")
_INCLUDES = {"-r": "-r", "--requirement": "-r", "-c": "-c", "--constraint": "-c"}
_EDITABLE = ("-e", "--editable")


def requirements_problems(requirements: Path) -> list[str]:
    """What in ``requirements`` (and the files it includes) the module refuses to install."""
    return _read_requirements(requirements)[1]


def _read_requirements(requirements: Path) -> tuple[list[tuple[str, bytes]], list[str]]:
    """Every file read (the requirements and what they include, by name relative to the first),
    and the problems found in them."""
    top = requirements.resolve()
    files: list[tuple[str, bytes]] = []
    problems: list[str] = []
    pending, seen = [top], set()
    while pending:
        path = pending.pop(0)
        if path in seen:
            continue
        seen.add(path)
        shown = os.path.relpath(path, top.parent) if path != top else path.name
        content = path.read_bytes()
        files.append((shown, content))
        for number, line in _logical_lines(content.decode(errors="replace")):
            where = f"{requirements.parent.name}/{shown}:{number}"
            included, problem_text = _check_line(line)
            if problem_text:
                problems.append(problem("function.requirements", where, problem_text))
            elif included:
                _, name = included
                if "://" in name:
                    problems.append(problem("function.requirements", where, f"includes {name}: an included file must be a local file (its content is part of the install's cache key)"))
                    continue
                target = (path.parent / name).resolve()
                if not target.is_file():
                    problems.append(problem("function.requirements", where, f"includes {name}, which is not a file"))
                else:
                    pending.append(target)
    return files, problems


def _logical_lines(text: str) -> Iterator[tuple[int, str]]:
    """pip's lines: comments removed, backslash continuations joined, numbered by their first line."""
    buffer, start = "", 0
    for number, raw in enumerate(text.splitlines(), 1):
        line = re.sub(r"(^|\s)#.*$", "", raw)
        if not buffer:
            start = number
        if line.endswith("\\"):
            buffer += line[:-1] + " "
            continue
        joined = (buffer + line).strip()
        buffer = ""
        if joined:
            yield start, joined
    if buffer.strip():
        yield start, buffer.strip()


def _check_line(line: str) -> tuple[tuple[str, str] | None, str | None]:
    """An included file (``-r``/``-c`` and its name), or a problem, or neither."""
    tokens = line.split()
    first = tokens[0]
    option, _, attached = first.partition("=")
    if option in _INCLUDES or (first[:2] in ("-r", "-c") and len(first) > 2 and not first.startswith("--")):
        if option in _INCLUDES:
            name = attached or (tokens[1] if len(tokens) > 1 else "")
            kind = _INCLUDES[option]
        else:
            name, kind = first[2:], first[:2]
        return ((kind, name), None) if name else (None, f"{first} names no file")
    if option in _EDITABLE or (first.startswith("-e") and not first.startswith("--")):
        return None, f"an editable install ({line[:80]}): {_WHY}; pin a released version from the index"
    if first.startswith("-"):
        return None, None  # an option for pip (--index-url, --hash, --pre, ...)
    requirement = line.split(";", 1)[0].split(" --", 1)[0].strip()
    url = requirement.split("@", 1)[1].strip() if "@" in requirement and "://" not in requirement.split("@", 1)[0] else requirement
    if url.startswith(_VCS) or "+" in url.split("://", 1)[0] and "://" in url:
        return None, f"a VCS URL ({requirement[:80]}): {_WHY}; pin a released version from the index"
    if url.startswith("file:"):
        return None, f"a local file URL ({requirement[:80]}): {_WHY}; pin a released version from the index"
    if "://" in url and not url.split("#", 1)[0].split("?", 1)[0].endswith(".whl"):
        return None, f"a direct URL to a source archive ({requirement[:80]}): {_WHY}; pin a released version from the index"
    if "://" not in url and _looks_like_path(url):
        return None, f"a local path ({requirement[:80]}): {_WHY}; pin a released version from the index"
    return None, None


def _looks_like_path(text: str) -> bool:
    """What pip reads as a path rather than a name: a separator, a leading dot or ~, an archive."""
    return "/" in text or "\\" in text or text.startswith((".", "~")) or text.lower().endswith(_ARCHIVES)


def _pip_install(requirements: Path, platform: Platform, target: Path) -> dict[str, Any]:
    report = target.parent / "report.json"
    command = [
        sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-warn-conflicts",
        "--no-compile",  # bytecode of this machine's Python would be useless and break reproducibility
        "--target", str(target), "--report", str(report),
        "--only-binary=:all:", "--implementation", "cp", "--python-version", platform.python_version,
        *(option for tag in platform.tags for option in ("--platform", tag)),
        "--requirement", str(requirements),
    ]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True, timeout=900)
    if result.returncode != 0:
        raise _install_error(requirements, platform, result.stderr or result.stdout)
    return dict(json.loads(report.read_text()))


_NO_WHEEL = re.compile(r"No matching distribution found for (\S+)")
_VERSIONS = re.compile(r"satisfies the requirement \S+ \(from versions: ([^)]*)\)")
_HASH_MISMATCH = "DO NOT MATCH THE HASHES"


def _install_error(requirements: Path, platform: Platform, output: str) -> Exception:
    """A clear configuration problem when pip's answer is about the requirements; pip's own otherwise."""
    field, value = "function.requirements", f"{requirements.parent.name}/{requirements.name}"
    missing = _NO_WHEEL.search(output)
    if missing:
        name = missing.group(1)
        versions = _VERSIONS.search(output)
        offered = [v.strip() for v in versions.group(1).split(",")] if versions and versions.group(1) != "none" else []
        hint = f" (versions with one: {', '.join(offered[-5:])})" if offered else ""
        rule = (
            f"{name} has no wheel for {platform.describe()}: Lambda can only run a build for its own platform, "
            f"and a source distribution would be built for this machine. Pin a version that publishes a "
            f"manylinux wheel for {platform.machine} and CPython {platform.python_version}{hint}, "
            "or use a pure-Python alternative"
        )
        return ConfigurationError([problem(field, value, rule)])
    if _HASH_MISMATCH in output:
        detail = " ".join(line.strip() for line in output.splitlines() if "Expected" in line or "Got" in line)
        return ConfigurationError([problem(field, value, f"a downloaded file does not match its pinned hash ({detail})")])
    return DependencyInstallError(f"pip could not install {value} for {platform.describe()}:\n{output.strip()[-3000:]}")


# --- leaving out what the runtime provides ---------------------------------------------------


def _prune(site: Path, report: Mapping[str, Any], platform: Platform, left_out: tuple[str, ...]) -> None:
    """Remove the left-out distributions, and those only they needed."""
    installed = {_normalized(item["metadata"]["name"]): item for item in report.get("install", [])}
    keep = set(_reachable(installed, platform, left_out))
    for name in sorted(set(installed) - keep):
        _remove_distribution(site, name)
    shutil.rmtree(site / "bin", ignore_errors=True)  # console scripts name this machine's Python
    _remove_install_records(site)


def _remove_install_records(site: Path) -> None:
    """``direct_url.json`` records where a distribution came from on this machine: never packaged."""
    for record in site.glob("*.dist-info/direct_url.json"):
        record.unlink()
        listing = record.parent / "RECORD"
        if listing.is_file():
            lines = listing.read_text().splitlines(keepends=True)
            listing.write_text("".join(line for line in lines if not line.startswith(f"{record.parent.name}/direct_url.json,")))


def _reachable(installed: Mapping[str, Any], platform: Platform, left_out: tuple[str, ...]) -> Iterator[str]:
    """Distributions reached from what the requirements ask for, without passing a left-out one."""
    from packaging.requirements import Requirement

    pending = [(name, tuple(item.get("requested_extras") or ())) for name, item in installed.items() if item.get("requested")]
    seen: set[tuple[str, tuple[str, ...]]] = set()
    while pending:
        name, extras = pending.pop()
        if name in left_out or name not in installed or (name, extras) in seen:
            continue
        seen.add((name, extras))
        yield name
        for line in installed[name]["metadata"].get("requires_dist") or ():
            requirement = Requirement(line)
            if _applies(requirement, platform, extras):
                pending.append((_normalized(requirement.name), tuple(sorted(requirement.extras))))


def _applies(requirement: Any, platform: Platform, extras: tuple[str, ...]) -> bool:
    """Whether a dependency is installed on ``platform`` for the extras asked of its dependent."""
    if requirement.marker is None:
        return True
    environment = _marker_environment(platform)
    return any(requirement.marker.evaluate({**environment, "extra": extra}) for extra in (*extras, ""))


def _marker_environment(platform: Platform) -> dict[str, str]:
    return {
        "implementation_name": "cpython",
        "platform_python_implementation": "CPython",
        "python_version": platform.python_version,
        "python_full_version": f"{platform.python_version}.0",
        "implementation_version": f"{platform.python_version}.0",
        "platform_machine": platform.machine,
        "platform_system": "Linux",
        "sys_platform": "linux",
        "os_name": "posix",
    }


def _remove_distribution(site: Path, name: str) -> None:
    from importlib.metadata import PathDistribution

    for dist_info in site.glob("*.dist-info"):
        distribution = PathDistribution(dist_info)
        if _normalized(distribution.metadata["Name"]) != name:
            continue
        for file in distribution.files or ():
            (site / file).unlink(missing_ok=True)
        shutil.rmtree(dist_info, ignore_errors=True)
    _remove_empty_folders(site)


def _remove_empty_folders(site: Path) -> None:
    for folder in sorted((p for p in site.rglob("*") if p.is_dir()), key=lambda p: len(p.parts), reverse=True):
        if not any(folder.iterdir()):
            folder.rmdir()


def _normalized(name: str) -> str:
    """PEP 503 names: ``Typing_Extensions`` and ``typing-extensions`` are one distribution."""
    return re.sub(r"[-_.]+", "-", name).lower()
