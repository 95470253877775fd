"""`make release VERSION=x.y.z`: the library on a package index, the HCL module on a git tag.

    python -m tools.release --version 0.2.0 [--repository-url URL] [--index-url URL] [--keep-check DIR]

One version for both artifacts (``lambda_dynamodb/_version.py`` is the source; the release sets
it in a copy of the committed tree). In order, nothing published before every check passed:

1. refuse a version that is not semver ``x.y.z``, one not newer than the module's last tag, and a
   project tree with uncommitted changes (the release is exactly the commit it names);
2. build the wheel and sdist (``python -m build``) into ``dist/python/`` and ``twine check`` them,
   with the repository's URL (``--repository-url``, else the git remote ``origin``) in their
   metadata and in the long description's links to the docs, which name the tag ``vx.y.z``;
3. write the HCL module (``tf_module.write_module``) into ``dist/terraform-aws-lambda-dynamodb``, a git
   repository of its own (history kept), commit it with the source commit, tag ``vx.y.z``;
4. upload both with twine to the index: by default a local pypiserver on 127.0.0.1 serving
   ``dist/index/`` (started here, stopped before returning); ``--index-url`` names a real one
   (credentials from ``TWINE_USERNAME``/``TWINE_PASSWORD``);
5. install ``cdktf-lambda-dynamodb==x.y.z`` by name from the index into a fresh virtual environment
   beside a copy of the example service outside the repository, which synthesizes its stack, runs
   the ``lambda-dynamodb`` command on it and passes its own tests with the pytest plugin
   (tools/outside_app.py).

A failure in 4 or 5 takes the tag and the module commit back (``git reset`` to the previous
release): a tag always names a version the index holds.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from lambda_dynamodb.synthesis.output import MARKER
from tools import outside_app, tf_module

PROJECT_DIR = Path(__file__).resolve().parent.parent

DISTRIBUTION = "cdktf-lambda-dynamodb"
MODULE_DIR = PROJECT_DIR / "dist" / tf_module.MODULE_NAME
PYTHON_DIR = PROJECT_DIR / "dist" / "python"
INDEX_DIR = PROJECT_DIR / "dist" / "index"
VERSION_FILE = Path("modules") / "lambda_dynamodb" / "_version.py"
#: Semver's core: three whole numbers without leading zeros (pre-releases are not published).
SEMVER = re.compile(r"(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)")
SEMVER_RULE = "a semantic version x.y.z (three whole numbers without leading zeros, e.g. 0.2.0)"
#: Who commits to the module's repository when git knows nobody (a fresh CI machine).
RELEASER = ("cdktf-lambda-dynamodb release", "release@localhost")

#: The repository URL in pyproject.toml's [project.urls] and docs/package-readme.md's links until a
#: release writes the real one into the copy it builds (REPOSITORY_URL / --repository-url).
URL_PLACEHOLDER = "https://repository-url.invalid"
#: The packaged README's docs links name this ref; a release names its own tag instead.
DEVELOPMENT_REF = "main"
#: The files that carry the placeholder (the wheel's metadata and long description come from them).
URL_FILES = (Path("pyproject.toml"), Path("docs") / "package-readme.md")


class ReleaseError(RuntimeError):
    """The release was refused or failed; the message says what and why."""


def parse_version(text: str) -> tuple[int, int, int] | None:
    match = SEMVER.fullmatch(text)
    return (int(match[1]), int(match[2]), int(match[3])) if match else None


def git(cwd: Path, *arguments: str, check: bool = True) -> str:
    result = subprocess.run(["git", *arguments], cwd=cwd, capture_output=True, text=True)
    if check and result.returncode != 0:
        raise ReleaseError(f"git {' '.join(arguments)} failed in {cwd}: {result.stderr.strip()}")
    return result.stdout.strip()


def released_versions(module_dir: Path) -> list[tuple[int, int, int]]:
    """The versions the module's repository is tagged with (``vx.y.z``), oldest first."""
    if not (module_dir / ".git").exists():
        return []
    tags = git(module_dir, "tag", "--list", "v*").split()
    return sorted(version for tag in tags if (version := parse_version(tag[1:])))


