"""Themes in free-text survey comments, Chinese and English, as counts only.

Chinese is segmented with jieba (offline; it ships its dictionary), English by a simple
word pattern. Each comment is matched against a small lexicon that maps terms to the
seven survey dimensions (plus location and convenience); a comment may touch several
themes. The most frequent terms are counted by the number of comments that use them.

Privacy: nothing here returns comment text. Term lists leave out numbers (phone, card and
order numbers), e-mail-like tokens, words jieba tags as personal names (unless they are
lexicon terms) and capitalised English words inside a sentence (likely names), and show
only terms used in at least `min_comments` different comments.
"""
from __future__ import annotations

import logging
import re
from collections import Counter
from functools import lru_cache

import pandas as pd

from retention_lib.analytics.satisfaction.scores import NPS_GROUPS, nps_group

MIN_COMMENTS = 5
TOP_TERMS = 15
OTHER_THEME = "location"
NO_THEME = "none"   # comments that match no theme
# Themes are keys: the seven dimensions and OTHER_THEME (report.text labels them).
# Lexicon: a Chinese term matches a jieba token that contains it (so 新鲜 matches 不 / 新鲜 and
# 烂 matches 有烂); an English term matches a whole lower-cased word.
THEMES: dict[str, dict[str, tuple[str, ...]]] = {
    "dim_variety": {"zh": ("种类", "品种", "齐全", "缺货", "断货", "没货", "想买", "选择"),
                    "en": ("choice", "choices", "range", "variety", "stock", "selection", "assortment")},
    "dim_price": {"zh": ("价格", "价钱", "菜价", "贵", "便宜", "实惠", "划算", "优惠", "打折"),
                  "en": ("price", "prices", "pricey", "expensive", "cheap", "cheaper", "value", "money", "cost")},
    "dim_freshness": {"zh": ("新鲜", "烂", "变质", "过期", "发霉", "质量", "蔬菜", "水果", "肉"),
                      "en": ("fresh", "freshness", "mouldy", "moldy", "rotten", "stale", "expired", "quality",
                             "vegetables", "vegetable", "fruit", "produce", "meat")},
    "dim_staff": {"zh": ("店员", "员工", "服务员", "收银员", "态度", "热情"),
                  "en": ("staff", "rude", "friendly", "helpful", "unhelpful", "employee", "employees", "cashier")},
    "dim_environment": {"zh": ("环境", "干净", "整洁", "脏", "挤", "卫生", "乱"),
                        "en": ("clean", "tidy", "messy", "dirty", "crowded", "smell", "untidy")},
    "dim_checkout": {"zh": ("结账", "排队", "收银台", "结算", "买单"),
                     "en": ("checkout", "checkouts", "queue", "queues", "till", "tills", "waiting")},
    "dim_after_sales": {"zh": ("退货", "退换", "退款", "售后", "换货"),
                        "en": ("refund", "refunds", "return", "returns", "exchange", "after-sales")},
    OTHER_THEME: {"zh": ("方便", "离家近", "便利", "附近"),
                  "en": ("convenient", "location", "nearby", "close")},
}
# Words that help jieba split common compounds so the lexicon and term counts see them.
DOMAIN_WORDS = ("种类", "菜价", "价格", "收银台", "退换货", "蔬菜", "水果", "不新鲜", "态度差", "还行")
STOP_ZH = frozenset("的 了 很 太 不 都 也 还 就 是 有 在 我 你 他 她 它 们 我们 这 那 这个 那个 和 与 及 啊 吧 呢 吗 "
                    "得 地 着 过 比 挺 非常 比较 一个 一些 有点 感觉 觉得 还是 但是 可以 就是 真的 又 再 会 要 让 "
                    "被 把 给 对 说 去 来 到 多 少 好 店 超市".split())
STOP_EN = frozenset("a an the and or but if of to in on at for with from by is are was were be been being it its "
                    "this that these those i me my we our you your he she they them their there here very too so "
                    "not no nor do does did have has had just than then more most much many some any all can could "
                    "would should will shall may might also always often ever never overall ok okay really quite "
                    "store shop supermarket got get found took".split())
_EN_WORD = re.compile(r"[A-Za-z][A-Za-z'\-]*")
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_NAME_TAGS = frozenset({"nr", "nrfg", "nrt"})
_EN_LEXICON = frozenset(t for spec in THEMES.values() for t in spec["en"])


def language(text: str) -> str:
    """'zh' when the comment has any Chinese character, else 'en'."""
    return "zh" if _CJK.search(text) else "en"


@lru_cache(maxsize=1)
def _segmenter():
    import jieba
    import jieba.posseg

    jieba.setLogLevel(logging.WARNING)
    tokenizer = jieba.Tokenizer()  # a private instance: the global one stays untouched
    for word in DOMAIN_WORDS:
        tokenizer.add_word(word)
    # POSTokenizer(tokenizer) would parse the dictionary's tags a second time (a third of a second):
    # importing jieba.posseg parsed them from the same dictionary for its global tokenizer.
    segmenter = object.__new__(jieba.posseg.POSTokenizer)
    segmenter.tokenizer, segmenter.word_tag_tab = tokenizer, dict(jieba.posseg.dt.word_tag_tab)
    return segmenter


