"""`make deploy` / `make destroy`: the stack, deployed with the cdktf CLI, locally by default.

    python tools/deploy.py deploy  [--target local|aws]
    python tools/deploy.py destroy [--target local|aws]

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
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path


from tools import emulator
from lambda_dynamodb import ConfigurationError
from lambda_dynamodb.testing.smoke import SmokeTestFailed, environment, smoke_test
from tools.state_lock import StateLocked, command_name, state_lock
from lambda_dynamodb.testing.terraform_cli import TerraformMissing, terraform_binary, terraform_env

PROJECT_DIR = Path(__file__).resolve().parent.parent
STACK = "lambda-dynamodb"
CDKTF = PROJECT_DIR / "node_modules" / ".bin" / "cdktf"


def state_file(outdir: Path) -> Path:
    """The local backend's state: beside the output folder (see STATE_PATH in main.py)."""
    return outdir.resolve().parent / f"terraform.{STACK}.tfstate"


class DeployError(RuntimeError):
    pass


class Refused(DeployError):
    """Nothing was done, on purpose (the wrong target, the lock held, state that would be lost): exit 2."""


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
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("action", choices=("deploy", "destroy"))
    parser.add_argument("--target", choices=("local", "aws"), default=os.environ.get("TARGET", "local") or "local")
    parser.add_argument("--outdir", default=str(PROJECT_DIR / "cdktf.out"))
    return parser.parse_args(argv)


def deploy(target: str, outdir: Path, env: dict[str, str]) -> None:
    stages = Stages()
    state_dir = state_dir_of(env)
    with stages.stage("check prerequisites (terraform, cdktf CLI, the state's target)"):
        env = _tool_environment(env, outdir)
        refuse_other_target(target, outdir, state_dir, f"destroy it with `make destroy TARGET={{owner}}` before deploying to {target}, or deploy with TARGET={{owner}}")
    with stages.stage(_target_stage_name(target)):
        env, started = _target_environment(target, env, state_dir)
    # Before anything is applied: an interrupted deploy leaves a state whose target is known.
    record_target(target, state_dir)
    try:
        if state_file(outdir).exists():
            with stages.stage("check the update for what AWS would refuse (terraform plan)"):
                _preflight(outdir, env)
        with stages.stage("synthesize and deploy with cdktf (terraform apply)"):
            _cdktf(["deploy", STACK, "--auto-approve", "--skip-provider-lock", "--output", str(outdir)], env)
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
    state_dir = state_dir_of(env)
    confirm = "" if target == "local" else " CONFIRM_DELETE_TABLE=<the table's name>"
    with stages.stage("check prerequisites (terraform, cdktf CLI, the state's target)"):
        env = _tool_environment(env, outdir)
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
            raise Refused(_lost_emulator_message(outdir, state_dir, held))
        # The emulator that held the deployment has ended: start() replays its recording.
    with stages.stage(_target_stage_name(target)):
        env, _ = _target_environment(target, env, state_dir)
    with stages.stage("turn off the table's deletion protection"), environment(env, replace=True):
        _disable_deletion_protection(target, outdir, env)
    with stages.stage("destroy with cdktf (terraform destroy)"):
        _cdktf(["destroy", STACK, "--auto-approve", "--skip-provider-lock", "--output", str(outdir)], env)
    left = managed_resources(outdir)
    if left:
        raise DeployError(f"{_shown(state_file(outdir))} still records {len(left)} resources after the destroy ({', '.join(left[:5])}): it is kept; see Terraform's output above")
    forget_deployment(target, outdir, state_dir)
    if target == "local":
        stopped = emulator.stop(state_dir, forget=True)
        if stopped:
            print(f"stopped the emulator at {stopped.url}")
    print(f"destroyed {STACK} on {target} in {stages.total:.1f} s")


def _lost_emulator_message(outdir: Path, state_dir: Path, held: list[str]) -> str:
    more = ", ..." if len(held) > 3 else ""
    return (
        f"no emulator of this project is running, but the state in {_shown(state_file(outdir))} records {len(held)} resources "
        f"deployed to one ({', '.join(held[:3])}{more}), and there is no recording to restart it from "
        f"({_shown(state_dir / emulator.RECORDING_FILE)} is missing or empty; moto keeps resources in memory only, so they "
        "ended with its process). The state is kept. To start afresh, run `make destroy FORCE_RESET=1`: it moves the "
        f"state files into {_shown(state_dir / BACKUPS)}/<time>/ (nothing is deleted)"
    )


