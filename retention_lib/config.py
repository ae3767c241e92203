"""Per-source YAML config: where a client's files are and how their columns map to ours.

The config is checked completely at load time: an unknown key anywhere, or a setting
outside what it allows, is a ConfigError naming the file, the key path and what is
allowed, so a typo never runs 50 seconds and never silently becomes a default.
`SETTINGS` is the one registry of the settings the product reads, with their defaults.
"""
from __future__ import annotations

import codecs
import datetime as dt
import difflib
import inspect
import math
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, Mapping

import yaml

from .schema import TABLES

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CONFIG = PROJECT_ROOT / "data" / "demo.yml"
SOURCES = ("files", "demo", "completejourney")
TOP_KEYS = ("name", "source", "simulated", "source_options", "currency", "tables", "settings", "email")
TABLE_KEYS = ("path", "columns", "encoding", "sheet", "timestamp_format", "decimal")
EMAIL_KEYS = ("recipients", "ops", "stores")
DECIMAL_MARKS = (".", ",")


class ConfigError(ValueError):
    """The config file itself is wrong: names the file and the key."""

    def __init__(self, message: str, problems: list[str] | None = None):
        super().__init__(message)
        self.problems = problems or [message]


# --------------------------------------------------------------------------- settings registry
CHOICE, CHOICE_LIST, INT, NUMBER, DATE, TEXT_LIST = (
    "choice", "choice_list", "int", "number", "date", "text_list")
MODELS = ("bgnbd", "mbgnbd", "paretonbd")


@dataclass(frozen=True)
class Setting:
    """One setting the product reads: its default, what it allows, its unit and meaning.

    Null in a config always means "not set": the caller's or this default applies.
    """
    name: str
    default: Any
    kind: str
    meaning: str
    unit: str = ""
    choices: tuple[str, ...] = ()
    low: float | None = None
    high: float | None = None
    low_open: bool = False   # low itself not allowed
    high_open: bool = False

    def allowed(self) -> str:
        """What the setting allows, in words a consultant can act on."""
        if self.kind == CHOICE:
            return "one of " + ", ".join(self.choices)
        if self.kind == CHOICE_LIST:
            return f"a list drawn from {', '.join(self.choices)}, e.g. [{', '.join(self.choices[-2:])}]"
        if self.kind == DATE:
            return "a date written YYYY-MM-DD"
        if self.kind == TEXT_LIST:
            return "a list of quoted texts, e.g. ['NULL', 'N/A']"
        what = "a whole number" if self.kind == INT else "a number"
        unit = f" ({self.unit})" if self.unit else ""
        low, high = _num(self.low), _num(self.high)
        if self.low is not None and self.high is not None:
            if not (self.low_open or self.high_open):
                return f"{what} from {low} to {high}{unit}"
            return (f"{what} with {low} {'<' if self.low_open else '≤'} value "
                    f"{'<' if self.high_open else '≤'} {high}{unit}")
        if self.low is not None:
            return f"{what} {'>' if self.low_open else '≥'} {low}{unit}"
        return f"{what}{unit}"

    def check(self, value: Any) -> Any:
        """The value in its canonical form, or ValueError when it is not allowed."""
        if self.kind == CHOICE:
            text = str(value).strip().lower() if isinstance(value, str) else None
            if text not in self.choices:
                raise ValueError(self.allowed())
            return text
        if self.kind == CHOICE_LIST:
            listed = isinstance(value, (list, tuple))
            items = [v.strip().lower() for v in value if isinstance(v, str)] if listed else []
            if not listed or len(items) != len(value) or set(items) - set(self.choices):
                raise ValueError(self.allowed())
            return tuple(items)
        if self.kind == DATE:
            return _as_date(value, self.allowed())
        if self.kind == TEXT_LIST:
            if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
                raise ValueError(self.allowed() + " (YAML reads unquoted null, NULL and ~ as "
                                 "empty and 0 as a number: quote every entry)")
            return tuple(v.strip() for v in value)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise ValueError(self.allowed())
        if self.kind == INT:
            if value != int(value):
                raise ValueError(self.allowed())
            value = int(value)
        else:
            value = float(value)
        too_low = self.low is not None and (value <= self.low if self.low_open else value < self.low)
        too_high = self.high is not None and (value >= self.high if self.high_open else value > self.high)
        if too_low or too_high:
            raise ValueError(self.allowed())
        return value


def _num(x: float | None) -> str:
    return "" if x is None else (str(int(x)) if float(x).is_integer() else str(x))


