"""Per-source YAML config: where a client's files are and how their columns map to ours.

The config is checked completely at load time: an unknown key anywhere, or a setting
outside what it allows, is a ConfigError naming the file, the key path and what is
allowed, so a typo never runs 50 seconds and never silently becomes a default.
The settings themselves, their defaults and what they allow, are retention_lib.core.settings.
"""
from __future__ import annotations

import codecs
import datetime as dt
import difflib
import hashlib
import os
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Mapping

import yaml

from retention_lib.core.paths import DEFAULT_CONFIG, PROJECT_ROOT
from retention_lib.core.schema import TABLES
from retention_lib.core.settings import CHOICE, DEFAULTS, SETTINGS, Settings

SOURCES = ("files", "demo", "completejourney")
TOP_KEYS = ("name", "source", "simulated", "source_options", "currency", "tables", "settings", "email", "report",
            "engine", "store")
REPORT_KEYS = ("language",)
# The report's languages (report/language has their catalogues); a config without one gets English.
LANGUAGES = ("zh-CN", "en")
DEFAULT_LANGUAGE = "en"
TABLE_KEYS = ("path", "table", "columns", "encoding", "sheet", "timestamp_format", "decimal", "delimiter", "skip_rows")
EMAIL_KEYS = ("recipients", "ops", "stores")
ENGINE_KEYS = ("backend", "master", "conf", "memory_limit", "attach")
BACKENDS = ("duckdb", "spark")   # DuckDB embedded (the default); Spark for a chain that outgrows one machine
STORE_DIR = "validated"          # <config folder>/validated/<config name>/: the source's validated data
STORE_ENV = "RETENTION_STORE_DIR"  # elsewhere, e.g. when the config's folder is read-only
DECIMAL_MARKS = (".", ",")


class ConfigError(ValueError):
    """The config file itself is wrong: names the file and the key."""

    def __init__(self, message: str, problems: list[str] | None = None):
        super().__init__(message)
        self.problems = problems or [message]


# --------------------------------------------------------------------------- the config
@dataclass(frozen=True)
class Engine:
    """Where scans over lines and baskets run (retention_lib.data.engine connects to it)."""
    backend: str = "duckdb"
    master: str = "local[*]"          # Spark: local[N], spark://host:7077, yarn, or sc://host:15002 (Spark Connect)
    conf: tuple[tuple[str, str], ...] = ()   # Spark settings, e.g. spark.driver.memory: 8g
    memory_limit: str | None = None   # DuckDB: e.g. 8GB (beyond it DuckDB spills to the store's folder); default 4GB
    attach: tuple[tuple[str, str], ...] = ()  # DuckDB: database files read as <name>.<table> (read-only)


@dataclass(frozen=True)
class TableSource:
    table: str
    path: Path | None                # the client's file; None for a table the engine has
    columns: dict[str, str]          # canonical name -> client column name
    encoding: str = "auto"           # auto | utf-8 | utf-8-sig | gbk | gb18030 | ...
    sheet: str | int | None = None   # Excel sheet
    timestamp_format: str | None = None  # tried first for timestamp and date columns
    decimal: str = "."
    delimiter: str = "auto"          # auto (read from the header: , ; tab |) or one character
    skip_rows: int | str = "auto"    # lines above the header (a title, an export time); auto: found by the column names
    engine_table: str | None = None  # [database.]table in the engine's catalog (Spark's metastore, a DuckDB attach)

    def client_column(self, canonical: str) -> str:
        return self.columns.get(canonical, canonical)

    @property
    def origin(self) -> str:
        """Where the rows come from, as errors and rejects name it: the file, or the engine's table."""
        return str(self.path) if self.path is not None else f"engine table {self.engine_table}"

    @property
    def label(self) -> str:
        """The short name the console uses: the file's name, or the table's."""
        return self.path.name if self.path is not None else str(self.engine_table)