def repository_url(project_dir: Path, given: str | None) -> str | None:
    """The repository's web URL: ``given``, else the git remote ``origin`` as https (None: neither)."""
    raw = given if given is not None else git(project_dir, "remote", "get-url", "origin", check=False)
    url = raw.strip().removesuffix("/").removesuffix(".git")
    scp = re.fullmatch(r"(?:ssh://)?[\w.-]+@([\w.-]+)[:/](.+)", url)  # git@host:org/repo, ssh://git@host/org/repo
    if scp:
        url = f"https://{scp[1]}/{scp[2]}"
    return url or None


REPOSITORY_URL_RULE = "an https:// URL of the repository's web page (its docs/ are linked from the package's description)"


def repository_url_problems(url: str | None) -> list[str]:
    if url is None:
        return [f"the repository's URL is unknown: set REPOSITORY_URL (make release) or --repository-url to {REPOSITORY_URL_RULE}, or add a git remote origin"]
    if not re.fullmatch(r"https://[\w.-]+(?::\d+)?(?:/[\w.~%-]+)*", url) or url.startswith(URL_PLACEHOLDER):
        return [f"REPOSITORY_URL {url[:200]!r} is invalid: {REPOSITORY_URL_RULE}"]
    return []


def release_problems(version: str, project_dir: Path, module_dir: Path, index_dir: Path | None, url: str | None = None) -> list[str]:
    """Why ``version`` cannot be released from ``project_dir`` now (empty: it can)."""
    problems = repository_url_problems(url)
    on_index = sorted(index_dir.glob(f"cdktf_lambda_dynamodb-{version}[-.]*")) if index_dir and index_dir.exists() else []
    if on_index:
        problems.append(f"VERSION {version!r} is invalid: not on the index yet ({index_dir} holds {on_index[0].name}; an index never takes a version twice)")
    parsed = parse_version(version)
    if parsed is None:
        problems.append(f"VERSION {version!r} is invalid: {SEMVER_RULE}")
    released = released_versions(module_dir)
    if parsed and released and parsed <= released[-1]:
        last = ".".join(map(str, released[-1]))
        problems.append(f"VERSION {version!r} is invalid: newer than the last release v{last} (tags of {module_dir})")
    dirty = git(project_dir, "status", "--porcelain", "--untracked-files=all").splitlines()
    if dirty:
        shown = ", ".join(line[3:] for line in dirty[:5]) + (", ..." if len(dirty) > 5 else "")
        problems.append(f"the project tree has uncommitted changes ({shown}): commit or stash them, a release is one commit")
    return problems


def released_links(text: str, url: str, version: str) -> str:
    """``text`` with the placeholder repository URL replaced by ``url``; docs links name the tag."""
    for kind in ("blob", "tree"):
        text = text.replace(f"{URL_PLACEHOLDER}/{kind}/{DEVELOPMENT_REF}/", f"{url}/{kind}/v{version}/")
        text = text.replace(f"{URL_PLACEHOLDER}/{kind}/{DEVELOPMENT_REF}\"", f"{url}/{kind}/v{version}\"")
    return text.replace(URL_PLACEHOLDER, url)


