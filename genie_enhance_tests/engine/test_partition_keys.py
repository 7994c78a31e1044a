"""Iteration partition keys: readable (space, start time, short id, iteration), unique per campaign, and read back
to their campaign — from the key alone for a standard id, through the tracking store for any other."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from genie_enhance.engine.launch import campaign_of
from genie_enhance.engine.partition_keys import (
    campaign_id_in,
    campaign_prefix,
    next_partition,
    partition_key,
    split_partition,
)
from genie_enhance.errors import GenieEnhanceError
from genie_enhance.tracking import CampaignSpec, TrackingStore
from genie_enhance.tracking.records import new_campaign_id

KEY = re.compile(r"^[a-z0-9-]+$")

CASES = [  # (space, campaign id, iteration, key)
    ("demo", "c20261203T113005-3fa2c1", 1, "demo-20261203-113005-3fa2c1-i0001"),
    ("demo", "c20261203T113005-3fa2c2", 1, "demo-20261203-113005-3fa2c2-i0001"),  # same second, other campaign
    ("demo", "c20261203T113006-3fa2c1", 12, "demo-20261203-113006-3fa2c1-i0012"),
    ("sales-eu", "c20270101T000000-000000", 3, "sales-eu-20270101-000000-000000-i0003"),
    ("shop", "past-1", 1, "shop-past-1-h"),  # not a standard id: slug + hash of the exact id
    ("shop", "Past 1", 1, "shop-past-1-h"),
    ("shop", "PAST_1", 1, "shop-past-1-h"),
    ("shop", "c20261203T113005-3FA2C1", 1, "shop-c20261203t113005-3fa2c1-h"),  # upper-case hex: not standard
]


@pytest.mark.parametrize(("space", "campaign_id", "iteration", "expected"), CASES)
def test_key_is_short_readable_and_valid(space: str, campaign_id: str, iteration: int, expected: str):
    key = partition_key(space, campaign_id, iteration)
    assert KEY.match(key) and key.startswith(expected) and key.endswith(f"-i{iteration:04d}")
    assert split_partition(key) == (campaign_prefix(space, campaign_id), iteration)
    assert next_partition(key) == partition_key(space, campaign_id, iteration + 1)


def test_distinct_campaigns_never_share_a_key():
    prefixes = {campaign_prefix(space, campaign_id) for space, campaign_id, _, _ in CASES}
    assert len(prefixes) == len({(space, campaign_id) for space, campaign_id, _, _ in CASES})
    made = [new_campaign_id() for _ in range(200)]
    assert len({campaign_prefix("demo", c) for c in made}) == len(set(made))
    # a space key with a hyphen cannot pose as another space's campaign
    assert campaign_prefix("a-b", "c") != campaign_prefix("a", "b-c")


@pytest.mark.parametrize(("space", "campaign_id", "iteration", "expected"), CASES)
def test_standard_ids_read_back_from_the_key_alone(space: str, campaign_id: str, iteration: int, expected: str):
    standard = re.fullmatch(r"c\d{8}T\d{6}-[0-9a-f]{6}", campaign_id) is not None
    assert campaign_id_in(partition_key(space, campaign_id, iteration)) == (campaign_id if standard else None)


def test_every_key_looks_up_its_campaign_in_the_store(tmp_path: Path):
    store = TrackingStore(tmp_path / "tracking.duckdb")
    for space, campaign_id, _, _ in CASES:
        store.start_campaign(CampaignSpec(campaign_id=campaign_id, space_key=space, backend="local"))
    for space, campaign_id, iteration, _ in CASES:
        record, found = campaign_of(store, partition_key(space, campaign_id, iteration))
        assert (record.campaign_id, record.space_key, found) == (campaign_id, space, iteration)
    with pytest.raises(GenieEnhanceError, match="no campaign"):
        campaign_of(store, partition_key("demo", "c20991231T235959-ffffff", 1))
    with pytest.raises(GenieEnhanceError, match="not an iteration partition key"):
        campaign_of(store, "demo")
