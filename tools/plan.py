"""`make plan`: what `make deploy` would change, written for a reviewer.

    python -m tools.plan [--target local|aws] [--outdir cdktf.out] [--stack NAME] [--plan-dir plan]

Plans the synthesized stack (the one ``cdktf.out/manifest.json`` lists, or ``--stack`` of
several) against its own state (the local backend's state beside ``cdktf.out/``, so after
`make deploy` the plan is the diff against what is deployed; with no deployment it is a first
plan of everything) and writes, all at once or not at all:

    plan/plan.json          `terraform show -json` of the saved plan
    plan/plan.md            the review: counts, replacements at the top, every resource change,
                            the IAM permissions added or removed (action x resource), and why
                            the role has each (the stack's permissions manifest in cdktf.out)
    plan/architecture.dot   the stack as Graphviz source, from the planned values
    plan/architecture.svg   ... drawn by Graphviz `dot`

The review is the one `lambda-dynamodb review plan/plan.json` writes: the same function
(:func:`lambda_dynamodb.review.report.write_review`) makes it.

local (default): the project's moto server (started, or reused; stopped again if this plan
started it). aws: your own credentials, no emulator.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from collections.abc import Mapping, Sequence
from enum import Enum
from pathlib import Path

from lambda_dynamodb.review.files import GraphvizError, dot_binary, write_atomically
from lambda_dynamodb.review.plan_file import PlanFileError, check_plan
from lambda_dynamodb.review.report import DIAGRAM_DOT, DIAGRAM_SVG, PLAN_MD, Review, write_review
from lambda_dynamodb.synthesis.output import FolderError
from lambda_dynamodb.testing.terraform_cli import TerraformMissing, terraform_binary, terraform_env
from tools import emulator
from tools.deploy import DeployError, Refused, Stages, aws_environment, refuse_other_target, start_emulator, state_dir_of
from tools.stacks import StackError, SynthesizedStack, synthesized_stacks
from tools.state_lock import StateLocked, command_name, state_lock

PROJECT_DIR = Path(__file__).resolve().parent.parent
PLAN_JSON = "plan.json"
#: The review's file names and write_atomically are the library's, named here for the tests and tools that use tools.plan.
__all__ = ["DIAGRAM_DOT", "DIAGRAM_SVG", "PLAN_JSON", "PLAN_MD", "main", "make_plan", "write_atomically"]
GRAPHVIZ_HINT = "install Graphviz: apt-get install graphviz (make plan does)"


class PlanError(RuntimeError):
    pass


class PlanRefused(PlanError):
    """The output folder holds no stack of that name, or several and none was named: exit 2."""


# --- running it ------------------------------------------------------------------------------


class Target(Enum):
    LOCAL = "local"
    AWS = "aws"


def main(argv: Sequence[str] | None = None, environ: Mapping[str, str] | None = None) -> int:
    env = dict(os.environ if environ is None else environ)
    args = _arguments(argv, env)
    try:
        with state_lock(_emulator_state_dir(env), command_name("plan", env), env):
            review = make_plan(Target(args.target), Path(args.outdir), Path(args.plan_dir), env, args.stack)
    except (Refused, PlanRefused, StateLocked, FolderError) as error:  # a plan folder the project did not make, too
        print(f"error: {error}", file=sys.stderr)
        return 2
    except (PlanError, DeployError, emulator.EmulatorError, TerraformMissing, GraphvizError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(review, end="")
    return 0


def _arguments(argv: Sequence[str] | None, env: Mapping[str, str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m tools.plan", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--target", choices=[t.value for t in Target], default=env.get("TARGET") or Target.LOCAL.value)
    # The folder main.py synthesized into: it honours CDKTF_OUTDIR, and so does this default.
    outdir = env.get("CDKTF_OUTDIR") or str(PROJECT_DIR / "cdktf.out")
    parser.add_argument("--outdir", default=outdir, help="the synthesized output (make synth)")
    parser.add_argument("--stack", help="the stack to plan, when the output holds several (default: its only stack)")
    parser.add_argument("--plan-dir", default=str(PROJECT_DIR / "plan"), help="where plan.json, plan.md and the diagram go")
    return parser.parse_args(argv)


def make_plan(target: Target, outdir: Path, plan_dir: Path, env: dict[str, str], stack_name: str | None = None) -> str:
    """Plan, write the plan folder atomically, and return plan.md's text."""
    stages = Stages()
    with stages.stage("check prerequisites (Graphviz dot, terraform, the synthesized stack, the state's target)"):
        dot = dot_binary(env.get("PATH"), GRAPHVIZ_HINT)
        terraform_binary()
        stack = synthesized_stack(outdir, stack_name)
        _refuse_mixed_targets(target, outdir, env)
        env = terraform_env(PROJECT_DIR / ".terraform-cli.rc", env)
    state_dir = _emulator_state_dir(env)
    with stages.stage("start the local AWS emulator (moto server)" if target is Target.LOCAL else "check AWS credentials"):
        env, started = _target_environment(target, stack, state_dir, env)
    made: list[Review] = []
    try:
        with stages.stage("terraform init + plan, then write the review and the diagram"):
            write_atomically(plan_dir, lambda staging: made.append(_write_plan(stack, outdir, staging, dot, env)))
    finally:
        if started:
            emulator.stop(state_dir=state_dir)
            print("    stopped the emulator this plan started", flush=True)
    if made[0].stack.why.unavailable:
        print(f"note: the why column is unavailable: {made[0].stack.why.unavailable}", flush=True)
    print(f"wrote {plan_dir / PLAN_JSON}, {plan_dir / PLAN_MD}, {plan_dir / DIAGRAM_SVG} in {stages.total:.1f} s\n", flush=True)
    return (plan_dir / PLAN_MD).read_text()


