"""`make plan`: what `make deploy` would change, written for a reviewer.

    python tools/plan.py [--target local|aws] [--outdir cdktf.out] [--plan-dir plan]

Plans the synthesized stack against its own state (the local backend's state beside
``cdktf.out/``, so after `make deploy` the plan is the diff against what is deployed; with no
deployment it is a first plan of everything) and writes, all at once or not at all:

    plan/plan.json          `terraform show -json` of the saved plan
    plan/plan.md            the review: counts, replacements at the top, every resource change,
                            the IAM permissions added or removed (action x resource), and why
                            the role has each (as `make permissions` says)
    plan/architecture.dot   the stack as Graphviz source, from the planned values
    plan/architecture.svg   ... drawn by Graphviz `dot`

local (default): the project's moto server (started, or reused; stopped again if this plan
started it). aws: your own credentials, no emulator. The pure parts (plan JSON -> markdown,
plan JSON -> DOT) need neither Terraform nor an emulator.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Mapping, Sequence
from enum import Enum
from pathlib import Path
from typing import Any


from tools import emulator
from tools.deploy import DeployError, Refused, Stages, aws_environment, refuse_other_target, start_emulator, state_dir_of, state_file
from lambda_dynamodb.iam.permissions import permission_plan
from lambda_dynamodb.synthesis.output import FolderError, replace_folder
from lambda_dynamodb.review.aws_checks import plan_arn_context
from lambda_dynamodb.review.diagram import dot_source
from lambda_dynamodb.review.summary import STACK, Reasons, summary_markdown
from tools.state_lock import StateLocked, command_name, state_lock
from lambda_dynamodb.testing.terraform_cli import TerraformMissing, terraform_binary, terraform_env

PROJECT_DIR = Path(__file__).resolve().parent.parent
PLAN_JSON = "plan.json"
PLAN_MD = "plan.md"
DIAGRAM_DOT = "architecture.dot"
DIAGRAM_SVG = "architecture.svg"
GRAPHVIZ_HINT = "install Graphviz: apt-get install graphviz (make plan does)"


class PlanError(RuntimeError):
    pass


# --- running it ------------------------------------------------------------------------------


class Target(Enum):
    LOCAL = "local"
    AWS = "aws"


def main(argv: Sequence[str] | None = None, environ: Mapping[str, str] | None = None) -> int:
    env = dict(os.environ if environ is None else environ)
    args = _arguments(argv, env)
    try:
        with state_lock(_emulator_state_dir(env), command_name("plan", env), env):
            review = make_plan(Target(args.target), Path(args.outdir), Path(args.plan_dir), env)
    except (Refused, StateLocked, FolderError) as error:  # a plan folder the project did not make, too
        print(f"error: {error}", file=sys.stderr)
        return 2
    except (PlanError, DeployError, emulator.EmulatorError, TerraformMissing) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(review, end="")
    return 0


def _arguments(argv: Sequence[str] | None, env: Mapping[str, str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--target", choices=[t.value for t in Target], default=env.get("TARGET") or Target.LOCAL.value)
    # The folder main.py synthesized into: it honours CDKTF_OUTDIR, and so does this default.
    outdir = env.get("CDKTF_OUTDIR") or str(PROJECT_DIR / "cdktf.out")
    parser.add_argument("--outdir", default=outdir, help="the synthesized output (make synth)")
    parser.add_argument("--plan-dir", default=str(PROJECT_DIR / "plan"), help="where plan.json, plan.md and the diagram go")
    return parser.parse_args(argv)


def make_plan(target: Target, outdir: Path, plan_dir: Path, env: dict[str, str]) -> str:
    """Plan, write the plan folder atomically, and return plan.md's text."""
    stages = Stages()
    with stages.stage("check prerequisites (the state's target, terraform, Graphviz dot, the synthesized stack)"):
        _refuse_mixed_targets(target, outdir, env)
        dot = graphviz_binary(env)
        terraform_binary()
        stack_dir = synthesized_stack(outdir)
        env = terraform_env(PROJECT_DIR / ".terraform-cli.rc", env)
    state_dir = _emulator_state_dir(env)
    with stages.stage("start the local AWS emulator (moto server)" if target is Target.LOCAL else "check AWS credentials"):
        env, started = _target_environment(target, stack_dir, state_dir, env)
    try:
        with stages.stage("terraform init + plan, then write the review and the diagram"):
            write_atomically(plan_dir, lambda staging: _write_plan(stack_dir, staging, dot, env))
    finally:
        if started:
            emulator.stop(state_dir=state_dir)
            print("    stopped the emulator this plan started", flush=True)
    print(f"wrote {plan_dir / PLAN_JSON}, {plan_dir / PLAN_MD}, {plan_dir / DIAGRAM_SVG} in {stages.total:.1f} s\n", flush=True)
    return (plan_dir / PLAN_MD).read_text()


