"""A month's run folder: the validated data cut at the month's end, and its artifacts.

Artifacts are read and written by key (retention_lib.core.stages declares them); a part of a
stage that a data condition makes impossible is declared unavailable with its reason.
retention_lib.data.prepare makes the folder.
"""
from __future__ import annotations

import html
import json
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from retention_lib.core import messages, stages
from retention_lib.core.conditions import DataCondition
from retention_lib.core.messages import Message
from retention_lib.core.config import Config
from retention_lib.core.schema import SUBSTITUTED
from retention_lib.core.settings import SETTINGS

class MissingArtifact(RuntimeError):
    """A stage's artifact is not there although its part was not declared unavailable: a bug."""


@dataclass
class Run:
    config: Config
    month: pd.Period
    run_dir: Path
    lab_copy: bool = False   # a published month reopened in the lab: notebooks say where they write

    @property
    def start(self) -> pd.Timestamp:
        return self.month.start_time

    @property
    def end(self) -> pd.Timestamp:
        """Exclusive: the first instant after the month."""
        return (self.month + 1).start_time

    def setting(self, name: str, value=None):
        """A notebook parameter when given (0 stays 0), else the config's setting, else its default."""
        if name in SETTINGS and value is not None:
            return SETTINGS[name].check(value)  # a notebook parameter is held to the same rules
        return self.config.setting(name)

    # ---- artifacts by key (retention_lib.stages names their files)

    def path(self, key: str) -> Path:
        path = self.run_dir / stages.artifact(key).path
        path.parent.mkdir(parents=True, exist_ok=True)
        return path

    def has(self, key: str) -> bool:
        if stages.artifact(key).stored:
            return self.table_files(key) is not None
        return (self.run_dir / stages.artifact(key).path).exists()

    def snapshot(self) -> dict:
        """The data store's partitions this month reads (retention_lib.data.store.snapshot)."""
        path = self.run_dir / stages.artifact("snapshot").path
        if not path.exists():
            raise MissingArtifact(f"{path} is missing: the run folder was not prepared (retention_lib.open_run)")
        return json.loads(path.read_text(encoding="utf-8"))

    def table_files(self, name: str, snap: dict | None = None) -> list[Path] | None:
        """The Parquet files of a validated table to the month's end; None when the source does not have it."""
        snap = snap or self.snapshot()
        parts = snap["tables"].get(name)
        return None if parts is None else [Path(snap["store"]) / p["file"] for p in parts]

    def table(self, name: str) -> pd.DataFrame | None:
        """A validated data table to the month's end; None when the source does not have it."""
        snap = self.snapshot()
        files = self.table_files(name, snap)
        if files is None:
            return None
        frame = pa.concat_tables([pq.read_table(f) for f in files]).to_pandas()
        if name == "complaints":
            frame = _complaints_as_of(frame, self.end)
        own = snap.get("substituted", {}).get(name)
        if own:
            frame.attrs[SUBSTITUTED] = own
        return frame

    def write(self, key: str, obj, **options) -> None:
        """Write an artifact: a dict as JSON, a frame as Parquet, a figure as PNG (and its phone form
        beside it, core.figures), or anything with a `to_json(path)` (the fitted models). Returns
        nothing, so a notebook cell that ends with it shows no path."""
        path = self.path(key)
        suffix = path.suffix
        if suffix == ".json" and isinstance(obj, dict):
            path.write_text(json.dumps(jsonable(obj), indent=2, ensure_ascii=False), encoding="utf-8")
        elif suffix == ".json" and hasattr(obj, "to_json"):
            obj.to_json(path)
        elif suffix == ".parquet":
            obj.to_parquet(path, **options)
        elif suffix == ".png":
            from retention_lib.core import figures   # matplotlib: loaded by the notebooks that draw, not by every run
            figures.save_png(obj, path, **options)
            phone = stages.ARTIFACTS.get(stages.phone_key(key))
            if phone is not None and figures.phone_form(obj) is not None:
                figures.save_png(figures.phone_form(obj), self.path(phone.key), **options)
            elif phone is not None:   # a figure without one: no earlier phone form stays beside it
                (self.run_dir / phone.path).unlink(missing_ok=True)
        else:
            raise TypeError(f"cannot write {type(obj).__name__} as {key} ({path.name})")

    def read(self, key: str):
        """An artifact by key: JSON as a dict, Parquet as a frame, anything else as its path.

        A missing artifact whose part was declared unavailable is None; otherwise it is a bug
        (the stage that writes it did not run, or did not write it) and raises MissingArtifact.
        """
        spec = stages.artifact(key)
        path = self.run_dir / spec.path
        if not path.exists():
            part = stages.PART_OF_ARTIFACT.get(key)
            if (part is not None and self.reason(part.name)) or not spec.required:
                return None
            stage = stages.STAGE_OF_PART[part.name].notebook if part else "the pipeline"
            raise MissingArtifact(f"{spec.path} ({key}) is missing: it is written by {stage}, which has not "
                                  f"run for {self.month} in {self.run_dir}")
        if path.suffix == ".json":
            return json.loads(path.read_text(encoding="utf-8"))
        if path.suffix == ".parquet":
            return pd.read_parquet(path)
        return path

    # ---- parts that are unavailable this month (retention_lib.stages)

    def _status(self) -> dict:
        path = self.run_dir / stages.RUN_FILES["status"].path
        return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {"unavailable": {}}

    def unavailable_messages(self) -> dict[str, Message | str]:
        """Every part declared unavailable this month with its reason (a Message, or a plain text
        from the models), in the stages' order."""
        return {part: messages.from_json(r) for part, r in self._status()["unavailable"].items()}

    def unavailable_parts(self) -> dict[str, str]:
        """Every part declared unavailable this month with its reason rendered as text, in the
        stages' order (for logs and the manifest; the report renders unavailable_messages)."""
        return {part: messages.render(r) for part, r in self.unavailable_messages().items()}

    def reason(self, part: str) -> Message | str | None:
        """Why `part` is unavailable this month (a Message, or a plain text); None when it is available."""
        stages.part(part)
        return messages.from_json(self._status()["unavailable"].get(part))

    def unavailable(self, part: str, reason: Message | str) -> None:
        """Declare a part unavailable this month; any of its artifacts already written go. A
        Message is stored as {"key", "params"} and rendered when it is read."""
        spec = stages.part(part)
        for a in spec.artifacts:
            (self.run_dir / a.path).unlink(missing_ok=True)
        self._set_reason(part, reason if isinstance(reason, Message) else str(reason))

    def available(self, part: str) -> None:
        """Clear an earlier unavailability (a notebook re-run on better data)."""
        self._set_reason(part, None)

    def _set_reason(self, part: str, reason: Message | str | None) -> None:
        status = self._status()
        status["unavailable"].pop(part, None)
        if reason is not None:
            status["unavailable"][part] = messages.to_json(reason)
        order = list(stages.PART_BY_NAME)  # the stages' order: the order a reader meets them
        status["unavailable"] = dict(sorted(status["unavailable"].items(), key=lambda kv: order.index(kv[0])))
        path = self.run_dir / stages.RUN_FILES["status"].path
        path.write_text(json.dumps(status, indent=2, ensure_ascii=False), encoding="utf-8")

    @contextmanager
    def part(self, *names: str):
        """Run a part of a stage: a known data condition inside marks the parts unavailable with
        its message (shown in the notebook) instead of failing; any other exception propagates."""
        for name in names:
            self.available(name)
        try:
            yield
        except DataCondition as exc:
            for name in names:
                self.unavailable(name, exc.message)
            _show_unavailable(names, exc.message)