@dataclass(frozen=True)
class Config:
    path: Path
    name: str
    source: str
    simulated: bool
    tables: dict[str, TableSource]
    source_options: dict[str, Any] = field(default_factory=dict)
    currency: str = "CNY"
    recipients: tuple[str, ...] = ()
    ops_email: str | None = None
    settings: Settings = DEFAULTS    # the config's settings, checked; defaults for the rest
    store_recipients: dict[str, tuple[str, ...]] = field(default_factory=dict)  # email.stores
    language: str = DEFAULT_LANGUAGE   # report.language: the reader's language
    engine: Engine = Engine()
    store: Path | None = None          # the validated data store; None: <config folder>/validated/<name>/

    def setting(self, name: str) -> Any:
        """The configured value of a setting, else its default (retention_lib.core.settings)."""
        if name not in SETTINGS:
            near = difflib.get_close_matches(name, list(SETTINGS), n=1)
            raise KeyError(f"unknown setting {name!r}" + (f"; did you mean {near[0]!r}?" if near else ""))
        return getattr(self.settings, name)

    def in_language(self, language: str | None) -> "Config":
        """The same config read in `language` (None: as configured), e.g. `retention run --lang`."""
        if language is None:
            return self
        wrong = check_language(language)
        if wrong:
            raise ConfigError(f"the language {wrong}")
        return replace(self, language=language)

    def on_engine(self, backend: str | None) -> "Config":
        """The same config with scans on `backend` (None: as configured), e.g. `retention run --engine`."""
        if backend is None:
            return self
        if backend not in BACKENDS:
            raise ConfigError(f"the engine {backend!r} is not one of {', '.join(BACKENDS)}")
        return replace(self, engine=replace(self.engine, backend=backend))

    @property
    def store_dir(self) -> Path:
        """The validated data store: `store:` in the config, else under $RETENTION_STORE_DIR (one folder
        per config file), else <config folder>/validated/<config name>/."""
        if self.store:
            return self.store
        if os.environ.get(STORE_ENV):
            return Path(os.environ[STORE_ENV]) / f"{self.slug}-{hashlib.sha256(str(self.path).encode()).hexdigest()[:8]}"
        return self.path.parent / STORE_DIR / self.slug

    def with_settings(self, **values) -> "Config":
        """The same config with some settings replaced (None unsets one)."""
        return replace(self, settings=replace(self.settings, **values))

    @property
    def data_end(self) -> str | None:
        return self.settings.data_end

    @property
    def max_reject_share(self) -> float:
        return self.settings.max_reject_share

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


# The options each built-in source accepts: the keyword parameters of the demo simulator
# (retention_lib.data.sources.demo.simulate_store; a test keeps the two in step).
SOURCE_OPTIONS = {"files": (), "completejourney": (),
                  "demo": ("seed", "n_customers", "start", "months", "n_stores", "non_member_share", "dropout",
                           "campaigns", "data_language", "regularity")}


def _source_option_names(source: str) -> tuple[str, ...]:
    return SOURCE_OPTIONS.get(source, ())


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
    if not isinstance(spec, Mapping) or bool(spec.get("path")) == bool(spec.get("table")):
        problems.append(f"'{where}' needs a 'path' (the client's file, relative to the config) or a 'table' "
                        "(one the engine has, e.g. dw.pos_lines), not both")
        return None
    engine_table = spec.get("table")
    if engine_table is not None and not (isinstance(engine_table, str)
                                         and re.fullmatch(r"[A-Za-z_]\w*(\.[A-Za-z_]\w*)?", engine_table)):
        problems.append(f"'{where}.table' must be a table name or database.table, got {_show(engine_table)}")
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
    delimiter = str(spec.get("delimiter", "auto"))
    delimiter = {"tab": "\t", "\\t": "\t"}.get(delimiter.lower(), delimiter)
    if delimiter != "auto" and not (len(delimiter) == 1 and delimiter.isascii() and delimiter not in '"\r\n'):
        problems.append(f"'{where}.delimiter' is {_show(spec.get('delimiter'))}; allowed: auto, or one character "
                        "such as ',' ';' '|' or tab")
    skip_rows = spec.get("skip_rows", "auto")
    if skip_rows != "auto" and (isinstance(skip_rows, bool) or not isinstance(skip_rows, int) or skip_rows < 0):
        problems.append(f"'{where}.skip_rows' is {_show(skip_rows)}; allowed: auto, or a whole number ≥ 0 "
                        "(the lines above the header row)")
        skip_rows = "auto"
    file_path = Path(str(spec["path"])) if spec.get("path") else None
    return TableSource(
        table=name,
        path=None if file_path is None else file_path if file_path.is_absolute() else (base / file_path).resolve(),
        columns=columns, encoding=encoding, sheet=sheet, timestamp_format=fmt, decimal=decimal,
        delimiter=delimiter, skip_rows=skip_rows,
        engine_table=engine_table)