def build_python(version: str, project_dir: Path, outdir: Path, url: str) -> list[Path]:
    """Wheel and sdist of the committed tree at ``version`` (a copy: the repository is not touched),
    their metadata and long description linking to ``url``."""
    with tempfile.TemporaryDirectory(prefix="release-") as work:
        source = Path(work) / "source"
        source.mkdir()
        archive = subprocess.run(["git", "archive", "HEAD"], cwd=project_dir, capture_output=True, check=True).stdout
        subprocess.run(["tar", "-x", "-C", str(source)], input=archive, check=True)
        (source / VERSION_FILE).write_text(f'"""The library\'s version (set by make release)."""\n\n__version__ = "{version}"\n')
        for name in URL_FILES:
            (source / name).write_text(released_links((source / name).read_text(), url, version))
        staged = Path(work) / "dist"
        _run([sys.executable, "-m", "build", "--outdir", str(staged), str(source)], "python -m build")
        artifacts = sorted(staged.iterdir())
        _run([sys.executable, "-m", "twine", "check", "--strict", *map(str, artifacts)], "twine check")
        outdir.mkdir(parents=True, exist_ok=True)
        return [Path(shutil.copy2(artifact, outdir / artifact.name)) for artifact in artifacts]


def _run(command: Sequence[str], what: str, **kwargs: object) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(command, capture_output=True, text=True, **kwargs)  # type: ignore[call-overload]
    if result.returncode != 0:
        raise ReleaseError(f"{what} failed:\n{(result.stdout + result.stderr)[-3000:]}")
    return result


def changes_since(module_dir: Path, project_dir: Path) -> list[str]:
    """The project's commit subjects since the commit the last release was made from."""
    previous = git(module_dir, "log", "-1", "--format=%(trailers:key=Source-Commit,valueonly)", check=False).strip()
    if not previous:
        return ["First release."]
    if not _is_ancestor(project_dir, previous):
        return [f"Released from {git(project_dir, 'rev-parse', '--short', 'HEAD')} (the previous release's commit is not in this history)."]
    return git(project_dir, "log", "--no-merges", "--format=%s", f"{previous}..HEAD").splitlines()[:50]


def _is_ancestor(project_dir: Path, commit: str) -> bool:
    return subprocess.run(["git", "merge-base", "--is-ancestor", commit, "HEAD"], cwd=project_dir).returncode == 0


@dataclass(frozen=True)
class ModuleRelease:
    module_dir: Path
    tag: str
    previous_head: str | None


def commit_and_tag(module_dir: Path, version: str, source_commit: str, previous_head: str | None) -> ModuleRelease:
    if previous_head is None and not (module_dir / ".git").exists():
        git(module_dir, "init", "--quiet", "--initial-branch=main")
    identity = [] if git(module_dir, "config", "user.email", check=False) else ["-c", f"user.name={RELEASER[0]}", "-c", f"user.email={RELEASER[1]}"]
    # The folder marker says the project made dist/terraform-aws-lambda-dynamodb: not a module file.
    git(module_dir, "add", "--all", "--", ".", f":(exclude){MARKER}")
    message = f"Release v{version}\n\nFrom cdktf-lambda-dynamodb {version}.\n\nSource-Commit: {source_commit}\n"
    git(module_dir, *identity, "commit", "--quiet", "--allow-empty", "-m", message)
    git(module_dir, *identity, "tag", "--annotate", f"v{version}", "-m", f"cdktf-lambda-dynamodb {version}")
    return ModuleRelease(module_dir, f"v{version}", previous_head)


def take_back(module_dir: Path, tag: str, previous_head: str | None) -> None:
    """Remove the tag and the release commit: the module's files return to the previous release
    (none before the first: the folder goes)."""
    if not previous_head:
        shutil.rmtree(module_dir, ignore_errors=True)
        return
    git(module_dir, "tag", "--delete", tag, check=False)
    git(module_dir, "reset", "--quiet", "--hard", previous_head)
    git(module_dir, "clean", "--quiet", "-d", "--force")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextlib.contextmanager
def local_index(packages: Path) -> Iterator[str]:
    """A pypiserver on 127.0.0.1 serving ``packages`` (uploads allowed from here only); its URL."""
    packages.mkdir(parents=True, exist_ok=True)
    port = free_port()
    log = packages.parent / "pypiserver.log"
    command = [sys.executable, "-m", "pypiserver", "run", "--interface", "127.0.0.1", "--port", str(port), "--authenticate", ".", "--passwords", ".", str(packages)]
    with log.open("w") as output:
        server = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(url, server, log)
        yield url
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()


