"""The demo store written as a Chinese supermarket's exports (data_language="zh-CN"): only the labels
differ from the English store of the same seed, every label is Chinese, and each maps one-to-one."""
import json
import re

import pandas as pd
import pytest

from retention_lib.analytics.satisfaction.comments import themes_of
from retention_lib.core.config import load_config
from retention_lib.core.schema import CATEGORIES
from retention_lib.data.sources import demo
from retention_lib.data.sources.demo_people import (CAMPAIGN_PREFIXES_ZH, CHANNELS, CHANNELS_ZH, COMMENTS,
                                                    COMMENTS_ZH, COMPLAINT_CATEGORIES, COMPLAINT_CATEGORIES_ZH,
                                                    CUSTOMER_LABELS_ZH, GENERIC_COMMENTS)
from retention_lib.data.sources.demo_purchases import CATEGORIES_ZH

SMALL = {"seed": 5, "n_customers": 400, "months": 8, "n_stores": 3}
_CJK = re.compile(r"[\u4e00-\u9fff]")
_LATIN = re.compile(r"[A-Za-z]")
# column -> the map from its English value to its Chinese one (None: no value may change)
RELABELLED = {
    "transactions": {"store_id": "stores", "category": CATEGORIES_ZH},
    "customers": {"home_store_id": "stores", **CUSTOMER_LABELS_ZH, "name": None},
    "surveys": {"store_id": "stores", "comment": COMMENTS_ZH, "channel": CHANNELS_ZH},
    "complaints": {"store_id": "stores", "category": COMPLAINT_CATEGORIES_ZH},
    "campaigns": {"campaign_id": "campaigns"},
}


def chinese(value) -> bool:
    return isinstance(value, str) and bool(_CJK.search(value)) and not _LATIN.search(value)


@pytest.fixture(scope="module")
def pair():
    return demo.simulate_store(**SMALL), demo.simulate_store(**SMALL, data_language="zh-CN")


def _maps(en_store) -> dict:
    stores = dict(zip(demo.store_ids(SMALL["n_stores"]), demo.store_ids(SMALL["n_stores"], "zh-CN")))
    campaigns = {}
    for cid in en_store.truth.campaigns:
        [prefix] = [p for p in CAMPAIGN_PREFIXES_ZH if cid.startswith(p)]
        campaigns[cid] = CAMPAIGN_PREFIXES_ZH[prefix] + cid.removeprefix(prefix)
    return {"stores": stores, "campaigns": campaigns}


def test_the_default_store_stays_english():
    assert demo.store_ids(3) == ["S01", "S02", "S03"]
    store = demo.simulate_store(seed=1, n_customers=150, months=6, campaigns=False)
    assert set(store.tables["transactions"]["store_id"]) == {"S01", "S02"}
    assert set(store.tables["transactions"]["category"]) <= set(CATEGORIES)
    assert set(store.tables["complaints"]["category"]) <= set(COMPLAINT_CATEGORIES)


def test_same_seed_same_store_only_the_labels_differ(pair):
    en, zh = pair
    maps = _maps(en)
    assert en.tables.keys() == zh.tables.keys() == RELABELLED.keys()
    for name, english in en.tables.items():
        ours = zh.tables[name]
        assert list(ours.columns) == list(english.columns) and list(ours.dtypes) == list(english.dtypes), name
        for column in english.columns:
            spec = RELABELLED[name].get(column, "same")
            if spec is None:
                continue
            expected = english[column] if spec == "same" else english[column].replace(
                maps[spec] if isinstance(spec, str) else spec)
            pd.testing.assert_series_equal(ours[column], expected, obj=f"{name}.{column}")
    # The Chinese names are the ones drawn for every member; only the English-named members differ.
    english_named = en.tables["customers"]["name"].str.contains(_LATIN)
    assert english_named.any() and not zh.tables["customers"]["name"].str.contains(_LATIN).any()
    same = ~english_named
    assert (zh.tables["customers"]["name"][same] == en.tables["customers"]["name"][same]).all()
    # The ground truth is the same truth, its store and campaign labels aside.
    truth_en, truth_zh = en.truth.to_dict(), zh.truth.to_dict()
    assert {maps["campaigns"][k]: v for k, v in truth_en.pop("campaigns").items()} == truth_zh.pop("campaigns")
    for row in truth_en["customers"]:
        row["home_store_id"] = maps["stores"][row["home_store_id"]]
    assert truth_en == truth_zh


