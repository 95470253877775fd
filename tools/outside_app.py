"""The release's proof from outside: another team's app, with the package installed by name.

The example service (``examples/orders-service`` of the released commit) is copied outside the
repository, into a fresh virtual environment that installs ``cdktf-lambda-dynamodb==x.y.z`` by
name from the release's package index, with the app's test dependencies (pytest, moto's server).
In that copy, with nothing of the repository on the path:

1. the app synthesizes its stack (``python main.py``);
2. ``lambda-dynamodb permissions`` prints every role of its stack (exit 0: nothing missing);
3. ``lambda-dynamodb code-calls functions/sync --json`` analyses one of its function folders;
4. ``lambda-dynamodb review plan.json`` reviews a real ``terraform plan`` of its stack (made against
   a moto server of its own, the provider from the offline mirror when there is one);
5. its own tests (``tests/``, the pytest plugin's example file among them) pass;
6. ``lambda-dynamodb permissions`` in a folder whose ``cdktf.out`` has no manifest exits 2 and says why.

Each command's argv, exit code and output are kept in ``<work>/proofs.json``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from importlib import metadata
from pathlib import Path

from lambda_dynamodb.testing.terraform_cli import terraform_binary, terraform_env
from tools import emulator

#: The app copied out of the released commit, and its stack (what its main.py synthesizes).
APP_PATH = "examples/orders-service"
#: A function folder of the app, for `lambda-dynamodb code-calls`.
CODE_CALLS_FOLDER = "functions/sync"
#: The app's test dependencies, at the versions this project tests with (its Pipfile.lock).
TEST_REQUIREMENTS = ("pytest", "moto[server]")
PROOFS_FILE = "proofs.json"
#: What the copy's tests must include: the plugin's example file.
POLICY_TESTS = "tests/test_orders_policy.py"


class OutsideAppError(RuntimeError):
    """A step of the outside app's proof failed; the message shows the command and its output."""


@dataclass(frozen=True)
class Proof:
    """One command run in the copy: what it was and what it answered."""

    argv: list[str]
    cwd: str
    returncode: int
    stdout: str
    stderr: str

    def shown(self) -> str:
        return f"`{' '.join(self.argv)}` in {self.cwd} exited {self.returncode}:\n{(self.stdout + self.stderr)[-4000:]}"


@dataclass(frozen=True)
class OutsideApp:
    """The copy, its environment, and what each proof answered."""

    work: Path
    app: Path
    venv: Path
    version: str
    imported_from: Path
    #: The stacks the copy synthesized (their folders' names in its cdktf.out).
    stacks: list[str]
    proofs: dict[str, Proof]


def pinned(requirement: str) -> str:
    """``requirement`` at the version installed here (``moto[server]`` -> ``moto[server]==5.2.5``)."""
    name = requirement.split("[", 1)[0]
    return f"{requirement}=={metadata.version(name)}"


def console_script(distribution: str) -> str:
    """The command the distribution declares (``[project.scripts]``): the one the wheel installs."""
    (name,) = [entry.name for entry in metadata.distribution(distribution).entry_points if entry.group == "console_scripts"]
    return name


