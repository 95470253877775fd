"""`make deploy` / `make destroy`: the app's stacks, deployed with the cdktf CLI, locally by default.

    python -m tools.deploy deploy  [--target local|aws] [--outdir cdktf.out]
    python -m tools.deploy destroy [--target local|aws] [--outdir cdktf.out]

The app (main.py) is synthesized first; the stacks deployed are the ones it synthesized, as
``<outdir>/manifest.json`` lists them (tools/stacks.py), and the cdktf CLI deploys exactly that
output (``--skip-synth``).

local: a moto server on 127.0.0.1 (started, or reused) is the AWS the provider talks to,
through the environment only (AWS_ENDPOINT_URL, test credentials): the synthesized JSON is the
one real AWS gets. aws: the user's own credentials, no emulator.

The state is never deleted by this tool: the target it belongs to is recorded before the first
apply (``.state/deployed-target``) and every command checks it; each holds the project's state
lock (state_lock.py) while it runs; FORCE_RESET=1 moves a local state that can no longer be
destroyed into ``.state/backups/<time>/``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from lambda_dynamodb import ConfigurationError
from lambda_dynamodb.testing.terraform_cli import TerraformMissing, terraform_binary, terraform_env
from tools import emulator
from tools.deployed_state import (
    DeployError,
    Refused,
    force_reset,
    force_reset_requested,
    forget_deployment,
    held_states,
    instances,
    lost_emulator_message,
    managed_resources,
    read_state,
    record_target,
    refuse_other_target,
    shown,
    stacks_of,
    state_file,
)
from tools.smoke import SmokeTestFailed, environment, smoke_test
from tools.stacks import SynthesizedStack
from tools.state_lock import StateLocked, command_name, state_lock

PROJECT_DIR = Path(__file__).resolve().parent.parent
CDKTF = PROJECT_DIR / "node_modules" / ".bin" / "cdktf"
#: What tools/plan.py and the tests take from here (the state's checks live in deployed_state).
__all__ = ["DeployError", "Refused", "Stages", "aws_environment", "main", "refuse_other_target", "start_emulator", "state_dir_of", "state_file"]


class Stages:
    """Prints each stage with its elapsed time, and the total at the end."""

    def __init__(self) -> None:
        self.started = time.monotonic()

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        began = time.monotonic()
        print(f"==> {name}", flush=True)
        yield
        print(f"    done in {time.monotonic() - began:.1f} s", flush=True)

    @property
    def total(self) -> float:
        return time.monotonic() - self.started


def main(argv: Sequence[str] | None = None, environ: dict[str, str] | None = None) -> int:
    args = _arguments(argv)
    env = dict(os.environ if environ is None else environ)
    try:
        with state_lock(state_dir_of(env), command_name(args.action, env), env):
            if args.action == "deploy":
                deploy(args.target, Path(args.outdir), env)
            else:
                destroy(args.target, Path(args.outdir), env)
    except (Refused, StateLocked) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except (DeployError, emulator.EmulatorError, TerraformMissing, SmokeTestFailed, ConfigurationError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


def state_dir_of(env: Mapping[str, str]) -> Path:
    """The project's ``.state/`` (emulator, target marker, lock), or LAMBDA_DYNAMODB_STATE_DIR
    from the environment passed in (read there, not only at import, so a caller can isolate it)."""
    return Path(env["LAMBDA_DYNAMODB_STATE_DIR"]) if env.get("LAMBDA_DYNAMODB_STATE_DIR") else emulator.STATE_DIR


def _arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m tools.deploy", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("action", choices=("deploy", "destroy"))
    parser.add_argument("--target", choices=("local", "aws"), default=os.environ.get("TARGET", "local") or "local")
    parser.add_argument("--outdir", default=str(PROJECT_DIR / "cdktf.out"))
    return parser.parse_args(argv)


def deploy(target: str, outdir: Path, env: dict[str, str]) -> None:
    stages = Stages()
    state_dir = state_dir_of(env)
    with stages.stage("check prerequisites (terraform, cdktf CLI)"):
        env = _tool_environment(env, outdir)
    with stages.stage("synthesize the app"):
        stacks = synthesize(outdir, env)
    with stages.stage("check the state's target"):
        refuse_other_target(target, outdir, state_dir, f"destroy it with `make destroy TARGET={{owner}}` before deploying to {target}, or deploy with TARGET={{owner}}")
    with stages.stage(_target_stage_name(target)):
        env, started = _target_environment(target, env, state_dir, stacks)
    # Before anything is applied: an interrupted deploy leaves a state whose target is known.
    record_target(target, state_dir)
    try:
        updated = [stack for stack in stacks if stack.state is not None and stack.state.exists()]
        if updated:
            with stages.stage("check the update for what AWS would refuse (terraform plan)"):
                for stack in updated:
                    _preflight(stack, env)
        with stages.stage(f"deploy {_names(stacks)} with cdktf (terraform apply)"):
            _cdktf(["deploy", *(s.name for s in stacks), "--auto-approve", "--skip-synth", "--skip-provider-lock", "--output", str(outdir)], env)
        with stages.stage("smoke test the deployed functions"):
            smoked = []
            for stack in stacks:
                with environment(_in_region(env, stack), replace=True):
                    smoked += [smoke_test(function, stack.directory) for function in _deployed_functions(stack, env)]
    except (DeployError, SmokeTestFailed):
        if started:
            print("    (the emulator keeps running for inspection; `make destroy` stops it)", file=sys.stderr)
        raise
    for stack in stacks:
        _print_outputs(stack, env)
    where = f"the local emulator at {env['AWS_ENDPOINT_URL']}" if target == "local" else f"AWS ({', '.join(sorted({s.region for s in stacks}))})"
    resources = sum(len([a for a in _terraform(["state", "list"], stack, env).split() if not a.startswith("data.")]) for stack in stacks)
    smoke = "; ".join(result.sentence() for result in smoked) or "no function to smoke-test"
    print(f"deployed {_names(stacks)} to {where}: {resources} resources, {smoke}, in {stages.total:.1f} s")


def destroy(target: str, outdir: Path, env: dict[str, str]) -> None:
    stages = Stages()
    state_dir = state_dir_of(env)
    confirm = "" if target == "local" else " CONFIRM_DELETE_TABLE=<the table's name>"
    with stages.stage("check prerequisites (terraform, cdktf CLI)"):
        env = _tool_environment(env, outdir)
    with stages.stage("synthesize the app (it names the stacks and their state)"):
        stacks = synthesize(outdir, env)
    with stages.stage("check the state's target"):
        refuse_other_target(target, outdir, state_dir, f"destroy it with `make destroy TARGET={{owner}}{confirm}`")
    if force_reset_requested(env):
        force_reset(target, outdir, state_dir, env)
        return
    if target == "local" and emulator.current(state_dir) is None:
        held = managed_resources(outdir)
        if not held:
            forget_deployment(target, outdir, state_dir)
            print("no emulator of this project is running, and the state records no resources: nothing is deployed locally")
            return
        if not emulator.recorded_requests(state_dir):
            raise Refused(lost_emulator_message(outdir, state_dir, held))
        # The emulator that held the deployment has ended: start() replays its recording.
    with stages.stage(_target_stage_name(target)):
        env, _ = _target_environment(target, env, state_dir, stacks)
    with stages.stage("turn off the tables' deletion protection"):
        for stack in stacks:
            _disable_deletion_protection(target, stack, env)
    with stages.stage(f"destroy {_names(stacks)} with cdktf (terraform destroy)"):
        _cdktf(["destroy", *(s.name for s in stacks), "--auto-approve", "--skip-synth", "--skip-provider-lock", "--output", str(outdir)], env)
    left = managed_resources(outdir)
    if left:
        kept = ", ".join(shown(path) for path in held_states(outdir))
        raise DeployError(f"{kept} still records {len(left)} resources after the destroy ({', '.join(left[:5])}): it is kept; see Terraform's output above")
    forget_deployment(target, outdir, state_dir)
    if target == "local":
        stopped = emulator.stop(state_dir, forget=True)
        if stopped:
            print(f"stopped the emulator at {stopped.url}")
    print(f"destroyed {_names(stacks)} on {target} in {stages.total:.1f} s")


def synthesize(outdir: Path, env: Mapping[str, str]) -> list[SynthesizedStack]:
    """The app (main.py) synthesized into ``outdir`` with ``env``'s settings; the stacks it made."""
    import main

    with environment({**env, "CDKTF_OUTDIR": str(outdir)}, replace=True):
        if main.main(environ=os.environ) != 0:
            raise DeployError("synthesis failed; the error is above")
    stacks = stacks_of(outdir)
    print(f"    the app synthesized {len(stacks)} stack{'s' if len(stacks) != 1 else ''}: {_names(stacks)}", flush=True)
    return stacks


