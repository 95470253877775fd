"""`make deploy` / `make destroy`: the stack, deployed with the cdktf CLI, locally by default.

    python tools/deploy.py deploy  [--target local|aws]
    python tools/deploy.py destroy [--target local|aws]

local: a moto server on 127.0.0.1 (started, or reused) is the AWS the provider talks to,
through the environment only (AWS_ENDPOINT_URL, test credentials): the synthesized JSON is the
one real AWS gets. aws: the user's own credentials, no emulator.
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

sys.path[:0] = [str(Path(__file__).resolve().parent), str(Path(__file__).resolve().parent.parent)]

import emulator  # noqa: E402
from lambda_dynamodb import ConfigurationError  # noqa: E402
from smoke import SmokeTestFailed, environment, smoke_test  # noqa: E402
from terraform_cli import TerraformMissing, terraform_binary, terraform_env  # noqa: E402

PROJECT_DIR = Path(__file__).resolve().parent.parent
STACK = "lambda-dynamodb"
CDKTF = PROJECT_DIR / "node_modules" / ".bin" / "cdktf"


def state_file(outdir: Path) -> Path:
    """The local backend's state: beside the output folder (see STATE_PATH in main.py)."""
    return outdir.resolve().parent / f"terraform.{STACK}.tfstate"


