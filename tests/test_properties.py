"""Every name rule, tried systematically (hypothesis): invalid values are rejected with a
message naming field, value and rule; valid values are accepted and synthesize."""

from __future__ import annotations

import re
import tempfile
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from lambda_dynamodb.config.errors import problem
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lambda_dynamodb import ConfigurationError, LambdaDynamoDb, LambdaDynamoDbSettings, validate
from lambda_dynamodb.config import validation as rules
from conftest import module_settings, synth_stack

BASE = module_settings()


def _table(name: str) -> LambdaDynamoDbSettings:
    return replace(BASE, table=replace(BASE.table, name=name))


def _function(name: str) -> LambdaDynamoDbSettings:
    return replace(BASE, function=replace(BASE.function, name=name))


def _role(name: str) -> LambdaDynamoDbSettings:
    return replace(BASE, role=replace(BASE.role, name=name))


def _policy(name: str) -> LambdaDynamoDbSettings:
    return replace(BASE, role=replace(BASE.role, policy_name=name))


#: rule -> (field, pattern of valid values, the rule's text, settings with that value)
NAME_RULES: dict[str, tuple[str, str, str, Callable[[str], LambdaDynamoDbSettings]]] = {
    "table": ("table.name", r"[A-Za-z0-9_.-]{3,255}", rules.TABLE_NAME_RULE, _table),
    "function": ("function.name", r"[A-Za-z0-9_-]{1,64}", rules.FUNCTION_NAME_RULE, _function),
    "role": ("role.name", r"[A-Za-z0-9_+=,.@-]{1,64}", rules.IAM_NAME_RULE_64, _role),
    "policy": ("role.policy_name", r"[A-Za-z0-9_+=,.@-]{1,128}", rules.IAM_NAME_RULE_128, _policy),
}


def invalid(pattern: str) -> st.SearchStrategy[str]:
    """Strings the pattern refuses: wrong length, or any character outside the allowed set."""
    return st.text(max_size=300).filter(lambda value: re.fullmatch(pattern, value) is None)


@pytest.mark.parametrize("rule", list(NAME_RULES))
@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_invalid_names_are_rejected_with_field_value_and_rule(rule: str, data: st.DataObject) -> None:
    field, pattern, text, build = NAME_RULES[rule]
    value = data.draw(invalid(pattern))
    with pytest.raises(ConfigurationError) as caught:
        validate(build(value))
    assert problem(field, value, text) in caught.value.problems


@pytest.mark.parametrize("rule", list(NAME_RULES))
@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_valid_names_are_accepted(rule: str, data: st.DataObject) -> None:
    _, pattern, _, build = NAME_RULES[rule]
    validate(build(data.draw(st.from_regex(pattern, fullmatch=True))))


@pytest.mark.parametrize("rule", list(NAME_RULES))
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_valid_names_synthesize(rule: str, data: st.DataObject) -> None:
    _, pattern, _, build = NAME_RULES[rule]
    value = data.draw(st.from_regex(pattern, fullmatch=True))
    with tempfile.TemporaryDirectory() as out:
        doc = synth_stack(Path(out), lambda stack: LambdaDynamoDb(stack, "module", build(value)))
    assert value in _names(doc)


def _names(doc: dict[str, Any]) -> set[str]:
    names: set[str] = set()
    for blocks in doc["resource"].values():
        for block in blocks.values():
            names |= {block.get(key) for key in ("name", "function_name") if isinstance(block.get(key), str)}
    return names