class _UniqueKeys(yaml.SafeLoader):
    """YAML as safe_load reads it, except that a key written twice in one mapping is an error: YAML
    would keep the last one silently (a second `email:` dropping the first's store managers)."""

    def construct_mapping(self, node, deep=False):
        seen = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"the key {key!r} appears twice (lines {seen[key] + 1} and "
                    f"{key_node.start_mark.line + 1}); YAML would keep only the last", key_node.start_mark)
            seen[key] = key_node.start_mark.line
        return super().construct_mapping(node, deep=deep)


def check_language(language) -> str | None:
    """None when `language` is one the report speaks, else what is wrong (with the nearest one)."""
    if language in LANGUAGES:
        return None
    near = difflib.get_close_matches(str(language), LANGUAGES, n=1)
    return (f"is {_show(language)}; allowed: {', '.join(LANGUAGES)}"
            + (f"; did you mean '{near[0]}'?" if near else ""))


def _check_engine(raw: Mapping, base: Path, problems: list[str]) -> tuple[Engine, Path | None]:
    spec = _mapping(raw, "engine", problems)
    problems += _unknown_keys(spec, ENGINE_KEYS, "engine")
    backend = spec.get("backend", "duckdb")
    if backend not in BACKENDS:
        problems.append(f"'engine.backend' is {_show(backend)}; allowed: {', '.join(BACKENDS)}")
    conf = spec.get("conf") or {}
    if not isinstance(conf, Mapping):
        problems.append(f"'engine.conf' must map Spark settings to values, e.g. spark.driver.memory: 8g; "
                        f"got {_show(conf)}")
        conf = {}
    for key in ("master", "memory_limit"):
        if key in spec and not isinstance(spec[key], str):
            problems.append(f"'engine.{key}' must be text, got {_show(spec[key])}")
    attach = spec.get("attach") or {}
    if not isinstance(attach, Mapping) or not all(isinstance(k, str) and re.fullmatch(r"[A-Za-z_]\w*", k)
                                                  and isinstance(v, str) for k, v in attach.items()):
        problems.append("'engine.attach' must map a name to a DuckDB database file, e.g. dw: warehouse.duckdb; "
                        f"got {_show(attach)}")
        attach = {}
    attach = tuple(sorted((k, str(Path(v) if Path(v).is_absolute() else (base / v).resolve())) for k, v in attach.items()))
    store = raw.get("store")
    if store is not None and not isinstance(store, str):
        problems.append(f"'store' must be a folder (relative to the config), got {_show(store)}")
    engine = Engine(backend=str(backend), master=str(spec.get("master", Engine.master)),
                    conf=tuple(sorted((str(k), str(v)) for k, v in conf.items())),
                    memory_limit=spec.get("memory_limit") if isinstance(spec.get("memory_limit"), str) else None,
                    attach=attach)
    store_dir = None if not isinstance(store, str) else (Path(store) if Path(store).is_absolute() else base / store)
    return engine, store_dir


def _check_report(raw: Mapping, problems: list[str]) -> str:
    report = _mapping(raw, "report", problems)
    problems += _unknown_keys(report, REPORT_KEYS, "report")
    language = report.get("language", DEFAULT_LANGUAGE)
    wrong = check_language(language)
    if wrong:
        problems.append(f"'report.language' {wrong}")
        return DEFAULT_LANGUAGE
    return language


def load_config(path: str | Path | None = None) -> Config:
    path = Path(path) if path else DEFAULT_CONFIG
    if not path.is_absolute() and not path.exists() and (PROJECT_ROOT / path).exists():
        path = PROJECT_ROOT / path
    path = path.resolve()
    if not path.exists():
        raise ConfigError(f"{path}: config file not found")
    try:
        raw = yaml.load(path.read_text(encoding="utf-8"), Loader=_UniqueKeys) or {}
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
    language = _check_report(raw, problems)
    engine, store = _check_engine(raw, path.parent, problems)
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
        recipients=recipients,
        ops_email=ops,
        settings=Settings(**settings),
        store_recipients=stores,
        language=language,
        engine=engine,
        store=store,
    )
