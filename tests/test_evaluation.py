"""The project's one IAM matcher: it agrees with moto's evaluator (the one the run-time proof uses),
and its expansion of statements (the review) and sub-resource reach (the diagram) read IAM's rules."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lambda_dynamodb.iam.evaluation import Grant, acts_on_service, allows, grants, reaches, resource_matches
from lambda_dynamodb.iam.policy import Effect

TABLE = "arn:aws:dynamodb:eu-west-1:123456789012:table/SampleTable"

ACTIONS = ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query", "xray:PutTraceSegments", "logs:PutLogEvents"]
RESOURCES = [TABLE, f"{TABLE}/index/by-date", "arn:aws:dynamodb:eu-west-1:123456789012:table/Other", "*"]
# moto matches actions case-sensitively and reads "?" as a regular expression: AWS does neither
# (IAM: actions are case-insensitive, "?" is one character). The generated documents keep to
# what both agree on; the AWS-only rules have their own tests below.
ACTION_PATTERNS = [*ACTIONS, "dynamodb:*", "dynamodb:Get*", "*", "xray:Put*"]
RESOURCE_PATTERNS = [*RESOURCES[:3], f"{TABLE}/index/*", "arn:aws:dynamodb:*:*:table/Sample*", "*", f"{TABLE}*"]

statement = st.fixed_dictionaries(
    {
        "Effect": st.sampled_from(["Allow", "Deny"]),
        "Action": st.lists(st.sampled_from(ACTION_PATTERNS), min_size=1, max_size=3),
        "Resource": st.lists(st.sampled_from(RESOURCE_PATTERNS), min_size=1, max_size=3),
    }
)
documents = st.lists(statement, min_size=1, max_size=4).map(lambda statements: {"Version": "2012-10-17", "Statement": statements})


def moto_allows(document: dict[str, Any], action: str, resource: str) -> bool:
    from moto.iam.access_control import IAMPolicy, PermissionResult

    return IAMPolicy(json.dumps(document)).is_action_permitted(action, resource) == PermissionResult.PERMITTED


@settings(max_examples=300, deadline=None)
@given(documents, st.sampled_from(ACTIONS), st.sampled_from(RESOURCES))
def test_agrees_with_moto_on_generated_documents(document: dict[str, Any], action: str, resource: str) -> None:
    assert allows(document, action, resource) == moto_allows(document, action, resource)


def allow(action: object, resource: object, **extra: object) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": action, "Resource": resource, **extra}]}


def test_an_allow_on_the_table_covers_the_table_only() -> None:
    document = allow(["dynamodb:GetItem"], TABLE)
    assert allows(document, "dynamodb:GetItem", TABLE)
    assert not allows(document, "dynamodb:GetItem", f"{TABLE}/index/by-date")


def test_a_deny_wins_over_an_allow() -> None:
    document = allow("dynamodb:*", "*")
    document["Statement"].append({"Effect": "Deny", "Action": "dynamodb:PutItem", "Resource": TABLE})
    assert not allows(document, "dynamodb:PutItem", TABLE)


def test_question_mark_in_an_action_is_one_character() -> None:
    assert allows(allow("dynamodb:?etItem", TABLE), "dynamodb:GetItem", TABLE)


def test_actions_match_case_insensitively_resources_do_not() -> None:
    assert allows(allow("DYNAMODB:getitem", TABLE), "dynamodb:GetItem", TABLE)
    assert not allows(allow("dynamodb:GetItem", TABLE.lower()), "dynamodb:GetItem", TABLE)


def test_not_action_allows_what_it_does_not_name() -> None:
    document = {"Statement": {"Effect": "Allow", "NotAction": "dynamodb:DeleteItem", "Resource": TABLE}}
    assert allows(document, "dynamodb:GetItem", TABLE) and not allows(document, "dynamodb:DeleteItem", TABLE)


def test_a_conditional_allow_is_not_counted() -> None:
    document = allow("dynamodb:GetItem", TABLE, Condition={"Bool": {"aws:SecureTransport": "true"}})
    assert not allows(document, "dynamodb:GetItem", TABLE)


@pytest.mark.parametrize(("pattern", "resource", "expected"), [("table/T?", "table/T1", True), ("table/T?", "table/T10", False)])
def test_question_mark_is_one_character(pattern: str, resource: str, expected: bool) -> None:
    assert allows(allow("dynamodb:GetItem", pattern), "dynamodb:GetItem", resource) is expected


def test_brackets_are_plain_characters_not_a_character_class() -> None:
    # fnmatch reads "[ab]" as "a or b"; IAM has only * and ?.
    pattern = "arn:aws:dynamodb:*:*:table/[ab]*"
    assert not resource_matches(pattern, "arn:aws:dynamodb:eu-west-1:123456789012:table/a-orders")
    assert resource_matches(pattern, "arn:aws:dynamodb:eu-west-1:123456789012:table/[ab]-orders")
    assert not allows(allow("dynamodb:GetItem", pattern), "dynamodb:GetItem", "arn:aws:dynamodb:eu-west-1:123456789012:table/b")


def test_grants_expand_each_statement_into_action_x_resource() -> None:
    document = {"Statement": {"Effect": "Deny", "Action": ["dynamodb:GetItem", "dynamodb:Query"], "Resource": [TABLE, f"{TABLE}/index/*"]}}
    assert grants(document) == {
        Grant(action, resource, Effect.DENY) for action in ("dynamodb:GetItem", "dynamodb:Query") for resource in (TABLE, f"{TABLE}/index/*")
    }


def test_grants_mark_not_action_and_not_resource() -> None:
    document = {"Statement": [{"Effect": "Allow", "NotAction": "iam:*", "NotResource": TABLE}]}
    assert grants(document) == {Grant("iam:*", TABLE, Effect.ALLOW, not_action=True, not_resource=True)}


@pytest.mark.parametrize(
    ("action", "service", "expected"),
    [("dynamodb:Get*", "dynamodb", True), ("DynamoDB:GetItem", "dynamodb", True), ("*", "logs", True), ("dyn*", "dynamodb", True),
     ("logs:CreateLogGroup", "dynamodb", False), ("dynamodb", "dynamodb", False)],
)
def test_acts_on_service(action: str, service: str, expected: bool) -> None:
    assert acts_on_service(Grant(action, "*"), service) is expected


def test_a_not_action_grant_acts_on_no_named_service() -> None:
    assert not acts_on_service(Grant("logs:*", "*", not_action=True), "dynamodb")


@pytest.mark.parametrize(
    ("resource", "expected"),
    [(TABLE, True), (f"{TABLE}/index/by-date", True), (f"{TABLE}/*", True), ("*", True), ("arn:aws:dynamodb:*:*:table/Sample*", True),
     ("arn:aws:dynamodb:eu-west-1:123456789012:table/Other", False), (f"{TABLE}2", False)],
)
def test_reaches_the_resource_or_its_sub_resources(resource: str, expected: bool) -> None:
    assert reaches(Grant("dynamodb:GetItem", resource), TABLE, "/") is expected