def _as_date(value: Any, allowed: str) -> str:
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value.strip())
        except ValueError:
            raise ValueError(allowed) from None
    if isinstance(value, dt.datetime):
        if value.time() != dt.time(0):
            raise ValueError(allowed + " (without a time of day: the whole day counts)")
        value = value.date()
    if not isinstance(value, dt.date):
        raise ValueError(allowed)
    return value.isoformat()


DEFAULT_NULL_CUSTOMER_IDS = ("NULL", "null", "N/A", "#N/A", "None", "nan", "-", "")

SETTINGS: Mapping[str, Setting] = MappingProxyType({s.name: s for s in (
    Setting("model", "bgnbd", CHOICE, "BTYD model that scores P(alive) and expected purchases",
            choices=MODELS),
    Setting("compare_models", (), CHOICE_LIST, "other models backtested beside `model`, for comparison",
            choices=MODELS),
    Setting("at_risk_threshold", 0.5, NUMBER, "P(alive) below which a member is at risk",
            unit="probability", low=0, high=1),
    Setting("holdout_months", 3, INT, "months held out to backtest the churn model", unit="months", low=1),
    Setting("horizon_months", 12, INT, "horizon of the CLV", unit="months", low=1),
    Setting("annual_discount_rate", 0.10, NUMBER, "yearly rate at which future margin is discounted in CLV",
            unit="share per year", low=0, high=1, high_open=True),
    Setting("margin", 0.25, NUMBER, "gross margin on sales, applied to spend in CLV", unit="share of sales",
            low=0, high=1, low_open=True),
    Setting("lapse_days", None, INT, "days without a purchase after which a member is lapsed; "
            "null: derived from the data", unit="days", low=7, high=365),
    Setting("cohort_basis", "auto", CHOICE, "cohorts by join month or month of first purchase; "
            "auto: join month when the data has join dates", choices=("auto", "join", "first_purchase")),
    Setting("tier_core_quantile", 0.8, NUMBER, "CLV quantile from which a live member is core",
            unit="quantile", low=0, high=1),
    Setting("tier_key_quantile", 0.5, NUMBER, "CLV quantile from which a live member is key "
            "(below tier_core_quantile)", unit="quantile", low=0, high=1),
    Setting("contact_budget", 500, INT, "most members put on the win-back list", unit="members", low=0),
    Setting("campaign_window_weeks", 8, INT, "weeks after a send in which a campaign is measured",
            unit="weeks", low=1),
    Setting("sla_hours", 48.0, NUMBER, "service level for closing a complaint", unit="hours",
            low=0, low_open=True),
    Setting("driver_months", 12, INT, "months of surveys the satisfaction drivers are estimated on",
            unit="months", low=1),
    Setting("driver_outcome", "nps", CHOICE, "survey score the dimension drivers explain",
            choices=("nps", "csat")),
    Setting("bootstrap_resamples", 500, INT, "bootstrap resamples for the driver importance intervals",
            unit="resamples", low=50),
    Setting("churn_window_days", 60, INT, "later churn: no purchase in this many days to the month's end",
            unit="days", low=1),
    Setting("cohort_months", 6, INT, "members surveyed in this many months before the churn window",
            unit="months", low=1),
    Setting("max_reject_share", 0.05, NUMBER, "largest share of a table's rows one rule may set aside "
            "before the load stops", unit="share of rows", low=0, high=1),
    Setting("data_end", None, DATE, "day the client's extract was taken: later timestamps are future; "
            "null: today"),
    Setting("cell_timeout_s", 1800, INT, "papermill's execution timeout for one notebook cell",
            unit="seconds", low=1),
    Setting("null_customer_ids", DEFAULT_NULL_CUSTOMER_IDS, TEXT_LIST,
            "customer ids that mean no member (matched after trimming spaces, ignoring case)"),
    Setting("fit_budget_s", 120.0, NUMBER, "time budget of one model fit", unit="seconds",
            low=0, low_open=True),
)})


# --------------------------------------------------------------------------- the config
@dataclass(frozen=True)
class TableSource:
    table: str
    path: Path
    columns: dict[str, str]          # canonical name -> client column name
    encoding: str = "auto"           # auto | utf-8 | utf-8-sig | gbk | gb18030 | ...
    sheet: str | int | None = None   # Excel sheet
    timestamp_format: str | None = None  # tried first for timestamp and date columns
    decimal: str = "."

    def client_column(self, canonical: str) -> str:
        return self.columns.get(canonical, canonical)


