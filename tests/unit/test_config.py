"""load_config: unknown keys and bad setting values are errors at load time; one settings registry."""
from __future__ import annotations

import ast
import inspect
import json
import re
import textwrap
from pathlib import Path

import pytest

import pandas as pd

from retention_lib.analytics import churn, kpis, satisfaction, value
from retention_lib.app import cli
from retention_lib.analytics.satisfaction import complaints
from retention_lib.data.sources import demo
from retention_lib.core.config import SOURCE_OPTIONS, ConfigError, load_config
from retention_lib.core.run import Run
from retention_lib.core.settings import DEFAULTS, SETTINGS, markdown_table

ROOT = Path(__file__).resolve().parents[2]
BASE = "tables:\n  transactions: {path: t.csv}\n"


def write(tmp_path, text: str, name: str = "x.yml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def problem(tmp_path, text: str) -> str:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load_config(path)
    message = str(info.value)
    assert message.startswith(f"{path}: ")
    return message


# --------------------------------------------------------------------------- the shipped configs
@pytest.mark.parametrize("name", ["data/demo.yml", "data/completejourney.yml"])
def test_shipped_configs_load(name):
    cfg = load_config(name)
    assert "transactions" in cfg.tables
    assert cfg.setting("max_reject_share") == 0.05


# --------------------------------------------------------------------------- unknown keys
def test_unknown_setting_names_the_file_the_key_and_the_nearest(tmp_path):
    path = write(tmp_path, BASE + "settings: {data_ned: 2026-11-03}\n")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert str(info.value) == f"{path}: unknown key 'settings.data_ned'; did you mean 'settings.data_end'?"


@pytest.mark.parametrize("text,expected", [
    (BASE + "setings: {}\n", "unknown key 'setings'; did you mean 'settings'?"),
    ("tables:\n  transactions: {path: t.csv, encodng: gbk}\n",
     "unknown key 'tables.transactions.encodng'; did you mean 'tables.transactions.encoding'?"),
    ("tables:\n  transactions: {path: t.csv, columns: {custmer_id: 会员号}}\n",
     "unknown key 'tables.transactions.columns.custmer_id'; did you mean "
     "'tables.transactions.columns.customer_id'?"),
    ("tables:\n  transactions: {path: t.csv, columns: {会员号: customer_id}}\n",
     "(keys are our column names, values the client's)"),
    (BASE + "  customer: {path: c.csv}\n", "unknown key 'tables.customer'; did you mean 'tables.customers'?"),
    (BASE + "email: {recipient: [a@example.com]}\n",
     "unknown key 'email.recipient'; did you mean 'email.recipients'?"),
    (BASE + "source_options: {seed: 1}\n",
     "unknown key 'source_options.seed' (source 'files' takes no source_options)"),
    (BASE + "source: demo\nsource_options: {n_customer: 300}\n",
     "unknown key 'source_options.n_customer'; did you mean 'source_options.n_customers'?"),
    (BASE + "source: file\n", "'source' is 'file'; allowed: files, demo, completejourney; did you mean 'files'?"),
])
def test_unknown_keys_at_every_level(tmp_path, text, expected):
    assert expected in problem(tmp_path, text)


def test_every_problem_is_reported_at_once(tmp_path):
    message = problem(tmp_path, BASE + "settings: {data_ned: 2026-11-03, model: bg-nbd}\nemal: {}\n")
    lines = message.splitlines()
    assert len(lines) == 3 and all(line.startswith(str(tmp_path)) for line in lines)
    assert any("'emal'" in line for line in lines)


def test_source_options_follow_the_simulator_signature(tmp_path):
    params = [p for p in inspect.signature(demo.simulate_store).parameters]
    assert sorted(params) == sorted(SOURCE_OPTIONS["demo"])   # the config's list is the simulator's
    options = ", ".join(f"{p}: 1" for p in params)
    assert load_config(write(tmp_path, BASE + f"source: demo\nsource_options: {{{options}}}\n")).source_options


def test_email_stores_is_a_mapping_of_address_lists(tmp_path):
    cfg = load_config(write(tmp_path, BASE + "email:\n  stores: {S01: [a@example.com], 7: [b@example.com]}\n"))
    assert cfg.store_recipients == {"S01": ("a@example.com",), "7": ("b@example.com",)}
    assert "'email.stores.S01' must be a list of addresses" in problem(
        tmp_path, BASE + "email:\n  stores: {S01: a@example.com}\n")
    assert "'email.stores' must map each store id" in problem(tmp_path, BASE + "email:\n  stores: [a@example.com]\n")


@pytest.mark.parametrize("spec,expected", [
    ("{path: t.csv, encoding: klingon}", "'tables.transactions.encoding' is 'klingon'"),
    ("{path: t.csv, decimal: ';'}", "'tables.transactions.decimal' is ';'; allowed: '.' or ','"),
    ("{path: t.csv, timestamp_format: dd/mm/yyyy}", "must be a strftime format"),
    ("{columns: {}}", "'tables.transactions' needs a 'path'"),
])
def test_table_values_are_checked(tmp_path, spec, expected):
    assert expected in problem(tmp_path, f"tables:\n  transactions: {spec}\n")


def test_the_cli_exits_2_on_a_config_error(tmp_path, capsys):
    path = write(tmp_path, BASE + "settings: {data_ned: 2026-11-03}\n")
    assert cli.main(["run", "--config", str(path), "--reports-dir", str(tmp_path / "reports")]) == 2
    assert "unknown key 'settings.data_ned'; did you mean 'settings.data_end'?" in capsys.readouterr().err
    assert not (tmp_path / "reports").exists()  # refused before anything ran


# --------------------------------------------------------------------------- setting values
BAD_VALUES = [
    ("model", "bg-nbd", "one of auto, bgnbd, mbgnbd, paretonbd, bgcnbd, mbgcnbd; did you mean 'bgnbd'?"),
    ("compare_models", ["paretonbd", "bg-nbd"], "a list drawn from bgnbd, mbgnbd, paretonbd, bgcnbd, mbgcnbd"),
    ("compare_models", "paretonbd", "a list drawn from bgnbd, mbgnbd, paretonbd, bgcnbd, mbgcnbd"),
    ("model_margin", 1, "a number with 0 ≤ value < 1 (share of BG/NBD's MAE)"),
    ("at_risk_threshold", 1.5, "a number from 0 to 1"),
    ("holdout_months", 0, "a whole number ≥ 1 (months)"),
    ("holiday_calendar", "china", "one of none, cn, us"),
    ("min_group_n", 1, "a whole number ≥ 2 (members)"),
    ("store_table_top", 0, "a whole number ≥ 1 (stores)"),
    ("holdout_months", 2.5, "a whole number ≥ 1"),
    ("holdout_months", "3", "a whole number ≥ 1"),
    ("horizon_months", True, "a whole number ≥ 1"),
    ("annual_discount_rate", 1, "a number with 0 ≤ value < 1"),
    ("margin", 0, "a number with 0 < value ≤ 1"),
    ("lapse_days", 30, "a whole number from 31 to 365 (days)"),   # under a month: refused (issue 23)
    ("lapse_days", 366, "a whole number from 31 to 365"),
    ("winback_days", 61, "a whole number from 62 to 730 (days since the last purchase)"),
    ("winback_days", 731, "a whole number from 62 to 730"),
    ("winback_days", "180", "a whole number from 62 to 730"),
    ("cohort_basis", "signup", "one of auto, join, first_purchase"),
    ("tier_core_quantile", 1.2, "a number from 0 to 1"),
    ("contact_budget", -1, "a whole number ≥ 0"),
    ("campaign_window_weeks", 0, "a whole number ≥ 1"),
    ("holdout_share", 0.6, "a number from 0 to 0.5"),
    ("holdout_min_members", 1, "a whole number ≥ 2"),
    ("list_window_weeks", 27, "a whole number from 1 to 26"),
    ("sla_hours", 0, "a number > 0 (hours)"),
    ("driver_months", 0, "a whole number ≥ 1"),
    ("driver_outcome", "ces", "one of nps, csat"),
    ("topup_markers", "充值", "a list of quoted texts"),
    ("suspect_id_basket_share", 0, "a number with 0 < value ≤ 1 (share of baskets)"),
    ("max_basket_amount", -5, "a number > 0 (money)"),
    ("bootstrap_resamples", 49, "a whole number ≥ 50"),
    ("churn_window_days", 0, "a whole number ≥ 1"),
    ("cohort_months", 0, "a whole number ≥ 1"),
    ("max_reject_share", 5, "a number from 0 to 1"),
    ("data_end", "2026-13-01", "a date written YYYY-MM-DD"),
    ("data_end", "2026-11-03 18:00:00", "a date written YYYY-MM-DD (without a time of day"),
    ("cell_timeout_s", 0, "a whole number ≥ 1 (seconds)"),
    ("null_customer_ids", "NULL", "a list of quoted texts"),
    ("fit_budget_s", -5, "a number > 0 (seconds)"),
]


@pytest.mark.parametrize("name,value,allowed", BAD_VALUES, ids=[f"{n}={v!r}" for n, v, _ in BAD_VALUES])
def test_a_bad_setting_value_is_an_error_at_load(tmp_path, name, value, allowed):
    message = problem(tmp_path, BASE + f"settings:\n  {name}: {json.dumps(value)}\n")
    assert f"'settings.{name}' is " in message
    assert f"allowed: {allowed}" in message


def test_every_setting_has_a_bad_value_case():
    assert {n for n, _, _ in BAD_VALUES} | {"tier_key_quantile"} == set(SETTINGS)


def test_unquoted_yaml_nulls_in_the_id_list_are_refused(tmp_path):
    message = problem(tmp_path, BASE + "settings:\n  null_customer_ids: [NULL, N/A]\n")
    assert "quote every entry" in message


def test_tier_key_quantile_must_be_below_core(tmp_path):
    message = problem(tmp_path, BASE + "settings: {tier_key_quantile: 0.9}\n")
    assert "'settings.tier_key_quantile' (0.9) must be below 'settings.tier_core_quantile' (0.8)" in message


@pytest.mark.parametrize("name,value,stored", [
    ("lapse_days", 31, 31), ("lapse_days", 365, 365), ("winback_days", 62, 62), ("winback_days", 730, 730),
    ("at_risk_threshold", 0, 0.0),
    ("at_risk_threshold", 1, 1.0), ("annual_discount_rate", 0, 0.0), ("margin", 1, 1.0),
    ("contact_budget", 0, 0), ("bootstrap_resamples", 50, 50), ("holdout_months", 3.0, 3),
    ("model", " MBGNBD ", "mbgnbd"), ("compare_models", ["MBGNBD", "paretonbd"], ("mbgnbd", "paretonbd")),
    ("data_end", "2026-11-03", "2026-11-03"),
    ("null_customer_ids", ["NULL ", "0"], ("NULL", "0")), ("sla_hours", 0.5, 0.5),
])
def test_boundary_values_are_accepted(tmp_path, name, value, stored):
    cfg = load_config(write(tmp_path, BASE + f"settings:\n  {name}: {json.dumps(value)}\n"))
    assert cfg.setting(name) == stored


def test_yaml_dates_are_read_as_the_day():
    cfg = load_config(ROOT / "tests" / "unit" / "corpus" / "good" / "config.yml")
    assert cfg.data_end == "2024-03-31" == cfg.setting("data_end")


# --------------------------------------------------------------------------- Config.setting
def test_setting_is_configured_else_the_default(tmp_path):
    cfg = load_config(write(tmp_path, BASE + "settings: {holdout_months: 4, lapse_days: null}\n"))
    assert cfg.setting("holdout_months") == 4
    assert cfg.setting("horizon_months") == 12
    assert cfg.setting("lapse_days") is None  # null: derived from the data
    assert cfg.setting("winback_days") == 180  # the documented default win-back window
    assert cfg.setting("null_customer_ids") == ("NULL", "null", "N/A", "#N/A", "None", "nan", "-", "",
                                                "0", "散客", "非会员", "游客")   # Pospal's walk-in 0 and its kin
    assert cfg.setting("max_basket_amount") is None and "充值" in cfg.setting("topup_markers")
    assert (cfg.setting("cell_timeout_s"), cfg.setting("fit_budget_s")) == (1800, 120)


def test_an_unknown_setting_asked_by_code_is_a_key_error():
    cfg = load_config("data/demo.yml")
    with pytest.raises(KeyError, match="did you mean 'holdout_months'"):
        cfg.setting("holdout_month")


# --------------------------------------------------------------------------- the registry
def test_registry_defaults_are_allowed_and_described():
    for name, spec in SETTINGS.items():
        assert spec.name == name and spec.meaning
        if spec.default is not None:
            assert spec.check(spec.default) == spec.default, name


def test_the_library_defaults_are_the_settings_defaults():
    """Function defaults come from the one dataclass, not from numbers typed again."""
    # score_month's kind is a model, not the setting (auto is resolved by churn.for_month)
    cases = [(churn.score_month, "threshold", "at_risk_threshold"),
             (complaints.sla, "sla_hours", "sla_hours"), (satisfaction.for_month, "driver_months", "driver_months"),
             (satisfaction.for_month, "bootstrap", "bootstrap_resamples"),
             (satisfaction.for_month, "churn_window_days", "churn_window_days"),
             (satisfaction.for_month, "cohort_months", "cohort_months"),
             (value.value_month, "horizon_months", "horizon_months"), (value.value_month, "margin", "margin"),
             (kpis.monthly_kpis, "winback_days", "winback_days")]
    for func, parameter, setting in cases:
        assert inspect.signature(func).parameters[parameter].default == getattr(DEFAULTS, setting), func


def test_a_notebook_parameter_wins_and_zero_stays_zero(tmp_path):
    cfg = load_config(write(tmp_path, BASE + "settings: {contact_budget: 40, lapse_days: 35}\n"))
    run = Run(cfg, pd.Period("2024-03", "M"), tmp_path / "run")
    assert run.setting("contact_budget") == 40                  # the config
    assert run.setting("contact_budget", 0) == 0                # a parameter of 0 is not "not given"
    assert run.setting("contact_budget", None) == 40            # None means: use the config
    assert run.setting("horizon_months") == DEFAULTS.horizon_months   # not configured: the default
    with pytest.raises(ValueError, match="whole number"):
        run.setting("contact_budget", 2.5)                      # a parameter is held to the same rules


def test_the_readme_settings_table_is_the_dataclass():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert markdown_table() in readme


# `setting("name"` or a notebook helper's `setting(value, "name", default)`, with its default.
SETTING_CALL = re.compile(r"""\bsetting\(\s*(?:\w+\s*,\s*)?["'](\w+)["']\s*(?:,\s*([^()\n]+?))?\)""")


def _code_sources() -> dict[str, str]:
    sources = {str(p): p.read_text(encoding="utf-8") for p in (ROOT / "retention_lib").rglob("*.py")}
    for nb in (ROOT / "notebooks").glob("*.ipynb"):
        cells = json.loads(nb.read_text(encoding="utf-8"))["cells"]
        sources[str(nb)] = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")
    return sources


def test_every_setting_read_in_code_and_notebooks_is_registered():
    used = {}
    for where, text in _code_sources().items():
        for name, default in SETTING_CALL.findall(text):
            used.setdefault(name, set()).add(where)
            try:
                literal = ast.literal_eval(default.strip())
            except (ValueError, SyntaxError):
                continue  # a notebook parameter's name: resolved by Run.setting
            assert literal is None, f"{where}: setting({name!r}, {literal!r}) types a default again"
    assert len(used) >= 15  # the pattern still finds the calls
    assert set(used) <= set(SETTINGS), {n: used[n] for n in set(used) - set(SETTINGS)}


def test_a_key_written_twice_is_an_error_naming_both_lines(tmp_path):
    path = tmp_path / "twice.yml"
    path.write_text("source: demo\nemail:\n  stores: {S01: [a@example.com]}\ntables:\n  transactions: {path: x.csv}\n"
                    "email:\n  recipients: []\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"'email' appears twice \(lines 2 and 6\)"):
        load_config(path)


def test_the_engine_and_the_store_are_configured_and_checked(tmp_path, monkeypatch):
    monkeypatch.delenv("RETENTION_STORE_DIR", raising=False)
    cfg = load_config(write(tmp_path, "tables: {transactions: {path: t.csv}}\n"
                                      "engine: {backend: spark, master: 'local[2]', conf: {spark.driver.memory: 8g}}\n"
                                      "store: lake/client\n"))
    assert (cfg.engine.backend, cfg.engine.master) == ("spark", "local[2]")
    assert cfg.engine.conf == (("spark.driver.memory", "8g"),)
    assert cfg.store_dir == tmp_path / "lake" / "client"
    assert cfg.on_engine("duckdb").engine.backend == "duckdb" and cfg.on_engine(None) is cfg
    plain = load_config(write(tmp_path, "tables: {transactions: {path: t.csv}}\n", name="plain.yml"))
    assert plain.engine.backend == "duckdb" and plain.store_dir == tmp_path / "validated" / "plain"
    with pytest.raises(ConfigError) as err:
        load_config(write(tmp_path, "tables: {transactions: {path: t.csv}}\n"
                                    "engine: {backend: sparc, mastr: x, conf: [a]}\n", name="bad.yml"))
    text = str(err.value)
    assert "'engine.backend' is 'sparc'; allowed: duckdb, spark" in text
    assert "did you mean 'engine.master'?" in text and "'engine.conf' must map Spark settings" in text
    with pytest.raises(ConfigError, match="not one of duckdb, spark"):
        plain.on_engine("polars")


def test_a_source_is_a_file_or_a_table_the_engine_has(tmp_path):
    cfg = load_config(write(tmp_path, "tables: {transactions: {table: dw.pos_lines, columns: {amount: 金额}}}\n"
                                      "engine: {attach: {dw: lake/warehouse.duckdb}}\n"))
    source = cfg.tables["transactions"]
    assert (source.path, source.engine_table, source.origin) == (None, "dw.pos_lines", "engine table dw.pos_lines")
    assert cfg.engine.attach == (("dw", str((tmp_path / "lake" / "warehouse.duckdb").resolve())),)
    with pytest.raises(ConfigError) as err:
        load_config(write(tmp_path, "tables:\n  transactions: {table: dw.pos_lines, path: t.csv}\n"
                                    "  customers: {table: 'dw.people; DROP'}\nengine: {attach: [dw]}\n", name="bad.yml"))
    text = str(err.value)
    assert "'tables.transactions' needs a 'path'" in text and "or a 'table'" in text and "not both" in text
    assert "'tables.customers.table' must be a table name or database.table" in text
    assert "'engine.attach' must map a name to a DuckDB database file" in text


def test_retention_run_takes_the_engine(capsys):
    with pytest.raises(SystemExit):
        cli.main(["run", "--help"])
    assert "--engine {duckdb,spark}" in capsys.readouterr().out
