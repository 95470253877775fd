"""The run-book's Terraform state safety: whose state it is, what it holds, never losing it.

Every stack the app synthesized keeps its state in the file its local backend names
(tools/stacks.py). The target (local or aws) that state belongs to is recorded before the
first apply (``.state/deployed-target``); a command for the other target is refused; a destroy
forgets a state only once it records nothing; FORCE_RESET=1 moves local states that can no
longer be destroyed into ``.state/backups/<time>/``, never deleting them.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from tools import emulator
from tools.stacks import StackError, SynthesizedStack, local_states, synthesized_stacks

PROJECT_DIR = Path(__file__).resolve().parent.parent


class DeployError(RuntimeError):
    pass


class Refused(DeployError):
    """Nothing was done, on purpose (the wrong target, the lock held, state that would be lost): exit 2."""


def stacks_of(outdir: Path) -> list[SynthesizedStack]:
    """The stacks synthesized into ``outdir`` (its manifest.json)."""
    try:
        return synthesized_stacks(outdir)
    except StackError as error:
        raise DeployError(str(error)) from None


def state_file(outdir: Path, stack: str | None = None) -> Path:
    """The local backend's state of ``stack`` (by default the one stack synthesized into ``outdir``)."""
    stacks = stacks_of(outdir)
    chosen = [s for s in stacks if stack is None or s.name == stack]
    if len(chosen) != 1:
        names = ", ".join(s.name for s in stacks)
        raise DeployError(f"{outdir} holds the stacks {names}: name one" if stack is None else f"{outdir} holds no stack {stack!r} (it holds {names})")
    if chosen[0].state is None:
        raise DeployError(f"stack {chosen[0].name} keeps its state in a remote backend, not in a local file")
    return chosen[0].state


def lost_emulator_message(outdir: Path, state_dir: Path, held: list[str]) -> str:
    more = ", ..." if len(held) > 3 else ""
    states = ", ".join(shown(path) for path in held_states(outdir))
    return (
        f"no emulator of this project is running, but the state in {states} records {len(held)} resources "
        f"deployed to one ({', '.join(held[:3])}{more}), and there is no recording to restart it from "
        f"({shown(state_dir / emulator.RECORDING_FILE)} is missing or empty; moto keeps resources in memory only, so they "
        "ended with its process). The state is kept. To start afresh, run `make destroy FORCE_RESET=1`: it moves the "
        f"state files into {shown(state_dir / BACKUPS)}/<time>/ (nothing is deleted)"
    )


def force_reset_requested(env: Mapping[str, str]) -> bool:
    raw = env.get("FORCE_RESET", "")
    if raw.strip().lower() in ("", "0", "false", "no"):
        return False
    if raw.strip().lower() in ("1", "true", "yes"):
        return True
    raise Refused(f"FORCE_RESET {raw[:80]!r} is invalid: 1 (move the local state into .state/backups/) or unset")


def force_reset(target: str, outdir: Path, state_dir: Path, env: Mapping[str, str]) -> None:
    """FORCE_RESET=1: the local states, their backups, the target marker and the emulator's
    recording move into .state/backups/<time>/ (never deleted); the emulator, if running, is stopped."""
    states = local_states(stacks_of(outdir))
    if target != "local":
        raise Refused(
            f"FORCE_RESET is refused for target {target}: it only applies to the local emulator. "
            f"The state in {', '.join(shown(s) for s in states)} describes real AWS resources: "
            "destroy them with `make destroy TARGET=aws CONFIRM_DELETE_TABLE=<the table's name>`"
        )
    stopped = emulator.stop(state_dir)
    if stopped:
        print(f"stopped the emulator at {stopped.url} (its resources are not destroyed: the state that described them moves aside)")
    candidates = [path for state in states for path in (state, state.with_name(state.name + ".backup"))]
    candidates += [state_dir / DEPLOYED_TARGET_FILE, state_dir / emulator.RECORDING_FILE]
    present = [path for path in candidates if path.exists()]
    if not present:
        print(f"FORCE_RESET: there is no local state to move aside ({', '.join(shown(s) for s in states)} does not exist)")
        return
    backup = state_dir / BACKUPS / datetime.now().strftime("%Y-%m-%dT%H-%M-%S")
    suffix = 1
    while backup.exists():
        suffix += 1
        backup = backup.with_name(f"{backup.name.split('.')[0]}.{suffix}")
    backup.mkdir(parents=True)
    for path in present:
        shutil.move(str(path), str(backup / path.name))
    print(f"FORCE_RESET: moved {', '.join(p.name for p in present)} into {shown(backup)}/ (nothing was deleted); the next `make deploy` starts from an empty state")


#: In the state folder: the target (local or aws) the state files belong to, written before the
#: first apply, so that an interrupted deploy leaves a state whose target is known.
DEPLOYED_TARGET_FILE = "deployed-target"
#: In the state folder: where FORCE_RESET=1 moves state files (one dated folder each time).
BACKUPS = "backups"
TARGETS = ("local", "aws")


