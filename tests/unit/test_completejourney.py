"""The Complete Journey adapter: counts as published, and it passes our own validation."""

import pandas as pd
import pytest

from retention_lib.core.config import load_config
from retention_lib.data.loading import load_source
from retention_lib.data.sources.completejourney import canonical_tables


@pytest.fixture(scope="module")
def tables():
    return canonical_tables()


@pytest.mark.slow
def test_row_and_household_counts(tables):
    tx = tables["transactions"]
    assert len(tx) == 1_469_307
    assert tx["customer_id"].nunique() == 2_469
    assert len(tables["customers"]) == 2_469
    assert tx["timestamp"].min().year == 2017


@pytest.mark.slow
def test_every_line_is_a_member_line_with_a_category(tables):
    tx = tables["transactions"]
    assert tx["customer_id"].notna().all()
    assert tx["category"].notna().all()
    assert (tx["category"] == "fresh produce").mean() > 0.05


@pytest.mark.slow
def test_campaigns_have_no_control_group_and_redemptions_are_mapped(tables):
    camp = tables["campaigns"]
    assert set(camp["group"]) == {"treatment"}
    assert camp["redeemed_at"].notna().sum() > 0
    assert (camp["redeemed_at"].dropna() >= camp.loc[camp["redeemed_at"].notna(), "sent_at"] - pd.Timedelta(days=60)).all()


@pytest.mark.slow
def test_demographics_cover_the_801_households_that_have_them(tables):
    assert tables["customers"]["age_band"].notna().sum() == 801


@pytest.mark.slow
def test_config_loads_through_validation_without_rejects(tmp_path):
    loaded = load_source(load_config("data/completejourney.yml"))
    assert len(loaded.rejects) == 0
    assert loaded.reports["transactions"].rows_kept == 1_469_307
    assert set(loaded.tables) == {"transactions", "customers", "campaigns"}
