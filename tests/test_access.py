"""Access levels and explicit action lists (pure Python, no synthesis)."""

from __future__ import annotations

import pytest

from lambda_dynamodb import Access, ConfigurationError
from lambda_dynamodb.iam.access import (
    FIXED_LEVELS,
    READ_ACTIONS,
    READ_WRITE_ACTIONS,
    REFERENCE_ACTIONS,
    WRITE_ACTIONS,
    resolve_actions,
)
from lambda_dynamodb.iam.dynamodb_actions import DYNAMODB_ACTIONS


def test_read_level_matches_cdk_grant_read_data() -> None:
    assert set(READ_ACTIONS) == {
        "dynamodb:BatchGetItem",
        "dynamodb:GetItem",
        "dynamodb:Query",
        "dynamodb:Scan",
        "dynamodb:ConditionCheckItem",
        "dynamodb:DescribeTable",
    }


def test_write_level_matches_cdk_grant_write_data() -> None:
    assert set(WRITE_ACTIONS) == {
        "dynamodb:BatchWriteItem",
        "dynamodb:PutItem",
        "dynamodb:UpdateItem",
        "dynamodb:DeleteItem",
        "dynamodb:DescribeTable",
    }


def test_read_write_level_is_the_union_without_duplicates() -> None:
    assert set(READ_WRITE_ACTIONS) == set(READ_ACTIONS) | set(WRITE_ACTIONS)
    assert len(READ_WRITE_ACTIONS) == len(set(READ_WRITE_ACTIONS))


@pytest.mark.parametrize("level", FIXED_LEVELS)
def test_each_level_resolves_to_its_constant(level: Access) -> None:
    assert resolve_actions(level) == {"read": READ_ACTIONS, "write": WRITE_ACTIONS, "read_write": READ_WRITE_ACTIONS}[level.value]


def test_level_names_resolve_like_members() -> None:
    assert resolve_actions("read") == READ_ACTIONS


def test_unknown_level_name_is_refused() -> None:
    with pytest.raises(ConfigurationError, match="access 'admin' is invalid: one of read, write, read_write"):
        resolve_actions("admin")


def test_every_level_action_is_in_the_catalog() -> None:
    assert set(READ_WRITE_ACTIONS) <= DYNAMODB_ACTIONS
    assert set(REFERENCE_ACTIONS) <= DYNAMODB_ACTIONS


def test_explicit_list_keeps_order_and_drops_duplicates() -> None:
    assert resolve_actions(["dynamodb:Query", "dynamodb:GetItem", "dynamodb:Query"]) == ("dynamodb:Query", "dynamodb:GetItem")


def test_typo_is_refused_with_a_suggestion() -> None:
    with pytest.raises(ConfigurationError) as caught:
        resolve_actions(["dynamodb:PutItems"])
    assert caught.value.problems == (
        "access[0] 'dynamodb:PutItems' is invalid: a DynamoDB action from the IAM catalog, written dynamodb:Name "
        "(did you mean 'dynamodb:PutItem'?)",
    )


def test_every_bad_action_is_reported_at_once() -> None:
    with pytest.raises(ConfigurationError) as caught:
        resolve_actions(["dynamodb:GetItems", "dynamodb:GetItem", "s3:GetObject"])
    assert [p.split(" ")[0] for p in caught.value.problems] == ["access[0]", "access[2]"]


@pytest.mark.parametrize("wildcard", ["*", "dynamodb:*"])
def test_wildcards_are_refused_by_default(wildcard: str) -> None:
    with pytest.raises(ConfigurationError, match="wildcards grant every current and future action"):
        resolve_actions([wildcard])


@pytest.mark.parametrize("wildcard", ["*", "dynamodb:*"])
def test_wildcards_pass_when_explicitly_allowed(wildcard: str) -> None:
    assert resolve_actions([wildcard], allow_wildcards=True) == (wildcard,)


def test_empty_list_is_refused() -> None:
    with pytest.raises(ConfigurationError, match="at least one DynamoDB action"):
        resolve_actions([])


@pytest.mark.scan
def test_catalog_agrees_with_parliament_database() -> None:
    # parliament ships its own copy of the IAM action database: both lists must name the same actions.
    import parliament

    service = next(s for s in parliament.iam_definition if s["prefix"] == "dynamodb")
    assert DYNAMODB_ACTIONS == {f"dynamodb:{p['privilege']}" for p in service["privileges"]}
