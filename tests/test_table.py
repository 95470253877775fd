"""The synthesized aws_dynamodb_table."""

from __future__ import annotations

from cdktf_cdktf_provider_aws.dynamodb_table import DynamodbTable

from conftest import only, resources

TABLE = DynamodbTable.TF_RESOURCE_TYPE


def test_default_table_is_on_demand(synthesized) -> None:
    assert only(synthesized("default"), TABLE)["billing_mode"] == "PAY_PER_REQUEST"


def test_default_table_has_point_in_time_recovery(synthesized) -> None:
    assert only(synthesized("default"), TABLE)["point_in_time_recovery"] == {"enabled": True}


def test_default_table_is_encrypted(synthesized) -> None:
    assert only(synthesized("default"), TABLE)["server_side_encryption"] == {"enabled": True}


def test_default_table_has_deletion_protection(synthesized) -> None:
    assert only(synthesized("default"), TABLE)["deletion_protection_enabled"] is True


def test_default_table_keys(synthesized) -> None:
    table = only(synthesized("default"), TABLE)
    assert (table["name"], table["hash_key"], table["range_key"]) == ("SampleTable", "pk", "sk")
    assert table["attribute"] == [{"name": "pk", "type": "S"}, {"name": "sk", "type": "S"}]


def test_default_table_has_no_indexes_or_stream_and_ttl_explicitly_off(synthesized) -> None:
    table = only(synthesized("default"), TABLE)
    assert not {"global_secondary_index", "local_secondary_index", "stream_enabled"} & table.keys()
    assert table["ttl"] == {"enabled": False}


def test_indexes_ttl_and_attribute_types(synthesized) -> None:
    table = only(synthesized("read_indexed"), TABLE)
    assert table["global_secondary_index"] == [
        {"name": "by-gpk", "hash_key": "gpk", "range_key": "sk", "projection_type": "ALL"}
    ]
    assert table["local_secondary_index"] == [{"name": "by-lsk", "range_key": "lsk", "projection_type": "ALL"}]
    assert table["ttl"] == {"attribute_name": "expires_at", "enabled": True}
    assert {a["name"]: a["type"] for a in table["attribute"]} == {"pk": "S", "sk": "S", "gpk": "N", "lsk": "B"}


def test_existing_table_creates_no_table(synthesized) -> None:
    assert resources(synthesized("existing_table"), TABLE) == []