def graphviz_binary(env: Mapping[str, str]) -> str:
    binary = shutil.which("dot", path=env.get("PATH"))
    if binary is None:
        raise PlanError(f"Graphviz `dot` was not found on PATH (it draws architecture.svg): {GRAPHVIZ_HINT}")
    return binary


def synthesized_stack(outdir: Path) -> Path:
    stack_dir = outdir.resolve() / "stacks" / STACK
    if not (stack_dir / "cdk.tf.json").is_file():
        raise PlanError(f"no synthesized stack at {stack_dir / 'cdk.tf.json'}: run `make synth` first (make plan does)")
    return stack_dir


def stack_region(stack_dir: Path) -> str:
    """The region the synthesized AWS provider uses: the emulator answers as that region."""
    providers = json.loads((stack_dir / "cdk.tf.json").read_text()).get("provider", {}).get("aws", [])
    regions = [provider["region"] for provider in providers if isinstance(provider.get("region"), str)]
    if not regions:
        raise PlanError(f"{stack_dir / 'cdk.tf.json'} names no AWS provider region")
    return str(regions[0])


def _emulator_state_dir(env: Mapping[str, str]) -> Path:
    # Read from the environment passed in (not only at import), so a caller can isolate it.
    return state_dir_of(env)


def _refuse_mixed_targets(target: Target, outdir: Path, env: Mapping[str, str]) -> None:
    """A state belonging to the other target would plan against the wrong AWS (exit 2)."""
    refuse_other_target(target.value, outdir, _emulator_state_dir(env), "plan with TARGET={owner}")


def _target_environment(target: Target, stack_dir: Path, state_dir: Path, env: dict[str, str]) -> tuple[dict[str, str], bool]:
    if target is Target.AWS:
        return aws_environment(env), False
    running, started = start_emulator(env, state_dir)
    if started and not running.restored and state_file(stack_dir.parent.parent).exists():
        # moto keeps everything in memory: a state from an emulator that has since stopped
        # describes nothing that exists any more, and the plan re-creates it all.
        print("    note: the state records a deployment, but to an emulator that is gone: the plan compares against nothing", flush=True)
    return {**env, **running.environment(stack_region(stack_dir))}, started


def write_atomically(plan_dir: Path, write: Callable[[Path], None]) -> Path:
    """``write`` fills a staging folder, which then replaces ``plan_dir`` whole.

    If ``write`` fails, ``plan_dir`` keeps what it had (or stays absent) and the staging folder
    is removed: a reviewer never reads a plan.md that belongs to another plan.json.
    """
    plan_dir = plan_dir.resolve()
    plan_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{plan_dir.name}.staging-", dir=plan_dir.parent))
    staging.chmod(0o755)  # mkdtemp makes it private; the plan folder is for every reviewer on the machine
    try:
        write(staging)
        replace_folder(staging, plan_dir)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return plan_dir


def _write_plan(stack_dir: Path, staging: Path, dot: str, env: Mapping[str, str]) -> None:
    saved = staging / "tfplan"
    _terraform(["init", "-input=false", "-no-color"], stack_dir, env)
    _terraform(["plan", "-input=false", "-no-color", f"-out={saved}"], stack_dir, env)
    shown = _terraform(["show", "-json", str(saved)], stack_dir, env)
    saved.unlink()  # a binary plan goes stale with the next deploy: the JSON is what is reviewed
    plan = json.loads(shown)
    (staging / PLAN_JSON).write_text(shown)
    (staging / PLAN_MD).write_text(summary_markdown(plan, reasons=permission_reasons(plan)))
    source = dot_source(plan)
    (staging / DIAGRAM_DOT).write_text(source)
    (staging / DIAGRAM_SVG).write_bytes(render_svg(source, dot))


def permission_reasons(plan: Mapping[str, Any]) -> Reasons:
    """Why the app's role has each permission (``make permissions``), in the plan's ARNs."""
    import main

    context = plan_arn_context(plan)
    if context is None:
        return {}
    settings = main.app_settings(main.load_context(), permissions=False)
    rows = permission_plan(settings.module_settings(), context).rows
    return {(row.action, row.resource): "; ".join(row.why) for row in rows}


def _terraform(args: list[str], stack_dir: Path, env: Mapping[str, str]) -> str:
    result = subprocess.run([terraform_binary(), *args], cwd=stack_dir, env=dict(env), capture_output=True, text=True)
    if result.returncode != 0:
        raise PlanError(f"terraform {args[0]} failed (exit code {result.returncode}):\n{(result.stderr or result.stdout).strip()}")
    return result.stdout


def render_svg(source: str, dot: str) -> bytes:
    result = subprocess.run([dot, "-Tsvg"], input=source.encode(), capture_output=True)
    if result.returncode != 0:
        raise PlanError(f"Graphviz dot failed (exit code {result.returncode}):\n{result.stderr.decode(errors='replace').strip()}")
    return result.stdout


if __name__ == "__main__":
    sys.exit(main())