def _names(stacks: Sequence[SynthesizedStack]) -> str:
    return ", ".join(stack.name for stack in stacks)


def _tool_environment(env: dict[str, str], outdir: Path) -> dict[str, str]:
    terraform_binary()
    if not CDKTF.exists():
        raise DeployError(f"the cdktf CLI is not installed at {CDKTF}: run `npm ci` (make deploy does)")
    env = terraform_env(PROJECT_DIR / ".terraform-cli.rc", env)
    env["CDKTF_OUTDIR"] = str(outdir)
    env.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
    env["CI"] = "1"  # cdktf: plain, line-by-line output (no interactive UI)
    return env


def _target_stage_name(target: str) -> str:
    return "start the local AWS emulator (moto server)" if target == "local" else "check AWS credentials"


def _target_environment(target: str, env: dict[str, str], state_dir: Path, stacks: Sequence[SynthesizedStack]) -> tuple[dict[str, str], bool]:
    if target == "aws":
        return aws_environment(env), False
    running, started = start_emulator(env, state_dir)
    # The emulator answers as the region of the first stack's provider; each stack's provider
    # names its own region, so Terraform is right for every stack.
    return {**env, **running.environment(stacks[0].region)}, started


def _in_region(env: Mapping[str, str], stack: SynthesizedStack) -> dict[str, str]:
    """``env`` with boto3 pointed at ``stack``'s region, where its provider deployed it."""
    return {**env, "AWS_REGION": stack.region, "AWS_DEFAULT_REGION": stack.region}


