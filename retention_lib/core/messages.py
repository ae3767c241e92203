"""A sentence by key with its values: what analysis code says, without saying it in a language.

`Message(key, params)` holds the key of a template in `retention_lib.report.text.MESSAGES` and
the values it needs: numbers, ISO dates and months, keys of labels, or other messages; never
pre-formatted English. It survives JSON (`to_dict`/`from_dict`), so a reason stored in
status.json or an artifact is rendered when it is read, in the reader's language.

Core cannot import the report layer, so it renders through the renderer the report layer
registers (`set_renderer`, called when `retention_lib.report.text` is imported). Without one,
`str(message)` is `key(params)`.
"""
from __future__ import annotations

import json
import math
from datetime import date, datetime
from typing import Any, Callable, Mapping

import numpy as np
import pandas as pd

_renderer: Callable[["Message"], str] | None = None


def set_renderer(fn: Callable[["Message"], str] | None) -> None:
    global _renderer
    _renderer = fn


def plain(value: Any) -> Any:
    """A parameter as a JSON value: numpy to Python, NaN to None, timestamps to ISO dates (with
    the time only when there is one), periods to 'YYYY-MM'; messages stay messages."""
    if isinstance(value, Message) or value is None or isinstance(value, str):
        return value
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, pd.Period):
        return str(value)
    if isinstance(value, (pd.Timestamp, datetime, date)):
        if pd.isna(value):
            return None
        t = pd.Timestamp(value)
        return f"{t:%Y-%m-%d}" if t == t.normalize() else t.isoformat()
    if isinstance(value, Mapping):
        if set(value) == {"key", "params"}:
            return Message.from_dict(value)
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if value is pd.NA or value is pd.NaT:
        return None
    return str(value)


class Message:
    """A sentence by key with its values (see the module docstring). Equal messages (same key,
    same values) hash alike, so parts missing for one reason can be grouped."""

    __slots__ = ("key", "params")

    def __init__(self, key: str, params: Mapping | None = None, /, **kwargs):
        self.key = str(key)
        self.params = {str(k): plain(v) for k, v in {**(params or {}), **kwargs}.items()}

    def to_dict(self) -> dict:
        return {"key": self.key, "params": _nested(self.params)}

    @classmethod
    def from_dict(cls, d: Mapping) -> "Message":
        return cls(d["key"], d.get("params") or {})

    def _canonical(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True, ensure_ascii=False)

    def __eq__(self, other) -> bool:
        return isinstance(other, Message) and self._canonical() == other._canonical()

    def __hash__(self) -> int:
        return hash(self._canonical())

    def __str__(self) -> str:
        if _renderer is not None:
            return _renderer(self)
        return f"{self.key}({', '.join(f'{k}={v}' for k, v in self.params.items())})"

    def __format__(self, spec: str) -> str:
        return format(str(self), spec)

    def __repr__(self) -> str:
        return f"Message({self.key!r}, {self.params!r})"


def _nested(v):
    if isinstance(v, Message):
        return v.to_dict()
    if isinstance(v, dict):
        return {k: _nested(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_nested(x) for x in v]
    return v


def to_json(reason: "Message | str") -> dict | str:
    """A reason as stored: a message as {"key", "params"}, a plain text as itself."""
    return reason.to_dict() if isinstance(reason, Message) else str(reason)


def from_json(value) -> "Message | str | None":
    """A stored reason back: a {"key", "params"} dict as a Message; text or None as it is."""
    if isinstance(value, Mapping) and "key" in value:
        return Message.from_dict(value)
    return value


def render(reason: "Message | str | None") -> str:
    """A reason as text in the current language ('' for None)."""
    return "" if reason is None else str(reason)
