"""The callback payload's documented shape and limits, and pytfe's independent reading of it.

Sources: terraform-docs-common website/public/schema/run-tasks/ (runtask-result.json,
runtask-outcome.json, runtask-tag.json, runtask-rich-label.json) and
https://developer.hashicorp.com/terraform/cloud-docs/api-docs/run-tasks/run-tasks-integration.
"""

from __future__ import annotations

import json
import re
from typing import Any

JSON_API = "application/vnd.api+json"
FINAL_STATUSES = ("passed", "failed")

# The callback's bounds (runtask-result.json, runtask-outcome.json, runtask-tag.json, runtask-rich-label.json).
STATUSES = ("running", "passed", "failed")
MESSAGE_MAX = 1000
URL_MAX = 500
OUTCOMES_MAX = 10
OUTCOME_ID_MAX = 64
DESCRIPTION_MAX = 1000
BODY_MAX = 10000
TAG_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
TAG_KEYS_MAX = 10
LABEL_MAX = 32
LEVELS = ("none", "info", "warning", "error")


def _text_violations(where: str, value: Any, low: int, high: int, *, one_line: bool = False) -> list[str]:
    if not isinstance(value, str):
        return [f"{where}: {type(value).__name__} {value!r} is not a string"]
    found = []
    if not low <= len(value) <= high:
        found.append(f"{where}: {len(value)} characters, outside {low}..{high}")
    if one_line and ("\n" in value or "\r" in value):
        found.append(f"{where}: {value[:80]!r}... spans several lines; it must be one line")
    return found


def _tag_violations(where: str, tags: Any) -> list[str]:
    if not isinstance(tags, dict):
        return [f"{where}: {tags!r} is not an object"]
    found = []
    if not 1 <= len(tags) <= TAG_KEYS_MAX:
        found.append(f"{where}: {len(tags)} keys, outside 1..{TAG_KEYS_MAX}")
    for key, labels in tags.items():
        if not TAG_KEY.fullmatch(key):
            found.append(f"{where}: key {key!r} does not match {TAG_KEY.pattern}")
        if not isinstance(labels, list) or not labels:
            found.append(f"{where}.{key}: {labels!r} is not a non-empty array")
            continue
        for n, label in enumerate(labels):
            at = f"{where}.{key}[{n}]"
            if not isinstance(label, dict) or "label" not in label:
                found.append(f"{at}: {label!r} has no label")
                continue
            found += _text_violations(f"{at}.label", label["label"], 1, LABEL_MAX)
            if label.get("level", "none") not in LEVELS:
                found.append(f"{at}.level: {label.get('level')!r} is not one of {', '.join(LEVELS)}")
    return found


def _outcome_violations(where: str, outcome: Any) -> list[str]:
    if not isinstance(outcome, dict) or outcome.get("type") != "task-result-outcomes":
        return [f"{where}: not an object of type task-result-outcomes: {str(outcome)[:200]}"]
    attributes = outcome.get("attributes")
    if not isinstance(attributes, dict):
        return [f"{where}.attributes: missing"]
    at = f"{where}.attributes"
    found = _text_violations(f"{at}.outcome-id", attributes.get("outcome-id"), 1, OUTCOME_ID_MAX)
    found += _text_violations(f"{at}.description", attributes.get("description"), 1, DESCRIPTION_MAX, one_line=True)
    if "body" in attributes:
        found += _text_violations(f"{at}.body", attributes["body"], 1, BODY_MAX)
    if "url" in attributes:
        found += _text_violations(f"{at}.url", attributes["url"], 1, URL_MAX)
    if "tags" in attributes:
        found += _tag_violations(f"{at}.tags", attributes["tags"])
    return found


def callback_violations(body: Any) -> list[str]:
    """How ``body`` breaks the documented callback payload (runtask-result.json and its parts)."""
    data = body.get("data") if isinstance(body, dict) else None
    if not isinstance(data, dict):
        return ["data: missing (a JSON:API document has a top-level data object)"]
    found = []
    if data.get("type") != "task-results":
        found.append(f"data.type: {data.get('type')!r}, must be 'task-results'")
    attributes = data.get("attributes")
    if not isinstance(attributes, dict):
        return found + ["data.attributes: missing"]
    if attributes.get("status") not in STATUSES:
        found.append(f"data.attributes.status: {attributes.get('status')!r} is not one of {', '.join(STATUSES)}")
    if "message" in attributes:
        found += _text_violations("data.attributes.message", attributes["message"], 1, MESSAGE_MAX)
    if "url" in attributes:
        found += _text_violations("data.attributes.url", attributes["url"], 1, URL_MAX)
    if "outcomes" in attributes:
        found.append("data.attributes.outcomes: outcomes belong under data.relationships.outcomes.data")
    relationships = data.get("relationships")
    if relationships is not None:
        outcomes = relationships.get("outcomes", {}).get("data") if isinstance(relationships, dict) else None
        if not isinstance(outcomes, list) or not 1 <= len(outcomes) <= OUTCOMES_MAX:
            count = len(outcomes) if isinstance(outcomes, list) else outcomes
            found.append(f"data.relationships.outcomes.data: {count} outcomes, must be an array of 1..{OUTCOMES_MAX}")
        else:
            for n, outcome in enumerate(outcomes):
                found += _outcome_violations(f"data.relationships.outcomes.data[{n}]", outcome)
    return found


def pytfe_violations(body: Any) -> list[str]:
    """The callback read into pytfe's TaskResultCallbackRequestOptions and written back out by it:
    what HashiCorp's SDK would send for the same result must be what arrived."""
    from pydantic import ValidationError
    from pytfe.models import TaskResultCallbackRequestOptions, TaskResultOutcome

    try:
        data = body["data"]
        attributes = data["attributes"]
        outcomes = [TaskResultOutcome.model_validate(o["attributes"]) for o in data.get("relationships", {}).get("outcomes", {}).get("data", [])]
        options = TaskResultCallbackRequestOptions.model_validate({**attributes, "outcomes": outcomes or None})
        again = options.to_payload()
    except (KeyError, TypeError, AttributeError, ValidationError) as error:
        return [f"pytfe: the body is not a task result callback: {str(error)[:300]}"]
    if again != body:
        return [f"pytfe: the SDK writes this result differently: {json.dumps(again)[:300]} != {json.dumps(body)[:300]}"]
    return []