def _wait_until_up(url: str, server: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise ReleaseError(f"pypiserver exited with {server.returncode}:\n{log.read_text()[-2000:]}")
        with contextlib.suppress(OSError):
            urllib.request.urlopen(f"{url}/simple/", timeout=2).close()
            return
        time.sleep(0.2)
    raise ReleaseError(f"pypiserver did not answer on {url} within 30 s:\n{log.read_text()[-2000:]}")


def upload(artifacts: Sequence[Path], index_url: str) -> None:
    env = {**os.environ}
    env.setdefault("TWINE_USERNAME", "release")  # the local index takes any (--authenticate .)
    env.setdefault("TWINE_PASSWORD", "release")
    _run([sys.executable, "-m", "twine", "upload", "--non-interactive", "--disable-progress-bar", "--repository-url", index_url, *map(str, artifacts)], "twine upload", env=env)


def release(version: str, *, index_url: str | None = None, keep_check: Path | None = None, url: str | None = None) -> ModuleRelease:
    project_dir = PROJECT_DIR
    url = repository_url(project_dir, url)
    problems = release_problems(version, project_dir, MODULE_DIR, None if index_url else INDEX_DIR, url)
    if problems or url is None:
        raise ReleaseError("refused:\n" + "\n".join(f"  - {p}" for p in problems))
    started = time.monotonic()
    artifacts = build_python(version, project_dir, PYTHON_DIR, url)
    print(f"built {', '.join(a.name for a in artifacts)} (linking to {url})")
    previous_head = git(MODULE_DIR, "rev-parse", "HEAD") if (MODULE_DIR / ".git").exists() else None
    changes = changes_since(MODULE_DIR, project_dir) if previous_head else ["First release."]
    try:
        tf_module.write_module(MODULE_DIR, version, changes)
        module = commit_and_tag(MODULE_DIR, version, git(project_dir, "rev-parse", "HEAD"), previous_head)
        print(f"tagged {module.tag} in {MODULE_DIR} (git repository; source commit {git(project_dir, 'rev-parse', '--short', 'HEAD')})")
        with contextlib.ExitStack() as stack:
            index = index_url or stack.enter_context(local_index(INDEX_DIR))
            upload(artifacts, index)
            print(f"uploaded to {index} with twine")
            work = keep_check or Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="release-check-")))
            check = outside_app.prove(project_dir, version, f"{index.rstrip('/')}/simple/", work, DISTRIBUTION)
    except BaseException:
        take_back(MODULE_DIR, f"v{version}", previous_head)
        raise
    print(f"installed {DISTRIBUTION}=={check.version} by name from the index into a fresh virtual environment;")
    print(f"a copy of {outside_app.APP_PATH} outside the repository synthesized {', '.join(check.stacks)} with it,")
    print("ran lambda-dynamodb permissions, code-calls and review on it, and passed its own tests with the pytest plugin")
    print(f"released v{version} in {time.monotonic() - started:.1f} s")
    return module


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.release", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", required=True, help="x.y.z, newer than the last release")
    parser.add_argument("--repository-url", help="the repository's https:// URL, linked from the package's metadata (default: git remote origin)")
    parser.add_argument("--index-url", help="upload here instead of the local pypiserver (TWINE_USERNAME/TWINE_PASSWORD)")
    parser.add_argument("--keep-check", type=Path, help="keep the install check's virtual environment and outside app here")
    arguments = parser.parse_args(argv)
    try:
        release(arguments.version, index_url=arguments.index_url, keep_check=arguments.keep_check, url=arguments.repository_url)
    except (ReleaseError, outside_app.OutsideAppError, tf_module.ModuleBuildError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
