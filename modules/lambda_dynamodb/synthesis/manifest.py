"""Reading the permissions manifests of a synthesized app (``cdktf.out``): nothing is re-run.

    load(stack_dir) -> Manifest                       one stack's folder
    load_all(outdir, stack=None) -> list[Manifest]    every stack of ``outdir`` that has one, or one

Every failure is a :class:`ManifestError` whose message names the folder or file and the reason.
The content (:class:`Manifest` and its entries) is in :mod:`.manifest_model`; the writer, which
runs during ``app.synth()``, in :mod:`.manifest_writer`; the format in docs/manifest.md.
"""

from __future__ import annotations

import json
from pathlib import Path

from lambda_dynamodb.synthesis.manifest_model import (
    FILE_NAME,
    SCHEMA,
    VERSION,
    CallEntry,
    FunctionEntry,
    Generator,
    Manifest,
    ManifestFormatError,
    PackageEntry,
    PackageOrigin,
    PermissionEntry,
    RoleEntry,
    TableEntry,
    TriggerEntry,
    TriggerKind,
    UnresolvedEntry,
    UrlEntry,
    parse,
)

__all__ = [
    "FILE_NAME",
    "SCHEMA",
    "VERSION",
    "CallEntry",
    "FunctionEntry",
    "Generator",
    "Manifest",
    "ManifestError",
    "PackageEntry",
    "PackageOrigin",
    "PermissionEntry",
    "RoleEntry",
    "TableEntry",
    "TriggerEntry",
    "TriggerKind",
    "UnresolvedEntry",
    "UrlEntry",
    "load",
    "load_all",
    "stack_folders",
]

#: What CDKTF writes at the top of its output folder: the stacks and their folders.
CDKTF_MANIFEST = "manifest.json"
NO_MANIFEST = "the stack uses no function of cdktf-lambda-dynamodb, or was synthesized by an older version"


class ManifestError(Exception):
    """A manifest that cannot be read: the message names the folder (or file) and why."""


def load(stack_dir: Path | str) -> Manifest:
    """The manifest of one synthesized stack's folder (``<outdir>/stacks/<stack>``)."""
    folder = Path(stack_dir)
    path = folder / FILE_NAME
    if not folder.is_dir():
        raise ManifestError(f"{folder}: no such folder: run cdktf synth first")
    if not path.is_file():
        raise ManifestError(f"{folder}: no {FILE_NAME}: {NO_MANIFEST}")
    try:
        document = json.loads(path.read_bytes())
    except (ValueError, OSError) as error:
        raise ManifestError(f"{path}: not valid JSON ({error})") from None
    if not isinstance(document, dict):
        raise ManifestError(f"{path}: not a {SCHEMA} manifest (a JSON object is expected)")
    if document.get("schema") != SCHEMA:
        raise ManifestError(f"{path}: schema {document.get('schema')!r} is not {SCHEMA!r}: not a permissions manifest of cdktf-lambda-dynamodb")
    version = document.get("version")
    if version != VERSION:
        raise ManifestError(
            f"{path}: schema version {version!r} is unknown to this reader (it reads version {VERSION}): "
            "use the version of cdktf-lambda-dynamodb the app was synthesized with"
        )
    try:
        return parse(document)
    except ManifestFormatError as error:
        raise ManifestError(f"{path}: {error}") from None


def load_all(outdir: Path | str, stack: str | None = None) -> list[Manifest]:
    """The manifests of ``outdir``'s stacks (by stack name), or of the stack named ``stack``.

    Without ``stack``, stacks without a manifest (no function of the module in them) are left
    out; that none has one is an error, as is a ``stack`` that does not exist or has none.
    """
    folders = stack_folders(outdir)
    if stack is not None:
        if stack not in folders:
            there = ", ".join(sorted(folders)) or "none"
            raise ManifestError(f"{Path(outdir)}: no stack named {stack!r} (the stacks there: {there})")
        return [load(folders[stack])]
    found = [load(folder) for name, folder in sorted(folders.items()) if (folder / FILE_NAME).exists()]
    if not found:
        names = ", ".join(sorted(folders)) or "none"
        raise ManifestError(f"{Path(outdir)}: no stack has a {FILE_NAME} (stacks: {names}): {NO_MANIFEST}")
    return found


def stack_folders(outdir: Path | str) -> dict[str, Path]:
    """Every stack of a synthesized output folder, by name: CDKTF's ``manifest.json`` says which
    (a folder left by a stack since removed is not one), else the folders under ``stacks/``."""
    root = Path(outdir)
    if not root.is_dir():
        raise ManifestError(f"{root}: no such folder: run cdktf synth first")
    listing = root / CDKTF_MANIFEST
    if listing.is_file():
        try:
            stacks = json.loads(listing.read_bytes())["stacks"]
            return {str(name): root / str(entry["workingDirectory"]) for name, entry in stacks.items()}
        except (ValueError, KeyError, TypeError, AttributeError) as error:
            raise ManifestError(f"{listing}: not CDKTF's manifest of the synthesized stacks ({error!r})") from None
    stacks_dir = root / "stacks"
    if not stacks_dir.is_dir():
        raise ManifestError(f"{root}: no synthesized stack (no stacks/ folder): run cdktf synth first")
    return {folder.name: folder for folder in sorted(stacks_dir.iterdir()) if folder.is_dir()}