def force_reset_requested(env: Mapping[str, str]) -> bool:
    raw = env.get("FORCE_RESET", "")
    if raw.strip().lower() in ("", "0", "false", "no"):
        return False
    if raw.strip().lower() in ("1", "true", "yes"):
        return True
    raise Refused(f"FORCE_RESET {raw[:80]!r} is invalid: 1 (move the local state into .state/backups/) or unset")


def force_reset(target: str, outdir: Path, state_dir: Path, env: Mapping[str, str]) -> None:
    """FORCE_RESET=1: the local state, its backup, the target marker and the emulator's recording
    move into .state/backups/<time>/ (never deleted); the emulator, if running, is stopped."""
    if target != "local":
        raise Refused(
            f"FORCE_RESET is refused for target {target}: it only applies to the local emulator. "
            f"The state in {_shown(state_file(outdir))} describes real AWS resources: destroy them with `make destroy TARGET=aws CONFIRM_DELETE_TABLE=<the table's name>`"
        )
    stopped = emulator.stop(state_dir)
    if stopped:
        print(f"stopped the emulator at {stopped.url} (its resources are not destroyed: the state that described them moves aside)")
    state = state_file(outdir)
    candidates = [state, state.with_name(state.name + ".backup"), state_dir / DEPLOYED_TARGET_FILE, state_dir / emulator.RECORDING_FILE]
    present = [path for path in candidates if path.exists()]
    if not present:
        print(f"FORCE_RESET: there is no local state to move aside ({_shown(state)} does not exist)")
        return
    backup = state_dir / BACKUPS / datetime.now().strftime("%Y-%m-%dT%H-%M-%S")
    suffix = 1
    while backup.exists():
        suffix += 1
        backup = backup.with_name(f"{backup.name.split('.')[0]}.{suffix}")
    backup.mkdir(parents=True)
    for path in present:
        shutil.move(str(path), str(backup / path.name))
    print(f"FORCE_RESET: moved {', '.join(p.name for p in present)} into {_shown(backup)}/ (nothing was deleted); the next `make deploy` starts from an empty state")


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


def _target_environment(target: str, env: dict[str, str], state_dir: Path) -> tuple[dict[str, str], bool]:
    if target == "aws":
        return aws_environment(env), False
    running, started = start_emulator(env, state_dir)
    region = _app_region()
    return {**env, **running.environment(region)}, started


def start_emulator(env: Mapping[str, str], state_dir: Path = emulator.STATE_DIR) -> tuple[emulator.Emulator, bool]:
    """Start the project's emulator (on EMULATOR_PORT if set), or reuse it; say which."""
    requested = env.get("EMULATOR_PORT")
    running, started = emulator.start(state_dir=state_dir, port=int(requested) if requested else None)
    print(f"    {'started' if started else 'reusing'} moto server at {running.url} (pid {running.pid})", flush=True)
    if running.restored:
        print(f"    restored what the previous emulator held: {running.restored} requests replayed from {_shown(state_dir / emulator.RECORDING_FILE)}", flush=True)
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


#: In the state folder: the target (local or aws) the state file belongs to, written before the
#: first apply, so that an interrupted deploy leaves a state whose target is known.
DEPLOYED_TARGET_FILE = "deployed-target"
#: In the state folder: where FORCE_RESET=1 moves state files (one dated folder each time).
BACKUPS = "backups"
TARGETS = ("local", "aws")


def refuse_other_target(target: str, outdir: Path, state_dir: Path, remedy: str) -> None:
    """Refuse (exit 2) when the state beside ``outdir`` belongs to the other target; ``remedy``
    may name ``{owner}``, the state's target."""
    owner = deployed_target(outdir, state_dir)
    if owner and owner != target:
        raise Refused(
            f"the state in {_shown(state_file(outdir))} belongs to target {owner}; this is target {target}: {remedy.format(owner=owner)}"
        )