@dataclass(frozen=True)
class Config:
    path: Path
    name: str
    source: str
    simulated: bool
    tables: dict[str, TableSource]
    source_options: dict[str, Any] = field(default_factory=dict)
    currency: str = "CNY"
    max_reject_share: float = SETTINGS["max_reject_share"].default
    lapse_days: int | None = None
    data_end: str | None = None      # when the client's extract was taken; default: now
    recipients: tuple[str, ...] = ()
    ops_email: str | None = None
    settings: dict[str, Any] = field(default_factory=dict)  # configured values only, checked
    store_recipients: dict[str, tuple[str, ...]] = field(default_factory=dict)  # email.stores

    def setting(self, name: str, default: Any = None) -> Any:
        """The configured value, else `default`, else the registry's default."""
        if name not in SETTINGS:
            near = difflib.get_close_matches(name, list(SETTINGS), n=1)
            raise KeyError(f"unknown setting {name!r}" + (f"; did you mean {near[0]!r}?" if near else ""))
        value = self.settings.get(name)
        if value is not None:
            return value
        return default if default is not None else SETTINGS[name].default

    @property
    def slug(self) -> str:
        return self.path.stem

    @property
    def data_dir(self) -> Path:
        return self.path.parent


def _show(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, (dt.date, int, float)):
        return str(value)
    return repr(value)


def _unknown_keys(mapping: Mapping, valid, where: str, note: str = "") -> list[str]:
    """One problem per key of `mapping` not in `valid`, with the nearest valid key."""
    valid = [str(v) for v in valid]
    prefix = f"{where}." if where else ""
    problems = []
    for key in mapping:
        if str(key) in valid:
            continue
        near = difflib.get_close_matches(str(key), valid, n=1)
        if near:
            hint = f"; did you mean '{prefix}{near[0]}'?"
        else:
            hint = f"; valid keys: {', '.join(valid)}" if valid else ""
        problems.append(f"unknown key '{prefix}{key}'{hint}{note}")
    return problems


def _mapping(raw: Mapping, key: str, problems: list[str]) -> dict:
    """The top-level section `key` as a dict ({} when absent)."""
    value = raw.get(key)
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        problems.append(f"'{key}' must be a mapping (key: value lines), got {_show(value)}")
        return {}
    return dict(value)


def check_settings(raw: Mapping) -> tuple[dict[str, Any], list[str]]:
    """The configured settings in canonical form (nulls left out), and the problems found."""
    problems = _unknown_keys(raw, SETTINGS, "settings")
    values = {}
    for name, value in raw.items():
        spec = SETTINGS.get(str(name))
        if spec is None or value is None:
            continue
        try:
            values[spec.name] = spec.check(value)
        except ValueError as exc:
            near = (difflib.get_close_matches(str(value).lower(), spec.choices, n=1)
                    if spec.kind == CHOICE else [])
            hint = f"; did you mean '{near[0]}'?" if near else ""
            problems.append(f"'settings.{name}' is {_show(value)}; allowed: {exc}{hint}")
    core = values.get("tier_core_quantile", SETTINGS["tier_core_quantile"].default)
    key = values.get("tier_key_quantile", SETTINGS["tier_key_quantile"].default)
    if not key < core:
        problems.append(f"'settings.tier_key_quantile' ({_show(key)}) must be below "
                        f"'settings.tier_core_quantile' ({_show(core)}): key members are worth less than core")
    return values, problems


def _source_option_names(source: str) -> list[str] | None:
    """Keyword parameters the source accepts; None: any (the function takes **kwargs)."""
    if source != "demo":
        return []
    from . import simulate  # read at load time: the simulator gains parameters over time

    params = inspect.signature(simulate.simulate_store).parameters.values()
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params):
        return None
    return [p.name for p in params if p.kind in (inspect.Parameter.POSITIONAL_OR_KEYWORD,
                                                   inspect.Parameter.KEYWORD_ONLY)]


def _texts(value: Any) -> bool:
    return isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value)


def _check_email(raw: Mapping, problems: list[str]) -> tuple[tuple[str, ...], str | None, dict]:
    email = _mapping(raw, "email", problems)
    problems += _unknown_keys(email, EMAIL_KEYS, "email")
    recipients = email.get("recipients") or []
    if isinstance(recipients, str):
        recipients = [recipients]
    if not _texts(recipients):
        problems.append(f"'email.recipients' must be an address or a list of addresses, got {_show(recipients)}")
        recipients = []
    ops = email.get("ops")
    if ops is not None and not isinstance(ops, str):
        problems.append(f"'email.ops' must be one address, got {_show(ops)}")
        ops = None
    stores = email.get("stores") or {}
    if not isinstance(stores, Mapping):
        problems.append("'email.stores' must map each store id to a list of addresses, "
                        f"e.g. {{S01: [manager@example.com]}}; got {_show(stores)}")
        stores = {}
    for store, addresses in stores.items():
        if not _texts(addresses):
            problems.append(f"'email.stores.{store}' must be a list of addresses, got {_show(addresses)}")
    stores = {str(k): tuple(v) for k, v in stores.items() if _texts(v)}
    return tuple(recipients), ops, stores