class DeployError(RuntimeError):
    pass


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
        if args.action == "deploy":
            deploy(args.target, Path(args.outdir), env)
        else:
            destroy(args.target, Path(args.outdir), env)
    except (DeployError, emulator.EmulatorError, TerraformMissing, SmokeTestFailed, ConfigurationError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


def _arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("action", choices=("deploy", "destroy"))
    parser.add_argument("--target", choices=("local", "aws"), default=os.environ.get("TARGET", "local") or "local")
    parser.add_argument("--outdir", default=str(PROJECT_DIR / "cdktf.out"))
    return parser.parse_args(argv)


def deploy(target: str, outdir: Path, env: dict[str, str]) -> None:
    stages = Stages()
    with stages.stage("check prerequisites (terraform, cdktf CLI)"):
        env = _tool_environment(env, outdir)
        _refuse_mixed_targets(target, outdir)
    with stages.stage(_target_stage_name(target)):
        env, started = _target_environment(target, env)
    try:
        if state_file(outdir).exists():
            with stages.stage("check the update for what AWS would refuse (terraform plan)"):
                _preflight(outdir, env)
        with stages.stage("synthesize and deploy with cdktf (terraform apply)"):
            _cdktf(["deploy", STACK, "--auto-approve", "--skip-provider-lock", "--output", str(outdir)], env)
            _deployed_target_file().write_text(target)
        outputs = _outputs(outdir, env)
        with stages.stage("smoke test the deployed function"), environment(env, replace=True):
            smoke = smoke_test(outputs["function_name"], outdir / "stacks" / STACK)
    except (DeployError, SmokeTestFailed):
        if started:
            print("    (the emulator keeps running for inspection; `make destroy` stops it)", file=sys.stderr)
        raise
    with environment(env, replace=True):
        _print_outputs(outputs)
    where = f"the local emulator at {env['AWS_ENDPOINT_URL']}" if target == "local" else f"AWS ({env.get('AWS_REGION', 'provider region')})"
    resources = [a for a in _terraform(["state", "list"], outdir, env).split() if not a.startswith("data.")]
    print(f"deployed {STACK} to {where}: {len(resources)} resources, {smoke.sentence()}, in {stages.total:.1f} s")


def destroy(target: str, outdir: Path, env: dict[str, str]) -> None:
    stages = Stages()
    with stages.stage("check prerequisites (terraform, cdktf CLI)"):
        env = _tool_environment(env, outdir)
    if target == "local" and emulator.current() is None:
        _forget_deployment(outdir)
        print("no emulator of this project is running: nothing is deployed locally (its state file was removed)")
        return
    with stages.stage(_target_stage_name(target)):
        env, _ = _target_environment(target, env)
    with stages.stage("turn off the table's deletion protection"), environment(env, replace=True):
        _disable_deletion_protection(target, outdir, env)
    with stages.stage("destroy with cdktf (terraform destroy)"):
        _cdktf(["destroy", STACK, "--auto-approve", "--skip-provider-lock", "--output", str(outdir)], env)
    _forget_deployment(outdir)
    if target == "local":
        stopped = emulator.stop()
        if stopped:
            print(f"stopped the emulator at {stopped.url}")
    print(f"destroyed {STACK} on {target} in {stages.total:.1f} s")


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


def _target_environment(target: str, env: dict[str, str]) -> tuple[dict[str, str], bool]:
    if target == "aws":
        return aws_environment(env), False
    running, started = start_emulator(env)
    region = _app_region()
    return {**env, **running.environment(region)}, started


def start_emulator(env: Mapping[str, str], state_dir: Path = emulator.STATE_DIR) -> tuple[emulator.Emulator, bool]:
    """Start the project's emulator (on EMULATOR_PORT if set), or reuse it; say which."""
    requested = env.get("EMULATOR_PORT")
    running, started = emulator.start(state_dir=state_dir, port=int(requested) if requested else None)
    print(f"    {'started' if started else 'reusing'} moto server at {running.url} (pid {running.pid})", flush=True)
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


def _refuse_mixed_targets(target: str, outdir: Path) -> None:
    deployed = deployed_target(outdir)
    if deployed and deployed != target:
        raise DeployError(
            f"{state_file(outdir)} holds a deployment to {deployed}; run `make destroy TARGET={deployed}` before deploying to {target}"
        )


#: Beside the emulator's state: the target (local or aws) the state file holds a deployment to.
DEPLOYED_TARGET_FILE = "deployed-target"


def deployed_target(outdir: Path, state_dir: Path = emulator.STATE_DIR) -> str | None:
    """The target the state beside ``outdir`` holds a deployment to; None when there is none."""
    marker = state_dir / DEPLOYED_TARGET_FILE
    if not (marker.exists() and state_file(outdir).exists()):
        return None
    return marker.read_text().strip() or None


def _deployed_target_file() -> Path:
    emulator.STATE_DIR.mkdir(parents=True, exist_ok=True)
    return emulator.STATE_DIR / DEPLOYED_TARGET_FILE


def _forget_deployment(outdir: Path) -> None:
    _deployed_target_file().unlink(missing_ok=True)
    state = state_file(outdir)
    for path in (state, state.with_name(state.name + ".backup")):
        path.unlink(missing_ok=True)


def _preflight(outdir: Path, env: dict[str, str]) -> None:
    """An update the emulator would take but AWS would refuse or leave half done is refused here,
    on either target, so that the local deploy behaves like the real one (see plan_checks)."""
    import main
    from plan_checks import aws_findings

    with environment({**env, "CDKTF_OUTDIR": str(outdir)}, replace=True):
        if main.main(environ=os.environ) != 0:
            raise DeployError("synthesis failed; the error is above")
    plan_file = outdir / "stacks" / STACK / ".preflight.tfplan"
    try:
        _terraform(["init", "-input=false", "-no-color"], outdir, env)
        _terraform(["plan", "-input=false", "-no-color", f"-out={plan_file}"], outdir, env)
        findings = aws_findings(json.loads(_terraform(["show", "-json", str(plan_file)], outdir, env)))
    finally:
        plan_file.unlink(missing_ok=True)
    if findings:
        raise DeployError("this update would fail or leave things behind on AWS (the emulator would take it):\n" + "\n".join(f"  - {f}" for f in findings))
    print("    nothing in the update that AWS would refuse", flush=True)


def _cdktf(args: list[str], env: dict[str, str]) -> None:
    result = subprocess.run([str(CDKTF), *args], cwd=PROJECT_DIR, env=env)
    if result.returncode != 0:
        raise DeployError(f"cdktf {args[0]} failed (exit code {result.returncode}); Terraform's error is above")


def _terraform(args: list[str], outdir: Path, env: dict[str, str]) -> str:
    result = subprocess.run(
        [terraform_binary(), *args], cwd=outdir / "stacks" / STACK, env=env, capture_output=True, text=True
    )
    if result.returncode != 0:
        raise DeployError(f"terraform {args[0]} failed:\n{result.stderr or result.stdout}")
    return result.stdout


def _outputs(outdir: Path, env: dict[str, str]) -> dict[str, str]:
    raw = json.loads(_terraform(["output", "-json"], outdir, env))
    return {name: entry["value"] for name, entry in raw.items()}


def _disable_deletion_protection(target: str, outdir: Path, env: dict[str, str]) -> None:
    import boto3

    try:
        table = _outputs(outdir, env)["table_name"]
    except (DeployError, KeyError):
        print("    no deployed table in the state: nothing to unprotect")
        return
    if target == "aws" and env.get("CONFIRM_DELETE_TABLE") != table:
        raise DeployError(
            f"destroying on AWS deletes the table {table} and its data: run again with CONFIRM_DELETE_TABLE={table}"
        )
    boto3.client("dynamodb").update_table(TableName=table, DeletionProtectionEnabled=False)
    print(f"    deletion protection of table {table} turned OFF explicitly, so that it can be destroyed")


def _print_outputs(outputs: dict[str, str]) -> None:
    import boto3

    print("outputs:")
    for name in ("table_arn", "role_arn", "policy_arn", "function_arn", "log_group_name"):
        print(f"  {name:<15} {outputs[name]}")
    iam = boto3.client("iam")
    policy = iam.get_policy(PolicyArn=outputs["policy_arn"])["Policy"]
    version = iam.get_policy_version(PolicyArn=policy["Arn"], VersionId=policy["DefaultVersionId"])
    print(f"policy {policy['PolicyName']} as deployed:")
    print(json.dumps(version["PolicyVersion"]["Document"], indent=2))


def _app_region() -> str:
    """The app's region, read the way the app reads it (cdktf.json context, environment)."""
    import main

    return str(main.app_settings(main.load_context()).region)


if __name__ == "__main__":
    sys.exit(main())