def clean_environment(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """This environment without what would point Python or AWS back at the repository or a real account."""
    dropped = {"PYTHONPATH", "VIRTUAL_ENV", "PIPENV_ACTIVE", "CDKTF_OUTDIR", "PYTEST_ADDOPTS", "PYTEST_PLUGINS"}
    env = {k: v for k, v in os.environ.items() if k not in dropped and not k.startswith(("AWS_", "LAMBDA_DYNAMODB_"))}
    env.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
    return {**env, **(extra or {})}


def prove(project_dir: Path, version: str, simple_url: str, work: Path, distribution: str) -> OutsideApp:
    """Every proof above, in ``work`` (created); raises OutsideAppError at the first that fails."""
    work.mkdir(parents=True, exist_ok=True)
    venv = work / "venv"
    _run([sys.executable, "-m", "venv", str(venv)], work, "python -m venv")
    python, command = venv / "bin" / "python", venv / "bin" / console_script(distribution)
    # The package with its `testing` extra (the plugin's test dependencies), those pinned to the versions tested here.
    requirements = [f"{distribution}[testing]=={version}", *map(pinned, TEST_REQUIREMENTS)]
    _run([str(python), "-m", "pip", "install", "--quiet", "--index-url", simple_url, *requirements], work, f"pip install {' '.join(requirements)} from {simple_url}")
    app = copy_app(project_dir, work)
    proofs: dict[str, Proof] = {}
    env = clean_environment()

    proofs["import"] = _proof([str(python), "-c", "import lambda_dynamodb; print(lambda_dynamodb.__version__, lambda_dynamodb.__file__)"], app, env)
    installed, imported = proofs["import"].stdout.strip().splitlines()[-1].split(" ", 1)
    if installed != version:
        raise OutsideAppError(f"the index gave {distribution} {installed}, not {version}")
    proofs["synth"] = _proof([str(python), "main.py"], app, env)
    proofs["permissions"] = _proof([str(command), "permissions"], app, env)
    proofs["code-calls"] = _proof([str(command), "code-calls", CODE_CALLS_FOLDER, "--json"], app, env)
    plan = plan_json(app, work, env)
    proofs["review"] = _proof([str(command), "review", str(plan), "--out", str(work / "review")], app, env)
    proofs["pytest"] = _proof([str(python), "-m", "pytest", "tests", "-p", "no:cacheprovider", "-rA", f"--junitxml={work / 'pytest.xml'}"], app, env)
    bare = without_manifest(app, work)
    proofs["permissions-without-manifest"] = _proof([str(command), "permissions"], bare, env, expect=2)
    (work / PROOFS_FILE).write_text(json.dumps({name: asdict(proof) for name, proof in proofs.items()}, indent=2))
    stacks = sorted(path.name for path in (app / "cdktf.out" / "stacks").iterdir())
    return OutsideApp(work, app, venv, installed, Path(imported), stacks, proofs)


def copy_app(project_dir: Path, work: Path) -> Path:
    """The example service of the committed tree (``git archive HEAD``), as the folder ``work/<name>``."""
    archive = subprocess.run(["git", "archive", "HEAD", APP_PATH], cwd=project_dir, capture_output=True)
    if archive.returncode != 0 or not archive.stdout:
        raise OutsideAppError(f"git archive HEAD {APP_PATH} failed in {project_dir}: {archive.stderr.decode(errors='replace').strip()}")
    extracted = work / "source"
    extracted.mkdir()
    subprocess.run(["tar", "-x", "-C", str(extracted)], input=archive.stdout, check=True)
    app = work / Path(APP_PATH).name
    shutil.move(str(extracted / APP_PATH), str(app))
    shutil.rmtree(extracted)
    return app


def plan_json(app: Path, work: Path, env: Mapping[str, str]) -> Path:
    """``terraform show -json`` of a plan of the app's stack against a moto server of its own."""
    (stack_dir,) = sorted((app / "cdktf.out" / "stacks").iterdir())
    region = json.loads((stack_dir / "cdk.tf.json").read_text())["provider"]["aws"][0]["region"]
    running, _ = emulator.start(state_dir=work / "emulator")
    try:
        tf_env = {**terraform_env(work / "terraform.rc", dict(env)), **running.environment(region)}
        terraform = terraform_binary()
        _run([terraform, "init", "-input=false", "-no-color"], stack_dir, "terraform init", env=tf_env)
        _run([terraform, "plan", "-input=false", "-no-color", "-out=review.tfplan"], stack_dir, "terraform plan", env=tf_env)
        shown = _run([terraform, "show", "-json", "review.tfplan"], stack_dir, "terraform show -json", env=tf_env)
    finally:
        emulator.stop(state_dir=work / "emulator")
    plan = work / "plan.json"
    plan.write_text(shown.stdout)
    return plan


def without_manifest(app: Path, work: Path) -> Path:
    """A folder whose ``cdktf.out`` holds the app's stacks with their permissions manifests removed."""
    bare = work / "without-manifest"
    shutil.copytree(app / "cdktf.out", bare / "cdktf.out", ignore=shutil.ignore_patterns("assets", ".terraform*", "*.tfplan"))
    for manifest in (bare / "cdktf.out" / "stacks").glob("*/lambda-dynamodb.permissions.json"):
        manifest.unlink()
    return bare


def _proof(argv: Sequence[str], cwd: Path, env: Mapping[str, str], *, expect: int = 0) -> Proof:
    result = subprocess.run(list(argv), cwd=cwd, env=dict(env), capture_output=True, text=True, timeout=900)
    proof = Proof(list(argv), str(cwd), result.returncode, result.stdout, result.stderr)
    if result.returncode != expect:
        raise OutsideAppError(f"expected exit {expect}: {proof.shown()}")
    return proof


def _run(argv: Sequence[str], cwd: Path, what: str, env: Mapping[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(list(argv), cwd=cwd, env=dict(env) if env is not None else clean_environment(), capture_output=True, text=True, timeout=900)
    if result.returncode != 0:
        raise OutsideAppError(f"{what} failed (exit {result.returncode}):\n{(result.stdout + result.stderr)[-3000:]}")
    return result