def _check_table(name: str, spec: Any, base: Path, problems: list[str]) -> TableSource | None:
    where = f"tables.{name}"
    if not isinstance(spec, Mapping) or not spec.get("path"):
        problems.append(f"'{where}' needs a 'path' (the client's file, relative to the config)")
        return None
    problems += _unknown_keys(spec, TABLE_KEYS, where)
    columns = spec.get("columns") or {}
    if not isinstance(columns, Mapping):
        problems.append(f"'{where}.columns' must map our column names to the client's, "
                        f"e.g. customer_id: 会员号")
        columns = {}
    problems += _unknown_keys(columns, TABLES[name].names, f"{where}.columns",
                              " (keys are our column names, values the client's)")
    columns = {str(k): str(v) for k, v in columns.items()}
    encoding = str(spec.get("encoding", "auto"))
    if encoding != "auto":
        try:
            codecs.lookup(encoding)
        except LookupError:
            problems.append(f"'{where}.encoding' is {encoding!r}, not an encoding Python knows; "
                            "use auto, utf-8, gbk or gb18030")
    sheet = spec.get("sheet")
    if sheet is not None and (isinstance(sheet, bool) or not isinstance(sheet, (str, int))):
        problems.append(f"'{where}.sheet' must be a sheet name or number, got {_show(sheet)}")
    fmt = spec.get("timestamp_format")
    if fmt is not None and not (isinstance(fmt, str) and "%" in fmt):
        problems.append(f"'{where}.timestamp_format' must be a strftime format such as "
                        f"'%d/%m/%Y %H:%M', got {_show(fmt)}")
    decimal = str(spec.get("decimal", "."))
    if decimal not in DECIMAL_MARKS:
        problems.append(f"'{where}.decimal' is {decimal!r}; allowed: '.' or ','")
    file_path = Path(str(spec["path"]))
    return TableSource(
        table=name,
        path=file_path if file_path.is_absolute() else (base / file_path).resolve(),
        columns=columns, encoding=encoding, sheet=sheet, timestamp_format=fmt, decimal=decimal)


def load_config(path: str | Path | None = None) -> Config:
    path = Path(path) if path else DEFAULT_CONFIG
    if not path.is_absolute() and not path.exists() and (PROJECT_ROOT / path).exists():
        path = PROJECT_ROOT / path
    path = path.resolve()
    if not path.exists():
        raise ConfigError(f"{path}: config file not found")
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from exc
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: expected a mapping at the top level")

    problems = _unknown_keys(raw, TOP_KEYS, "")
    source = raw.get("source", "files")
    if source not in SOURCES:
        near = difflib.get_close_matches(str(source), SOURCES, n=1)
        problems.append(f"'source' is {_show(source)}; allowed: {', '.join(SOURCES)}"
                        + (f"; did you mean '{near[0]}'?" if near else ""))
    simulated = raw.get("simulated", source == "demo")
    if not isinstance(simulated, bool):
        problems.append(f"'simulated' must be true or false, got {_show(simulated)}")

    source_options = _mapping(raw, "source_options", problems)
    names = _source_option_names(source) if source in SOURCES else None
    if names is not None:
        note = "" if names else f" (source '{source}' takes no source_options)"
        problems += _unknown_keys(source_options, names, "source_options", note)

    raw_tables = _mapping(raw, "tables", problems)
    if "transactions" not in raw_tables:
        problems.append("'tables' must include 'transactions'")
    problems += _unknown_keys(raw_tables, TABLES, "tables")
    tables = {}
    for name, spec in raw_tables.items():
        if name in TABLES and (table := _check_table(name, spec, path.parent, problems)):
            tables[name] = table

    settings, setting_problems = check_settings(_mapping(raw, "settings", problems))
    problems += setting_problems
    recipients, ops, stores = _check_email(raw, problems)
    if problems:
        raise ConfigError("\n".join(f"{path}: {p}" for p in problems), problems)
    return Config(
        path=path,
        name=str(raw.get("name", path.stem)),
        source=source,
        simulated=simulated,
        tables=tables,
        source_options=source_options,
        currency=str(raw.get("currency", "CNY")),
        max_reject_share=settings.get("max_reject_share", SETTINGS["max_reject_share"].default),
        lapse_days=settings.get("lapse_days"),
        data_end=settings.get("data_end"),
        recipients=recipients,
        ops_email=ops,
        settings=settings,
        store_recipients=stores,
    )