def start_emulator(env: Mapping[str, str], state_dir: Path = emulator.STATE_DIR) -> tuple[emulator.Emulator, bool]:
    """Start the project's emulator (on EMULATOR_PORT if set), or reuse it; say which."""
    requested = env.get("EMULATOR_PORT")
    running, started = emulator.start(state_dir=state_dir, port=int(requested) if requested else None)
    print(f"    {'started' if started else 'reusing'} moto server at {running.url} (pid {running.pid})", flush=True)
    if running.restored:
        print(f"    restored what the previous emulator held: {running.restored} requests replayed from {shown(state_dir / emulator.RECORDING_FILE)}", flush=True)
    return running, started


def aws_environment(env: dict[str, str]) -> dict[str, str]:
    """``env`` for real AWS: no emulator endpoint, and credentials that boto3 can find."""
    import boto3

    env = {k: v for k, v in env.items() if k != "AWS_ENDPOINT_URL"}
    with environment(env, replace=True):
        credentials = boto3.Session().get_credentials()
    if credentials is None:
        raise DeployError(
            "TARGET=aws needs AWS credentials and none were found: set AWS_PROFILE, or "
            "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (see the README)"
        )
    return env


def _stack_state(stack: SynthesizedStack, env: dict[str, str]) -> dict[str, Any]:
    """The stack's Terraform state: its local file, or what the remote backend holds."""
    if stack.state is not None:
        return read_state(stack.state)
    _terraform(["init", "-input=false", "-no-color"], stack, env)
    pulled = json.loads(_terraform(["state", "pull"], stack, env) or "{}")
    return pulled if isinstance(pulled, dict) else {}


