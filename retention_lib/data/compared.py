"""The rules that compare rows, over a whole file in the engine (DuckDB or Spark, through Ibis), for
retention_lib.data.validated: exact duplicates, keys used twice, baskets with two customers or stores,
baskets over the configured cap. They read the columns they compare (a keys file with ROW, the row's
number in the client's file), and each rule's rejects name those rows.
"""
from __future__ import annotations

from pathlib import Path

import ibis
import pandas as pd

from retention_lib.core.schema import TABLES
from retention_lib.data import aggregate, engine
from retention_lib.data.distinct import LINE, MONTH
from retention_lib.data.validation import ROW, SUMMARY

RULES = ("duplicate_line", "duplicate_row", "duplicate_line_id", "basket_conflict", "basket_over_cap", "duplicate_key")


def _rejected(con, rows, source, column: str | None, rule: str, reason: str) -> pd.DataFrame:
    picked = rows.select(ROW, *( [column] if column else [])).order_by(ROW)
    found = con.to_pyarrow(picked).to_pandas()
    return pd.DataFrame({"table": source.table, "file": source.origin, "row": found[ROW].astype("int64"),
                         "column": column or "", "rule": rule, "reason": reason,
                         "value": found[column].astype("string") if column else pd.NA, SUMMARY: reason})


def _materialized(con, expr, folder: Path):
    """`expr` written once by the engine and scanned again, so later steps do not recompute it."""
    engine.write_parquet(con, expr, folder)
    return engine.scan_folder(con, folder)


def _duplicates(con, rows, columns: list[str], folder: Path):
    """Rows identical (on `columns`) to a row earlier in the file. Only rows whose hash another row
    shares are compared column by column: a transaction line's LINE when RepeatedLines found it twice,
    else a GROUP BY on one 64-bit hash, not on every column."""
    if LINE in columns:
        candidates = rows.semi_join(engine.scan(con, [folder.parent / "repeated.parquet"]), LINE)
    else:
        hashed = rows.mutate(_h=ibis.struct({c: rows[c] for c in columns}).hash())
        shared = hashed.group_by("_h").aggregate(_n=hashed.count())
        candidates = hashed.semi_join(shared.filter(shared._n > 1).select("_h"), "_h").drop("_h")
    candidates = _materialized(con, candidates, folder)
    first = candidates.group_by(columns).aggregate(**{ROW: candidates[ROW].min()}).select(ROW)
    return candidates.anti_join(first, ROW)


def _duplicate_reason(name: str, file_columns: list[str], mapped: dict[str, str]) -> str:
    """What a duplicate is in this file, naming the columns compared; for a file whose rows cannot tell two
    identical items of one basket from a repeated row, which column would keep them."""
    if name != "transactions":
        return "exact duplicate of an earlier row"
    reason = f"repeats an earlier line in every column of the file ({', '.join(file_columns)})"
    if set(file_columns) <= set(mapped.values()) and "line_id" not in mapped and "product_id" not in mapped:
        reason += ("; the file has no line-level column, so the same item bought twice in one basket looks "
                   "the same: if these are real purchases, export the line number (行号) or the product and "
                   "map it as line_id or product_id")
    return reason


def across_rows(con, rows, name: str, source, folder: Path, file_columns: list[str], canonical: list[str],
                 cap: float | None = None) -> list[pd.DataFrame]:
    """The rules that compare rows, in validation's order, on the columns they read (`rows`, with ROW):
    the rejects of each rule. The first of identical rows, or of rows sharing a key, is the one earliest
    in the file. Transaction lines are identical only when every column of the client's row is (LINE),
    so a double scan told apart by its 行号 and a sale paid in two rows are kept; a mapped line_id
    repeated in a basket is not. A basket whose lines add up to more than `cap`
    (settings.max_basket_amount) is set aside whole."""
    table = TABLES[name]
    columns = [c for c in rows.columns if c not in (ROW, MONTH)]
    found = []
    if name != "transactions" and not table.key:
        return found
    rule = "duplicate_line" if name == "transactions" else "duplicate_row"
    mapped = {c: source.client_column(c) for c in canonical if source.client_column(c) in file_columns}
    dups = _materialized(con, _duplicates(con, rows, columns, folder / "candidates").select(ROW), folder / "dups")
    found.append(_rejected(con, rows.semi_join(dups, ROW), source, None, rule,
                           _duplicate_reason(name, file_columns, mapped)))
    rows = rows.anti_join(dups, ROW)
    if name == "transactions":
        if "line_id" in rows.columns:
            # A line paid two ways is two rows with one line number: the payment method is part of its key.
            key = [c for c in ("basket_id", "line_id", "payment_method") if c in rows.columns]
            numbered = rows.filter(rows.line_id.notnull())
            firsts = numbered.group_by(key).aggregate(**{ROW: numbered[ROW].min()}).select(ROW)
            again = _materialized(con, numbered.anti_join(firsts, ROW).select(ROW), folder / "line_ids")
            found.append(_rejected(con, rows.semi_join(again, ROW), source, "line_id", "duplicate_line_id",
                                   f"{'+'.join(key)} already used by an earlier line with different values"))
            rows = rows.anti_join(again, ROW)
        # A basket belongs to one customer (or none) and one store: one pass over the baskets finds both
        # conflicts; a basket already set aside for its customers is not judged again on its stores.
        def mixed(col):   # two values or more, a null counting as one: no distinct count needed
            values = rows[col]
            return (values.min() != values.max()).fill_null(False) | (
                (values.count() > 0) & (values.count() < rows.count()))

        kinds = rows.group_by("basket_id").aggregate(_c=mixed("customer_id"), _s=mixed("store_id"))
        bad = _materialized(con, kinds.filter(kinds._c | kinds._s), folder / "conflicts")
        for col, which in (("customer_id", bad._c), ("store_id", ~bad._c & bad._s)):
            found.append(_rejected(con, rows.semi_join(bad.filter(which).select("basket_id"), "basket_id"), source,
                                   col, "basket_conflict", f"basket has lines with different {col} values"))
        rows = rows.anti_join(bad.select("basket_id"), "basket_id")
        if cap is not None:
            totals = rows.group_by("basket_id").aggregate(_t=aggregate.money(rows.amount).sum())
            over = _materialized(con, totals.filter(totals._t > cap).select("basket_id"), folder / "over_cap")
            found.append(_rejected(con, rows.semi_join(over, "basket_id"), source, "basket_id", "basket_over_cap",
                                   f"the basket's lines add up to more than settings.max_basket_amount ({cap:,.2f})"))
    else:
        key = list(table.key)
        firsts = rows.group_by(key).aggregate(**{ROW: rows[ROW].min()}).select(ROW)
        found.append(_rejected(con, rows.anti_join(firsts, ROW), source, key[-1], "duplicate_key",
                               f"{'+'.join(key)} already used by an earlier row with different values"))
    return found
