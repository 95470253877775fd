"""The stacks an app synthesized, as the run-book finds them: from ``<outdir>/manifest.json``.

CDKTF lists every synthesized stack in the output folder's ``manifest.json`` (name, working
directory, ``cdk.tf.json``). The run-book reads the stacks from there, never from a name it
knows: `make deploy` deploys what the app synthesized, and its state checks look at each
stack's own Terraform state (the local backend's file that ``cdk.tf.json`` names).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from lambda_dynamodb.synthesis.manifest import ManifestError, stack_folders

MANIFEST = "manifest.json"
STACK_FILE = "cdk.tf.json"


class StackError(RuntimeError):
    """The output folder holds no synthesized stack the run-book can read; the message says why."""


@dataclass(frozen=True)
class SynthesizedStack:
    name: str
    #: Where Terraform runs for this stack (``<outdir>/stacks/<name>``).
    directory: Path

    @cached_property
    def config(self) -> dict[str, Any]:
        path = self.directory / STACK_FILE
        try:
            loaded = json.loads(path.read_text())
        except FileNotFoundError:
            raise StackError(f"{path} is missing: the manifest lists stack {self.name}, but it was not synthesized there") from None
        except ValueError as error:
            raise StackError(f"{path} is not JSON ({error}): synthesize again") from None
        if not isinstance(loaded, dict):
            raise StackError(f"{path} holds no Terraform configuration (a JSON object): synthesize again")
        return loaded

    @property
    def region(self) -> str:
        """The region of the stack's AWS provider (its first one): the emulator answers as that region."""
        providers = self.config.get("provider", {}).get("aws", [])
        regions = [p["region"] for p in providers if isinstance(p, dict) and isinstance(p.get("region"), str)]
        if not regions:
            raise StackError(f"{self.directory / STACK_FILE} names no AWS provider region")
        return str(regions[0])

    @property
    def state(self) -> Path | None:
        """The local backend's state file of the stack; None when a remote backend keeps the state.

        The path is the backend's, relative to the stack's working directory as Terraform reads
        it; without a backend block Terraform's default, ``terraform.tfstate`` there.
        """
        backend = self.config.get("terraform", {}).get("backend")
        if not backend:
            return (self.directory / "terraform.tfstate").resolve()
        if set(backend) != {"local"}:
            return None
        path = Path((backend["local"] or {}).get("path") or "terraform.tfstate")
        return (path if path.is_absolute() else self.directory / path).resolve()


def synthesized_stacks(outdir: Path) -> list[SynthesizedStack]:
    """Every stack of ``outdir/manifest.json``, in the manifest's order (the package reads it)."""
    if not (outdir / MANIFEST).is_file():
        raise StackError(f"{outdir / MANIFEST} is missing: nothing was synthesized into {outdir} (synthesize the app first: make synth)")
    try:
        folders = stack_folders(outdir)
    except ManifestError as error:
        raise StackError(str(error)) from None
    if not folders:
        raise StackError(f"{outdir / MANIFEST} lists no stack: the app synthesized none")
    return [SynthesizedStack(name, folder) for name, folder in folders.items()]


def local_states(stacks: list[SynthesizedStack]) -> list[Path]:
    """The local state files of ``stacks`` (one per stack that keeps its state locally)."""
    return [stack.state for stack in stacks if stack.state is not None]
