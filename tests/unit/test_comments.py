"""Comment themes in Chinese (jieba) and English, counts only, with personal data kept out."""
import json

import numpy as np
import pandas as pd

from retention_lib.analytics.satisfaction import comments
from retention_lib.data.sources.demo import simulate_store


def test_chinese_is_segmented_by_jieba_and_matched_to_themes():
    words = [w for w, _ in comments.tokens("排队结账太慢")]
    assert "排队" in words and "结账" in words          # a segmenter, not characters or the whole string
    assert comments.themes_of("排队结账太慢") == {"dim_checkout"}
    assert comments.themes_of("蔬菜不新鲜") == {"dim_freshness"}
    assert comments.themes_of("水果有烂的") == {"dim_freshness"}
    assert comments.themes_of("店员态度差") == {"dim_staff"}
    assert comments.themes_of("价格比网上贵") == {"dim_price"}
    assert comments.themes_of("还行") == set()


def test_english_and_mixed_comments():
    assert comments.themes_of("Checkout queue too long") == {"dim_checkout"}
    assert comments.themes_of("Found mouldy fruit") == {"dim_freshness"}
    assert comments.themes_of("Refund took too long") == {"dim_after_sales"}
    assert comments.themes_of("Staff were rude and prices too high") == {"dim_staff", "dim_price"}
    assert comments.themes_of("checkout 太慢了") == {"dim_checkout"}
    assert comments.language("checkout 太慢了") == "zh" and comments.language("Too expensive") == "en"


def _surveys(texts, nps):
    return pd.DataFrame({"comment": texts, "nps": nps})


def test_theme_counts_by_language_and_nps_group():
    s = _surveys(["蔬菜不新鲜", "肉不新鲜", "Vegetables were not fresh", "价格实惠", "Too expensive", None, "  ", "还行"],
                 [3, 5, 8, 10, 6, 9, 9, 7])
    t = comments.theme_counts(s).set_index("theme")
    assert t.loc["dim_freshness", ["comments", "zh", "en"]].tolist() == [3, 2, 1]
    assert t.loc["dim_freshness", ["from_detractors", "from_passives", "from_promoters"]].tolist() == [2, 1, 0]
    assert t.loc["dim_price", ["comments", "from_promoters", "from_detractors"]].tolist() == [2, 1, 1]
    assert t.loc["none", "comments"] == 1                          # 还行; blank and missing are not comments
    assert list(t.index)[-1] == "none" and list(t.index)[0] == "dim_freshness"
    assert comments.month_themes(s)["comments"] == 6


def test_top_terms_need_several_comments_and_leave_out_numbers_and_names():
    texts = (["蔬菜不新鲜"] * 5 + ["收银员李娜很热情，电话13812345678"] * 6 + ["排队结账太慢"] * 4
             + ["Staff member Mary was rude, call 07700900123"] * 6 + ["Too expensive"] * 5)
    s = _surveys(texts, [5] * len(texts))
    zh = comments.top_terms(s, "zh", min_comments=5).set_index("term")["comments"]
    assert zh["蔬菜"] == 5 and zh["热情"] == 6
    assert "排队" not in zh                                        # only 4 comments use it
    assert "李娜" not in zh and not any(ch.isdigit() for t in zh.index for ch in t)
    en = comments.top_terms(s, "en", min_comments=5).set_index("term")["comments"]
    assert en["expensive"] == 5 and en["rude"] == 6
    assert "mary" not in en and not any(ch.isdigit() for t in en.index for ch in t)
    dumped = json.dumps(comments.month_themes(s), ensure_ascii=False)
    assert not any(text in dumped for text in set(texts))       # never a comment's text
    assert "13812345678" not in dumped and "李娜" not in dumped and "Mary" not in dumped


def test_simulated_detractors_write_most_about_freshness():
    surveys = simulate_store(seed=3, n_customers=1500, months=12).tables["surveys"]
    t = comments.theme_counts(surveys).set_index("theme")
    dims = t.loc[[k for k in t.index if k.startswith("dim_")]]
    # the simulator makes freshness the worst-rated dimension, so most complaints-in-comments
    assert dims["from_detractors"].idxmax() == "dim_freshness"
    assert t["zh"].sum() > 0 and t["en"].sum() > 0


def test_top_terms_with_as_many_comments_are_ordered_by_term_whatever_the_order_of_comments():
    texts = ["zebra mango", "mango zebra", "apple", "apple", "yak yak", "yak", "yak"]
    expected = [("yak", 3), ("apple", 2), ("mango", 2), ("zebra", 2)]
    for seed in range(4):
        order = np.random.default_rng(seed).permutation(len(texts))
        s = _surveys([texts[i] for i in order], [8] * len(texts))
        got = comments.top_terms(s, "en", min_comments=1)
        assert list(zip(got["term"], got["comments"])) == expected
    zh = ["价格 新鲜", "新鲜 价格", "价格", "新鲜"]
    assert comments.top_terms(_surveys(zh[::-1], [8] * 4), "zh", min_comments=1)["term"].tolist()[:2] == \
        sorted(["价格", "新鲜"])
