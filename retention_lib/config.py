"""Per-source YAML config: where a client's files are and how their columns map to ours."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .schema import TABLES

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CONFIG = PROJECT_ROOT / "data" / "demo.yml"
SOURCES = ("files", "demo", "completejourney")


class ConfigError(ValueError):
    """The config file itself is wrong: names the file and the key."""


@dataclass(frozen=True)
class TableSource:
    table: str
    path: Path
    columns: dict[str, str]          # canonical name -> client column name
    encoding: str = "auto"           # auto | utf-8 | utf-8-sig | gbk | gb18030 | ...
    sheet: str | int | None = None   # Excel sheet
    timestamp_format: str | None = None  # strftime format for timestamp and date columns
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
    max_reject_share: float = 0.05
    lapse_days: int | None = None
    data_end: str | None = None      # when the client's extract was taken; default: now
    recipients: tuple[str, ...] = ()
    ops_email: str | None = None
    settings: dict[str, Any] = field(default_factory=dict)

    def setting(self, name: str, default: Any = None) -> Any:
        """A model or report setting from the config's `settings`, else the default."""
        value = self.settings.get(name)
        return default if value is None else value

    @property
    def slug(self) -> str:
        return self.path.stem

    @property
    def data_dir(self) -> Path:
        return self.path.parent


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

    source = raw.get("source", "files")
    if source not in SOURCES:
        raise ConfigError(f"{path}: 'source' must be one of {', '.join(SOURCES)}, got {source!r}")
    raw_tables = raw.get("tables") or {}
    if "transactions" not in raw_tables:
        raise ConfigError(f"{path}: 'tables' must include 'transactions'")

    tables = {}
    for name, spec in raw_tables.items():
        if name not in TABLES:
            raise ConfigError(f"{path}: unknown table {name!r} under 'tables' "
                              f"(known: {', '.join(TABLES)})")
        if not isinstance(spec, dict) or "path" not in spec:
            raise ConfigError(f"{path}: tables.{name} needs a 'path'")
        columns = {str(k): str(v) for k, v in (spec.get("columns") or {}).items()}
        unknown = set(columns) - set(TABLES[name].names)
        if unknown:
            raise ConfigError(f"{path}: tables.{name}.columns maps unknown canonical "
                              f"column(s) {sorted(unknown)}; known: {TABLES[name].names}")
        file_path = Path(spec["path"])
        tables[name] = TableSource(
            table=name,
            path=file_path if file_path.is_absolute() else (path.parent / file_path).resolve(),
            columns=columns,
            encoding=str(spec.get("encoding", "auto")),
            sheet=spec.get("sheet"),
            timestamp_format=spec.get("timestamp_format"),
            decimal=str(spec.get("decimal", ".")),
        )

    settings = raw.get("settings") or {}
    email = raw.get("email") or {}
    recipients = email.get("recipients") or []
    if isinstance(recipients, str):
        recipients = [recipients]
    return Config(
        path=path,
        name=str(raw.get("name", path.stem)),
        source=source,
        simulated=bool(raw.get("simulated", source == "demo")),
        tables=tables,
        source_options=dict(raw.get("source_options") or {}),
        currency=str(raw.get("currency", "CNY")),
        max_reject_share=float(settings.get("max_reject_share", 0.05)),
        lapse_days=settings.get("lapse_days"),
        data_end=settings.get("data_end"),
        recipients=tuple(recipients),
        ops_email=email.get("ops"),
        settings=dict(settings),
    )
