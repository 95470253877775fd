"""`make release VERSION=x.y.z`: the library on a package index, the HCL module on a git tag.

    python tools/release.py --version 0.2.0 [--index-url URL] [--keep-check DIR]

One version for both artifacts (``lambda_dynamodb/_version.py`` is the source; the release sets
it in a copy of the committed tree). In order, nothing published before every check passed:

1. refuse a version that is not semver ``x.y.z``, one not newer than the module's last tag, and a
   project tree with uncommitted changes (the release is exactly the commit it names);
2. build the wheel and sdist (``python -m build``) into ``dist/python/`` and ``twine check`` them;
3. write the HCL module (``tf_module.write_module``) into ``dist/terraform-aws-lambda-dynamodb``, a git
   repository of its own (history kept), commit it with the source commit, tag ``vx.y.z``;
4. upload both with twine to the index: by default a local pypiserver on 127.0.0.1 serving
   ``dist/index/`` (started here, stopped before returning); ``--index-url`` names a real one
   (credentials from ``TWINE_USERNAME``/``TWINE_PASSWORD``);
5. install ``cdktf-lambda-dynamodb==x.y.z`` by name from the index into a fresh virtual environment
   and synthesize an app outside the repository with it.

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

PROJECT_DIR = Path(__file__).resolve().parent.parent

from tools import tf_module
from lambda_dynamodb.synthesis.output import MARKER

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

#: An app of another team, outside the repository: its own names, three tables, three functions
#: (two composites, and a function on two tables built from the composable constructs).
OUTSIDE_APP = '''
import sys
from pathlib import Path

from lambda_dynamodb.fast_provider import install

install()

from cdktf import App, TerraformStack
from cdktf_cdktf_provider_aws.provider import AwsProvider

import lambda_dynamodb
from lambda_dynamodb import (
    Access, Attribute, AttributeType, Function, FunctionSettings, LambdaDynamoDb, LambdaDynamoDbSettings, RoleSettings,
    Table, TableSettings, check,
)

HERE = Path(__file__).resolve().parent
app = App(outdir=sys.argv[1])
stack = TerraformStack(app, "billing")
AwsProvider(stack, "aws", region="us-east-2")
invoices = LambdaDynamoDb(stack, "invoices", LambdaDynamoDbSettings(
    table=TableSettings(name="Invoices"),
    function=FunctionSettings(name="invoice-writer", source_dir=HERE / "writer"),
    role=RoleSettings(name="InvoiceWriterRole", policy_name="InvoiceWriterPolicy"),
    access=Access.WRITE,
))
LambdaDynamoDb(stack, "customers", LambdaDynamoDbSettings(
    table=TableSettings(name="Customers", partition_key="customer_id", sort_key=None,
                        attributes=(Attribute("customer_id", AttributeType.NUMBER),)),
    function=FunctionSettings(name="customer-reader", source_dir=HERE / "reader", memory_mb=512),
    role=RoleSettings(name="CustomerReaderRole", policy_name="CustomerReaderPolicy"),
    access=Access.READ,
))
archiver = Function(stack, "archiver", FunctionSettings(name="invoice-archiver", source_dir=HERE / "archiver"))
archiver.use(invoices.table, access=Access.FROM_CODE, env="INVOICES_TABLE")
archiver.use(Table(stack, "archive", TableSettings(name="InvoiceArchive")), access=Access.FROM_CODE, env="ARCHIVE_TABLE")
check(app)
app.synth()
print(lambda_dynamodb.__version__, lambda_dynamodb.__file__)
'''
#: The outside app's two functions (folder -> handler.py): the code check holds them to their access.
OUTSIDE_HANDLERS = {
    "writer": "import os\n\nimport boto3\n\nTABLE = boto3.resource('dynamodb').Table(os.environ['TABLE_NAME'])\n\n\n"
    "def handler(event, context):\n    TABLE.put_item(Item=event)\n    return {'ok': True}\n",
    "reader": "import os\n\nimport boto3\n\nTABLE = boto3.resource('dynamodb').Table(os.environ['TABLE_NAME'])\n\n\n"
    "def handler(event, context):\n    return TABLE.get_item(Key=event).get('Item')\n",
    "archiver": "import os\n\nimport boto3\n\nDYNAMODB = boto3.resource('dynamodb')\n"
    "INVOICES = DYNAMODB.Table(os.environ['INVOICES_TABLE'])\nARCHIVE = DYNAMODB.Table(os.environ['ARCHIVE_TABLE'])\n\n\n"
    "def handler(event, context):\n    item = INVOICES.get_item(Key=event)['Item']\n    ARCHIVE.put_item(Item=item)\n",
}


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


def release_problems(version: str, project_dir: Path, module_dir: Path, index_dir: Path | None) -> list[str]:
    """Why ``version`` cannot be released from ``project_dir`` now (empty: it can)."""
    problems = []
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


def build_python(version: str, project_dir: Path, outdir: Path) -> list[Path]:
    """Wheel and sdist of the committed tree at ``version`` (a copy: the repository is not touched)."""
    with tempfile.TemporaryDirectory(prefix="release-") as work:
        source = Path(work) / "source"
        source.mkdir()
        archive = subprocess.run(["git", "archive", "HEAD"], cwd=project_dir, capture_output=True, check=True).stdout
        subprocess.run(["tar", "-x", "-C", str(source)], input=archive, check=True)
        (source / VERSION_FILE).write_text(f'"""The library\'s version (set by make release)."""\n\n__version__ = "{version}"\n')
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


