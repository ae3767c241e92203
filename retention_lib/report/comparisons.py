"""The n behind a comparison of two groups, one rule for the report's sections and its findings."""
from __future__ import annotations

from retention_lib.report.text import say


def enough(*group_sizes, min_n: int) -> bool:
    """Whether every group of a comparison has at least min_n members (None counts as none)."""
    return all(n is not None and n >= min_n for n in group_sizes)


def group_sizes(row: dict) -> str:
    """The n behind a lapsed-retained comparison: each group's members compared, and of how many
    when some lack the value (coverage), e.g. "known for 20 of 387 lapsed and 410 of 1,987 retained members"."""
    of_lapsed, of_retained = row.get("of_lapsed"), row.get("of_retained")
    if of_lapsed is None or (row["n_lapsed"] == of_lapsed and row["n_retained"] == of_retained):
        return say("drivers.n", n_lapsed=row["n_lapsed"], n_retained=row["n_retained"])
    return say("drivers.n.coverage", n_lapsed=row["n_lapsed"], of_lapsed=of_lapsed, n_retained=row["n_retained"],
               of_retained=of_retained)