def _lexicon_zh() -> tuple[str, ...]:
    return tuple(t for spec in THEMES.values() for t in spec["zh"])


def tokens(text: str, lang: str | None = None) -> list[tuple[str, bool]]:
    """Tokens of a comment as (lower-cased token, may_be_personal)."""
    lang = lang or language(text)
    if lang == "zh":
        lexicon = _lexicon_zh()
        out = []
        for pair in _segmenter().cut(text):
            word = pair.word.strip().lower()
            if not word:
                continue
            personal = pair.flag in _NAME_TAGS and not any(t in word for t in lexicon)
            out.append((word, personal))
        return out
    out = []
    for sentence in re.split(r"[.!?;:\n]+", text):
        for i, m in enumerate(_EN_WORD.finditer(sentence)):
            word = m.group(0)
            out.append((word.lower(), i > 0 and word[0].isupper() and word.lower() not in _EN_LEXICON))
    return out


def _countable(word: str, lang: str) -> bool:
    if any(ch.isdigit() for ch in word) or "@" in word:
        return False
    if lang == "zh":
        return bool(_CJK.search(word)) and word not in STOP_ZH
    return len(word) > 1 and word not in STOP_EN


def themes_of(text: str, lang: str | None = None) -> set[str]:
    """The themes a comment touches (keys of THEMES); mixed-language comments use both lexicons."""
    words = [w for w, _ in tokens(text, lang or language(text))]
    zh_words = [w for w in words if _CJK.search(w)]
    found = set()
    for theme, spec in THEMES.items():
        if any(t in w for w in zh_words for t in spec["zh"]) or any(w in spec["en"] for w in words):
            found.add(theme)
    return found


def _comments(surveys: pd.DataFrame) -> pd.DataFrame:
    text = surveys["comment"].astype(object).where(surveys["comment"].notna(), None) if "comment" in surveys \
        else pd.Series(dtype=object)
    keep = text.map(lambda t: isinstance(t, str) and t.strip() != "")
    c = pd.DataFrame({"text": text[keep].str.strip(), "group": nps_group(surveys.loc[keep, "nps"])})
    c["lang"] = c["text"].map(language)
    return c


def theme_counts(surveys: pd.DataFrame) -> pd.DataFrame:
    """Comments per theme: in Chinese, in English, in all, and by the respondent's NPS group.

    One row per theme with at least one comment, most frequent first (themes with as many
    comments in the fixed order of THEMES), then a row for comments that matched no theme.
    Counts only, never text.
    """
    c = _comments(surveys)
    rows = []
    if len(c):
        found = [themes_of(t, lang) for t, lang in zip(c["text"], c["lang"])]
        for theme in THEMES:
            hit = pd.Series([theme in f for f in found], index=c.index)
            if hit.any():
                rows.append(_count_row(theme, c[hit]))
        none = pd.Series([not f for f in found], index=c.index)
        if none.any():
            rows.append(_count_row(NO_THEME, c[none]))
    cols = ["theme", "comments", "zh", "en", *(f"from_{g}s" for g in NPS_GROUPS)]
    out = pd.DataFrame(rows, columns=cols)
    matched = out[out["theme"] != NO_THEME].sort_values("comments", ascending=False, kind="stable")
    return pd.concat([matched, out[out["theme"] == NO_THEME]], ignore_index=True)


def _count_row(theme: str, c: pd.DataFrame) -> dict:
    return {"theme": theme, "comments": len(c), "zh": int((c["lang"] == "zh").sum()),
            "en": int((c["lang"] == "en").sum()),
            **{f"from_{g}s": int((c["group"] == g).sum()) for g in NPS_GROUPS}}


def top_terms(surveys: pd.DataFrame, lang: str, top: int = TOP_TERMS,
              min_comments: int = MIN_COMMENTS) -> pd.DataFrame:
    """The most used terms in comments of one language, by number of comments using them.

    Terms used in as many comments are ordered by the term itself (code-point order), so the
    list does not depend on the order of the comments.
    """
    c = _comments(surveys)
    c = c[c["lang"] == lang]
    counts: Counter = Counter()
    for text in c["text"]:
        counts.update({w for w, personal in tokens(text, lang) if not personal and _countable(w, lang)})
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    rows = [(w, k) for w, k in ranked if k >= min_comments][:top]
    return pd.DataFrame(rows, columns=["term", "comments"])


def month_themes(surveys: pd.DataFrame, top: int = TOP_TERMS, min_comments: int = MIN_COMMENTS) -> dict:
    c = _comments(surveys)
    return {"comments": len(c), "zh": int((c["lang"] == "zh").sum()), "en": int((c["lang"] == "en").sum()),
            "themes": theme_counts(surveys).to_dict("records"),
            "top_terms": {lang: top_terms(surveys, lang, top, min_comments).to_dict("records") for lang in ("zh", "en")},
            "min_comments_per_term": min_comments}