def synthesized_stack(outdir: Path, name: str | None) -> SynthesizedStack:
    """The stack to plan: ``name``, or the only one ``outdir/manifest.json`` lists."""
    try:
        stacks = synthesized_stacks(outdir.resolve())
    except StackError as error:
        raise PlanError(f"no synthesized stack in {outdir}: {error}; run `make synth` first (make plan does)") from None
    names = ", ".join(stack.name for stack in stacks)
    chosen = [stack for stack in stacks if name is None or stack.name == name]
    if not chosen:
        raise PlanRefused(f"--stack {name!r}: {outdir} holds no stack of that name (it holds {names})")
    if len(chosen) > 1:
        raise PlanRefused(f"{outdir} holds the stacks {names}: name the one to plan with --stack NAME (make plan PLAN_STACK=NAME)")
    if not (chosen[0].directory / "cdk.tf.json").is_file():
        raise PlanError(f"no synthesized stack at {chosen[0].directory / 'cdk.tf.json'}: run `make synth` first (make plan does)")
    return chosen[0]


def _emulator_state_dir(env: Mapping[str, str]) -> Path:
    # Read from the environment passed in (not only at import), so a caller can isolate it.
    return state_dir_of(env)


def _refuse_mixed_targets(target: Target, outdir: Path, env: Mapping[str, str]) -> None:
    """A state belonging to the other target would plan against the wrong AWS (exit 2)."""
    refuse_other_target(target.value, outdir, _emulator_state_dir(env), "plan with TARGET={owner}")


def _target_environment(target: Target, stack: SynthesizedStack, state_dir: Path, env: dict[str, str]) -> tuple[dict[str, str], bool]:
    if target is Target.AWS:
        return aws_environment(env), False
    running, started = start_emulator(env, state_dir)
    if started and not running.restored and stack.state is not None and stack.state.exists():
        # moto keeps everything in memory: a state from an emulator that has since stopped
        # describes nothing that exists any more, and the plan re-creates it all.
        print("    note: the state records a deployment, but to an emulator that is gone: the plan compares against nothing", flush=True)
    try:
        region = stack.region
    except StackError as error:
        raise PlanError(str(error)) from None
    return {**env, **running.environment(region)}, started


def _write_plan(stack: SynthesizedStack, outdir: Path, staging: Path, dot: str, env: Mapping[str, str]) -> Review:
    saved = staging / "tfplan"
    _terraform(["init", "-input=false", "-no-color"], stack.directory, env)
    _terraform(["plan", "-input=false", "-no-color", f"-out={saved}"], stack.directory, env)
    shown = _terraform(["show", "-json", str(saved)], stack.directory, env)
    saved.unlink()  # a binary plan goes stale with the next deploy: the JSON is what is reviewed
    plan = json.loads(shown)
    try:
        check_plan(plan, f"terraform show -json {saved.name}")
    except PlanFileError as error:
        raise PlanError(str(error)) from None
    (staging / PLAN_JSON).write_text(shown)
    # The why column from the manifest of the stack planned, in the output it was synthesized into.
    return write_review(plan, staging, outdir, stack.name, dot)


def _terraform(args: list[str], stack_dir: Path, env: Mapping[str, str]) -> str:
    result = subprocess.run([terraform_binary(), *args], cwd=stack_dir, env=dict(env), capture_output=True, text=True)
    if result.returncode != 0:
        raise PlanError(f"terraform {args[0]} failed (exit code {result.returncode}):\n{(result.stderr or result.stdout).strip()}")
    return result.stdout


if __name__ == "__main__":
    sys.exit(main())