def refuse_other_target(target: str, outdir: Path, state_dir: Path, remedy: str) -> None:
    """Refuse (exit 2) when a state of the stacks in ``outdir`` belongs to the other target;
    ``remedy`` may name ``{owner}``, the state's target."""
    for state in local_states(stacks_of(outdir)):
        owner = deployed_target(state, state_dir)
        if owner and owner != target:
            raise Refused(f"the state in {shown(state)} belongs to target {owner}; this is target {target}: {remedy.format(owner=owner)}")


def deployed_target(state: Path, state_dir: Path = emulator.STATE_DIR) -> str | None:
    """The target the state file ``state`` belongs to; None when there is no state.

    The marker says it; a state without one (written before markers existed, or the marker lost)
    is judged by its resources' ARNs: the emulator's account is moto's, 123456789012.
    """
    if not state.exists():
        return None
    marker = state_dir / DEPLOYED_TARGET_FILE
    if marker.exists():
        recorded = marker.read_text().strip()
        if recorded in TARGETS:
            return recorded
        raise Refused(f"{shown(marker)} holds {recorded[:80]!r}, not a target (local or aws): write the target the state in {shown(state)} belongs to into it")
    accounts = {arn.split(":")[4] for arn in _state_arns(state) if arn.count(":") >= 5 and arn.split(":")[4]}
    if not accounts:
        return None
    return "local" if accounts == {emulator.ACCOUNT} else "aws"


def record_target(target: str, state_dir: Path) -> None:
    state_dir.mkdir(parents=True, exist_ok=True)
    (state_dir / DEPLOYED_TARGET_FILE).write_text(target + "\n")


def managed_resources(outdir: Path) -> list[str]:
    """The addresses of the resources (not data sources) the local states record; [] when none.
    With several stacks, each address is prefixed with its stack's name."""
    stacks = [stack for stack in stacks_of(outdir) if stack.state is not None]
    return [
        f"{stack.name}: {address}" if len(stacks) > 1 else address
        for stack in stacks
        for address in _managed_addresses(read_state(stack.state))  # type: ignore[arg-type]
    ]


def held_states(outdir: Path) -> list[Path]:
    """The local state files that record resources."""
    return [state for state in local_states(stacks_of(outdir)) if _managed_addresses(read_state(state))]


def _managed_addresses(state: Mapping[str, Any]) -> list[str]:
    return [
        f"{entry.get('module') + '.' if entry.get('module') else ''}{entry.get('type')}.{entry.get('name')}"
        for entry in state.get("resources", [])
        if isinstance(entry, dict) and entry.get("mode") == "managed" and entry.get("instances")
    ]


def read_state(path: Path) -> dict[str, Any]:
    try:
        loaded = json.loads(path.read_text())
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as error:
        raise Refused(f"{shown(path)} is not a readable Terraform state ({error}): it is kept as it is; repair or move it yourself") from None
    return loaded if isinstance(loaded, dict) else {}


def instances(state: Mapping[str, Any], resource_type: str) -> list[dict[str, Any]]:
    """The attributes of every instance of the managed resources of ``resource_type`` in ``state``."""
    return [
        instance.get("attributes") or {}
        for entry in state.get("resources", [])
        if isinstance(entry, dict) and entry.get("mode") == "managed" and entry.get("type") == resource_type
        for instance in entry.get("instances") or []
        if isinstance(instance, dict)
    ]


def _state_arns(path: Path) -> list[str]:
    arns = []
    for entry in read_state(path).get("resources", []):
        if isinstance(entry, dict) and entry.get("mode") == "managed":
            for instance in entry.get("instances") or []:
                arn = (instance.get("attributes") or {}).get("arn") if isinstance(instance, dict) else None
                if isinstance(arn, str) and arn.startswith("arn:"):
                    arns.append(arn)
    return arns


def forget_deployment(target: str, outdir: Path, state_dir: Path) -> None:
    """After a destroy: the states (and their backups, and the marker if it names ``target``) go,
    only when no state records anything."""
    held = held_states(outdir)
    if held:
        raise Refused(f"{', '.join(shown(s) for s in held)} still records resources: it is kept")
    marker = state_dir / DEPLOYED_TARGET_FILE
    if marker.exists() and marker.read_text().strip() in (target, ""):
        marker.unlink()
    for state in local_states(stacks_of(outdir)):
        for path in (state, state.with_name(state.name + ".backup")):
            path.unlink(missing_ok=True)


def shown(path: Path) -> str:
    """``path`` relative to the project (as the user types it), else absolute."""
    try:
        return str(path.resolve().relative_to(PROJECT_DIR))
    except ValueError:
        return str(path.resolve())