@dataclass(frozen=True)
class InstalledCheck:
    """What installing by name from the index gave: where the library came from, what it synthesized."""

    version: str
    imported_from: Path
    stack_dir: Path


def install_and_synthesize(version: str, simple_url: str, work: Path) -> InstalledCheck:
    """A fresh virtual environment installs the release by name from ``simple_url``; an app
    outside the repository synthesizes two tables and two functions with it."""
    venv = work / "venv"
    _run([sys.executable, "-m", "venv", str(venv)], "python -m venv")
    python = venv / "bin" / "python"
    _run([str(python), "-m", "pip", "install", "--quiet", "--index-url", simple_url, f"{DISTRIBUTION}=={version}"], f"pip install {DISTRIBUTION}=={version} from {simple_url}")
    app = work / "billing-app"
    for folder, code in OUTSIDE_HANDLERS.items():
        (app / folder).mkdir(parents=True)
        (app / folder / "handler.py").write_text(code)
    (app / "app.py").write_text(OUTSIDE_APP)
    env = {k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", "VIRTUAL_ENV", "PIPENV_ACTIVE"}}
    result = _run([str(python), "app.py", str(work / "out")], "the outside app", cwd=app, env=env)
    found, imported = result.stdout.strip().splitlines()[-1].split(" ", 1)
    if found != version:
        raise ReleaseError(f"the index gave {DISTRIBUTION} {found}, not {version}")
    return InstalledCheck(found, Path(imported), work / "out" / "stacks" / "billing")


def release(version: str, *, index_url: str | None = None, keep_check: Path | None = None) -> ModuleRelease:
    project_dir = PROJECT_DIR
    problems = release_problems(version, project_dir, MODULE_DIR, None if index_url else INDEX_DIR)
    if problems:
        raise ReleaseError("refused:\n" + "\n".join(f"  - {p}" for p in problems))
    started = time.monotonic()
    artifacts = build_python(version, project_dir, PYTHON_DIR)
    print(f"built {', '.join(a.name for a in artifacts)}")
    previous_head = git(MODULE_DIR, "rev-parse", "HEAD") if (MODULE_DIR / ".git").exists() else None
    changes = changes_since(MODULE_DIR, project_dir) if previous_head else ["First release."]
    try:
        tf_module.write_module(MODULE_DIR, version, changes)
        module = commit_and_tag(MODULE_DIR, version, git(project_dir, "rev-parse", "HEAD"), previous_head)
        print(f"tagged {module.tag} in {MODULE_DIR} (git repository; source commit {git(project_dir, 'rev-parse', '--short', 'HEAD')})")
        with contextlib.ExitStack() as stack:
            url = index_url or stack.enter_context(local_index(INDEX_DIR))
            upload(artifacts, url)
            print(f"uploaded to {url} with twine")
            work = keep_check or Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="release-check-")))
            check = install_and_synthesize(version, f"{url.rstrip('/')}/simple/", work)
    except BaseException:
        take_back(MODULE_DIR, f"v{version}", previous_head)
        raise
    print(f"installed {DISTRIBUTION}=={check.version} by name from the index into a fresh virtual environment;")
    print(f"an outside app synthesized {check.stack_dir / 'cdk.tf.json'} with it")
    print(f"released v{version} in {time.monotonic() - started:.1f} s")
    return module


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", required=True, help="x.y.z, newer than the last release")
    parser.add_argument("--index-url", help="upload here instead of the local pypiserver (TWINE_USERNAME/TWINE_PASSWORD)")
    parser.add_argument("--keep-check", type=Path, help="keep the install check's virtual environment and outside app here")
    arguments = parser.parse_args(argv)
    try:
        release(arguments.version, index_url=arguments.index_url, keep_check=arguments.keep_check)
    except (ReleaseError, tf_module.ModuleBuildError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
