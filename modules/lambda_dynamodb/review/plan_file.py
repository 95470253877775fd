"""Reading a Terraform plan's JSON (`terraform show -json PLANFILE`): the checks, and what the review takes from it.

A plan is a JSON object with ``format_version`` (major version 1: the format Terraform
documents at https://developer.hashicorp.com/terraform/internals/json-format) and a plan's own
parts: ``resource_changes`` (left out by Terraform when the configuration has no resources) or
``planned_values``. `terraform show -json` of a *state* has ``values`` instead: it is refused,
naming the rule, as are a missing file and text that is not JSON.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from lambda_dynamodb.iam.policy import ArnContext

Json = Mapping[str, Any]

#: How to write a plan the review reads, for the error messages.
HOW_TO_WRITE = "write one with `terraform plan -out=tfplan && terraform show -json tfplan > plan.json`"
SUPPORTED_MAJOR = "1"


class PlanFileError(ValueError):
    """A file that cannot be reviewed: the message names the file and the rule it breaks."""


def load_plan(path: Path) -> Json:
    """The plan JSON in ``path``, checked (:class:`PlanFileError` naming the file and the rule)."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise PlanFileError(f"plan file '{path}' does not exist: {HOW_TO_WRITE}") from None
    except IsADirectoryError:
        raise PlanFileError(f"plan file '{path}' is a folder, not a file: {HOW_TO_WRITE}") from None
    except (OSError, UnicodeDecodeError) as error:
        raise PlanFileError(f"plan file '{path}' cannot be read ({error}): {HOW_TO_WRITE}") from None
    try:
        plan = json.loads(text)
    except json.JSONDecodeError as error:
        raise PlanFileError(
            f"plan file '{path}' is not JSON ({error.msg} at line {error.lineno} column {error.colno}): "
            f"a plan file from `terraform plan -out` is binary, review its JSON: {HOW_TO_WRITE}"
        ) from None
    check_plan(plan, str(path))
    return plan


def check_plan(plan: Any, source: str) -> None:
    """Raise :class:`PlanFileError` unless ``plan`` has the shape of `terraform show -json` of a plan."""
    where = f"plan file '{source}'"
    if not isinstance(plan, Mapping):
        raise PlanFileError(f"{where} is not a Terraform plan: its JSON is {_kind(plan)}, not an object; {HOW_TO_WRITE}")
    version = plan.get("format_version")
    if not isinstance(version, str):
        raise PlanFileError(f"{where} is not a Terraform plan: it has no `format_version` (a plan's JSON always has one); {HOW_TO_WRITE}")
    if version.split(".")[0] != SUPPORTED_MAJOR:
        raise PlanFileError(
            f"{where} has `format_version` {version!r}: only version {SUPPORTED_MAJOR}.x of Terraform's plan JSON is understood"
        )
    if "resource_changes" not in plan and "planned_values" not in plan:
        state = " (it has `values`: it is a state's JSON, from `terraform show -json` without a plan file)" if "values" in plan else ""
        raise PlanFileError(f"{where} is not a Terraform plan: it has neither `resource_changes` nor `planned_values`{state}; {HOW_TO_WRITE}")
    changes = plan.get("resource_changes", [])
    if not isinstance(changes, list) or not all(_is_change(entry) for entry in changes):
        raise PlanFileError(
            f"{where} is not a Terraform plan: `resource_changes` must be a list of objects with `address`, `type` and `change.actions`"
        )


def _is_change(entry: Any) -> bool:
    return (
        isinstance(entry, Mapping)
        and isinstance(entry.get("address"), str)
        and isinstance(entry.get("type"), str)
        and isinstance(entry.get("change"), Mapping)
        and isinstance(entry["change"].get("actions"), list)
    )


def _kind(value: Any) -> str:
    return {list: "a list", str: "a string", bool: "a boolean", type(None): "null"}.get(type(value), "a number")


# --- what the review reads -------------------------------------------------------------------------


def module_resources(module: Json) -> Iterator[Json]:
    """The resources of a module of `planned_values`/`prior_state`, its child modules' included."""
    yield from module.get("resources", [])
    for child in module.get("child_modules", []):
        yield from module_resources(child)


def arn_context(plan: Json) -> ArnContext | None:
    """Partition, region and account as the plan read them (the stack builds its ARNs from these data sources), if it did."""
    wanted = {"aws_partition": "partition", "aws_region": "name", "aws_caller_identity": "account_id"}
    found: dict[str, str] = {}
    for resource in module_resources(plan.get("prior_state", {}).get("values", {}).get("root_module", {})):
        attribute = wanted.get(resource.get("type", "")) if resource.get("mode") == "data" else None
        value = (resource.get("values") or {}).get(attribute) if attribute else None
        if isinstance(value, str):
            found[resource["type"]] = value
    if set(found) != set(wanted):
        return None
    return ArnContext(found["aws_partition"], found["aws_region"], found["aws_caller_identity"])


def planned_names(plan: Json) -> dict[str, str]:
    """address -> the ``name`` of every planned (or prior) resource that has one, e.g. roles and policies."""
    names: dict[str, str] = {}
    for entry in plan.get("resource_changes", []):
        change = entry["change"]
        for side in (change.get("before") or {}, change.get("after") or {}):
            if isinstance(side.get("name"), str):
                names[entry["address"]] = side["name"]
    return names


# --- sensitive values ----------------------------------------------------------------------------

#: What the review shows instead of a value the plan marks sensitive.
SENSITIVE = "(sensitive)"


def sensitive(change: Json, side: str, attribute: str) -> bool:
    """Does the plan mark ``attribute`` (or any part of it) of the ``side`` ("before"/"after") sensitive?

    Terraform writes the real values in ``before``/``after`` and marks the sensitive ones in
    ``before_sensitive``/``after_sensitive``: ``true`` for the whole object, else a mirror of the
    attributes with ``true`` where a value (or a nested one) is sensitive.
    """
    return marked(change.get(f"{side}_sensitive"), attribute)


def marked(marks: Any, attribute: str) -> bool:
    """Is ``attribute`` sensitive by ``marks`` (``*_sensitive`` of a change, ``sensitive_values`` of a planned resource)?"""
    if marks is True:
        return True
    return isinstance(marks, Mapping) and _any_true(marks.get(attribute))


def _any_true(marks: Any) -> bool:
    if isinstance(marks, Mapping):
        return any(_any_true(value) for value in marks.values())
    if isinstance(marks, list):
        return any(_any_true(value) for value in marks)
    return marks is True


def shown_value(change: Json, side: str, attribute: str) -> Any:
    """The attribute's value on ``side``, or :data:`SENSITIVE` when the plan marks it so (None: absent)."""
    value = (change.get(side) or {}).get(attribute)
    if value is not None and sensitive(change, side, attribute):
        return SENSITIVE
    return value