def _complaints_as_of(complaints: pd.DataFrame, end: pd.Timestamp) -> pd.DataFrame:
    """Complaints closed after the month's end were still open at the end."""
    later = complaints["closed_at"] >= end
    out = complaints.copy()
    out.loc[later, "closed_at"] = pd.NaT
    out.loc[later, "resolved"] = False
    return out


def _show_unavailable(parts, reason: Message | str) -> None:
    try:
        from IPython.display import Markdown, display
    except ImportError:  # pragma: no cover - IPython is a dependency
        return
    titles = ", ".join(stages.title(p) for p in parts)
    display(Markdown(messages.render(Message("notebook.unavailable", titles=html.escape(titles),
                                             reason=html.escape(messages.render(reason))))))


def jsonable(obj):
    """JSON-ready: numpy scalars to Python, NaN/NA to None, timestamps and periods to ISO text."""
    if isinstance(obj, Message):  # rendered when read, in the reader's language
        return obj.to_dict()
    if isinstance(obj, dict):
        return {str(k): jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [jsonable(v) for v in obj]
    if isinstance(obj, (bool, np.bool_)):
        return bool(obj)
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        return float(obj) if np.isfinite(obj) else None
    if isinstance(obj, (pd.Timestamp, pd.Period, datetime, date)):
        return None if pd.isna(obj) else str(obj)
    if obj is pd.NA or obj is pd.NaT or obj is None:
        return None
    if isinstance(obj, (str, int)):
        return obj
    return str(obj)