def deployed_target(outdir: Path, state_dir: Path = emulator.STATE_DIR) -> str | None:
    """The target the state beside ``outdir`` belongs to; None when there is no state.

    The marker says it; a state without one (written before markers existed, or the marker lost)
    is judged by its resources' ARNs: the emulator's account is moto's, 123456789012.
    """
    state = state_file(outdir)
    if not state.exists():
        return None
    marker = state_dir / DEPLOYED_TARGET_FILE
    if marker.exists():
        recorded = marker.read_text().strip()
        if recorded in TARGETS:
            return recorded
        raise Refused(f"{_shown(marker)} holds {recorded[:80]!r}, not a target (local or aws): write the target the state in {_shown(state)} belongs to into it")
    accounts = {arn.split(":")[4] for arn in _state_arns(state) if arn.count(":") >= 5 and arn.split(":")[4]}
    if not accounts:
        return None
    return "local" if accounts == {emulator.ACCOUNT} else "aws"


def record_target(target: str, state_dir: Path) -> None:
    state_dir.mkdir(parents=True, exist_ok=True)
    (state_dir / DEPLOYED_TARGET_FILE).write_text(target + "\n")


def managed_resources(outdir: Path) -> list[str]:
    """The addresses of the resources (not data sources) the state records; [] when it has none."""
    state = _read_state(state_file(outdir))
    return [
        f"{entry.get('module') + '.' if entry.get('module') else ''}{entry.get('type')}.{entry.get('name')}"
        for entry in state.get("resources", [])
        if isinstance(entry, dict) and entry.get("mode") == "managed" and entry.get("instances")
    ]


def _read_state(path: Path) -> dict:
    try:
        loaded = json.loads(path.read_text())
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as error:
        raise Refused(f"{_shown(path)} is not a readable Terraform state ({error}): it is kept as it is; repair or move it yourself") from None
    return loaded if isinstance(loaded, dict) else {}


def _state_arns(path: Path) -> list[str]:
    arns = []
    for entry in _read_state(path).get("resources", []):
        if isinstance(entry, dict) and entry.get("mode") == "managed":
            for instance in entry.get("instances") or []:
                arn = (instance.get("attributes") or {}).get("arn") if isinstance(instance, dict) else None
                if isinstance(arn, str) and arn.startswith("arn:"):
                    arns.append(arn)
    return arns


def forget_deployment(target: str, outdir: Path, state_dir: Path) -> None:
    """After a destroy: the state (and its backup, and the marker if it names ``target``) go, only
    when the state records nothing."""
    if managed_resources(outdir):
        raise Refused(f"{_shown(state_file(outdir))} still records resources: it is kept")
    state = state_file(outdir)
    marker = state_dir / DEPLOYED_TARGET_FILE
    if marker.exists() and marker.read_text().strip() in (target, ""):
        marker.unlink()
    for path in (state, state.with_name(state.name + ".backup")):
        path.unlink(missing_ok=True)


def _shown(path: Path) -> str:
    """``path`` relative to the project (as the user types it), else absolute."""
    try:
        return str(path.resolve().relative_to(PROJECT_DIR))
    except ValueError:
        return str(path.resolve())


def _preflight(outdir: Path, env: dict[str, str]) -> None:
    """An update the emulator would take but AWS would refuse or leave half done is refused here,
    on either target, so that the local deploy behaves like the real one (see plan_checks)."""
    import main
    from lambda_dynamodb.review.aws_checks import aws_findings

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
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        table = _outputs(outdir, env)["table_name"]
    except (DeployError, KeyError):
        print("    no deployed table in the state: nothing to unprotect")
        return
    if target == "aws" and env.get("CONFIRM_DELETE_TABLE") != table:
        raise DeployError(
            f"destroying on AWS deletes the table {table} and its data: run again with CONFIRM_DELETE_TABLE={table}"
        )
    where = "the emulator" if target == "local" else "AWS"
    try:
        boto3.client("dynamodb").update_table(TableName=table, DeletionProtectionEnabled=False)
    except ClientError as error:
        code = error.response.get("Error", {}).get("Code", "")
        if code != "ResourceNotFoundException":
            raise DeployError(f"turning off the deletion protection of table {table} on {where} failed: {code}: {error.response.get('Error', {}).get('Message', '')}") from None
        print(f"    table {table} is not on {where} any more ({code}): nothing to unprotect; Terraform drops what is gone from the state")
        return
    except BotoCoreError as error:
        raise DeployError(f"turning off the deletion protection of table {table} on {where} failed: {error}") from None
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