def test_every_label_a_reader_sees_is_chinese(pair):
    _, zh = pair
    t = zh.tables
    labelled = {
        "store": set(t["transactions"]["store_id"]) | set(t["customers"]["home_store_id"])
        | set(t["surveys"]["store_id"]) | set(t["complaints"]["store_id"].dropna()),
        "category": set(t["transactions"]["category"]),
        "complaint category": set(t["complaints"]["category"]),
        "channel": set(t["surveys"]["channel"]),
        "comment": set(t["surveys"]["comment"].dropna()),
        "campaign": set(t["campaigns"]["campaign_id"]),
        **{column: set(t["customers"][column].dropna()) for column in CUSTOMER_LABELS_ZH},
        "name": set(t["customers"]["name"]),
    }
    for what, values in labelled.items():
        assert values and all(chinese(v) for v in values), (what, sorted(v for v in values if not chinese(v)))
    assert labelled["store"] == {"和平路店", "幸福里店", "建设路店"}
    assert labelled["category"] == set(CATEGORIES_ZH.values())   # every category is sold
    assert set(zh.truth.customers["home_store_id"]) <= labelled["store"]


def test_every_map_is_one_to_one_and_covers_its_english_values():
    english_comments = [c for neg, pos in COMMENTS.values() for c in (*neg, *pos)] + GENERIC_COMMENTS
    chinese_comments = [c for c in english_comments if chinese(c)]
    cases = [(CATEGORIES_ZH, set(CATEGORIES)), (COMPLAINT_CATEGORIES_ZH, set(COMPLAINT_CATEGORIES)),
             (CHANNELS_ZH, set(CHANNELS)), (COMMENTS_ZH, {c for c in english_comments if not chinese(c)}),
             *((labels, None) for labels in CUSTOMER_LABELS_ZH.values())]
    for mapping, english in cases:
        if english is not None:
            assert set(mapping) == english
        assert len(set(mapping.values())) == len(mapping) and all(map(chinese, mapping.values())), mapping
    # A translated comment is no comment the store already had in Chinese, so none merge.
    assert not set(COMMENTS_ZH.values()) & set(chinese_comments)
    names = demo.store_ids(14, "zh-CN")
    assert len(set(names)) == 14 and all(map(chinese, names)) and names[:2] == ["和平路店", "幸福里店"]
    assert names[12:] == ["13号店", "14号店"]
    # The named stores sort as their English ids do, so ties broken by store id fall the same way.
    assert sorted(names[:12]) == names[:12] and sorted(demo.store_ids(12)) == demo.store_ids(12)


def test_a_translated_comment_touches_the_themes_of_the_english_one():
    for english, ours in COMMENTS_ZH.items():
        assert themes_of(ours) == themes_of(english), (english, ours, themes_of(ours))


def test_an_unknown_data_language_is_refused():
    with pytest.raises(ValueError, match="data_language must be one of en, zh-CN"):
        demo.simulate_store(seed=1, n_customers=50, months=6, data_language="zh")


def test_files_made_with_other_options_are_not_reused(tmp_path):
    options = {"seed": 3, "n_customers": 120, "months": 6, "campaigns": False, "data_language": "zh-CN"}
    demo.write_demo(tmp_path, **options)
    assert demo.made_with(tmp_path, options)
    assert not demo.made_with(tmp_path, {**options, "data_language": "en"})
    assert not demo.made_with(tmp_path / "elsewhere", options)
    truth = json.loads((tmp_path / "truth.json").read_text(encoding="utf-8"))
    del truth["options"]   # files written before truth.json kept its options
    (tmp_path / "truth.json").write_text(json.dumps(truth), encoding="utf-8")
    assert not demo.made_with(tmp_path, options)


def test_the_shipped_demo_is_a_chinese_store_with_a_chinese_report():
    cfg = load_config("data/demo.yml")
    assert cfg.source_options["data_language"] == "zh-CN"
    assert cfg.language == "zh-CN" and chinese(cfg.name)