def _preflight(stack: SynthesizedStack, env: dict[str, str]) -> None:
    """An update the emulator would take but AWS would refuse or leave half done is refused here,
    on either target, so that the local deploy behaves like the real one (review/aws_checks)."""
    from lambda_dynamodb.review.aws_checks import aws_findings

    plan_file = stack.directory / ".preflight.tfplan"
    try:
        _terraform(["init", "-input=false", "-no-color"], stack, env)
        _terraform(["plan", "-input=false", "-no-color", f"-out={plan_file}"], stack, env)
        findings = aws_findings(json.loads(_terraform(["show", "-json", str(plan_file)], stack, env)))
    finally:
        plan_file.unlink(missing_ok=True)
    if findings:
        raise DeployError(f"this update of {stack.name} would fail or leave things behind on AWS (the emulator would take it):\n" + "\n".join(f"  - {f}" for f in findings))
    print(f"    nothing in the update of {stack.name} that AWS would refuse", flush=True)


def _cdktf(args: list[str], env: dict[str, str]) -> None:
    result = subprocess.run([str(CDKTF), *args], cwd=PROJECT_DIR, env=env)
    if result.returncode != 0:
        raise DeployError(f"cdktf {args[0]} failed (exit code {result.returncode}); Terraform's error is above")


def _terraform(args: list[str], stack: SynthesizedStack, env: dict[str, str]) -> str:
    result = subprocess.run([terraform_binary(), *args], cwd=stack.directory, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        raise DeployError(f"terraform {args[0]} failed for stack {stack.name}:\n{result.stderr or result.stdout}")
    return result.stdout


def _deployed_functions(stack: SynthesizedStack, env: dict[str, str]) -> list[str]:
    """The names of the Lambda functions the stack's state records."""
    return [str(attributes["function_name"]) for attributes in instances(_stack_state(stack, env), "aws_lambda_function") if attributes.get("function_name")]


def _disable_deletion_protection(target: str, stack: SynthesizedStack, env: dict[str, str]) -> None:
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError

    tables = [str(attributes["name"]) for attributes in instances(_stack_state(stack, env), "aws_dynamodb_table") if attributes.get("name")]
    if not tables:
        print(f"    no deployed table in the state of {stack.name}: nothing to unprotect")
        return
    confirmed = {name.strip() for name in env.get("CONFIRM_DELETE_TABLE", "").split(",")}
    if target == "aws" and not confirmed >= set(tables):
        raise DeployError(
            f"destroying {stack.name} on AWS deletes the tables {', '.join(tables)} and their data: run again with CONFIRM_DELETE_TABLE={','.join(tables)}"
        )
    where = "the emulator" if target == "local" else "AWS"
    with environment(_in_region(env, stack), replace=True):
        client = boto3.client("dynamodb")
        for table in tables:
            try:
                client.update_table(TableName=table, DeletionProtectionEnabled=False)
            except ClientError as error:
                code = error.response.get("Error", {}).get("Code", "")
                if code != "ResourceNotFoundException":
                    raise DeployError(f"turning off the deletion protection of table {table} on {where} failed: {code}: {error.response.get('Error', {}).get('Message', '')}") from None
                print(f"    table {table} is not on {where} any more ({code}): nothing to unprotect; Terraform drops what is gone from the state")
                continue
            except BotoCoreError as error:
                raise DeployError(f"turning off the deletion protection of table {table} on {where} failed: {error}") from None
            print(f"    deletion protection of table {table} turned OFF explicitly, so that it can be destroyed")


def _print_outputs(stack: SynthesizedStack, env: dict[str, str]) -> None:
    """The stack's outputs, and each of its customer-managed IAM policies as IAM stores it."""
    import boto3

    outputs = {name: entry["value"] for name, entry in json.loads(_terraform(["output", "-json"], stack, env)).items()}
    print(f"outputs of {stack.name}:")
    for name, value in outputs.items():
        print(f"  {name:<15} {value if isinstance(value, str) else json.dumps(value)}")
    with environment(_in_region(env, stack), replace=True):
        iam = boto3.client("iam")
        for arn in (str(a["arn"]) for a in instances(_stack_state(stack, env), "aws_iam_policy") if a.get("arn")):
            policy = iam.get_policy(PolicyArn=arn)["Policy"]
            version = iam.get_policy_version(PolicyArn=policy["Arn"], VersionId=policy["DefaultVersionId"])
            print(f"policy {policy['PolicyName']} as deployed:")
            print(json.dumps(version["PolicyVersion"]["Document"], indent=2))


if __name__ == "__main__":
    sys.exit(main())
