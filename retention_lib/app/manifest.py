"""manifest.json of a month's run: what was run, on what, with what result, every artifact with its sha256."""
from __future__ import annotations

import os
import platform
import socket
from datetime import datetime
from pathlib import Path

from retention_lib import __version__
from retention_lib.core import stages
from retention_lib.core.config import Config
from retention_lib.data.store import sha256


def build_manifest(run, cfg: Config, stage_log: list[dict], started: datetime, data_end, unavailable: dict) -> dict:
    """What was run, on what, with what result: the only home of volatile facts besides run.log."""
    folder = run.run_dir
    declared = {a.path: a for a in stages.ARTIFACTS.values()}
    artifacts = []
    for spec in stages.ARTIFACTS.values():
        path = folder / spec.path
        if spec.key in ("manifest", "run_log", "status", "prepared") or not path.exists():
            continue
        part = stages.PART_OF_ARTIFACT.get(spec.key)
        artifacts.append({"key": spec.key, "path": spec.path, "audience": spec.audience,
                          "stage": stages.STAGE_OF_PART[part.name].name if part else None,
                          "part": part.name if part else None, "bytes": path.stat().st_size,
                          "sha256": sha256(path)})
    undeclared = [str(p.relative_to(folder)) for sub in ("artifacts", "actions", "data")
                  for p in sorted((folder / sub).rglob("*")) if p.is_file()
                  and str(p.relative_to(folder)) not in declared]
    if undeclared:
        raise RuntimeError(f"files not declared in retention_lib/core/stages.py: {undeclared}")
    stage_rows = []
    for row in stage_log:
        stage = stages.STAGE_BY_NAME.get(row["name"])
        gone = {p.name: unavailable[p.name] for p in (stage.parts if stage else ()) if p.name in unavailable}
        stage_rows.append({**row, "status": "unavailable" if gone else "ok", "unavailable": gone})
    sources = [{"table": name, "path": str(t.path), "bytes": t.path.stat().st_size, "sha256": sha256(t.path)}
               for name, t in cfg.tables.items() if t.path is not None and t.path.exists()]
    return {
        "product": "retention-report", "version": __version__, "month": str(run.month),
        "config": {"path": str(cfg.path), "name": cfg.name, "sha256": sha256(cfg.path)},
        "data_source": {"source": cfg.source, "simulated": cfg.simulated, "files": sources,
                        "data_end": str(data_end), "data_end_from": "config" if cfg.data_end else "clock"},
        "run": {"started_at": started.isoformat(timespec="seconds"),
                "finished_at": datetime.now().isoformat(timespec="seconds"),
                "host": socket.gethostname(), "pid": os.getpid(), "python": platform.python_version()},
        "data_snapshot": data_snapshot(run.snapshot()),
        # months an earlier published report covered whose data changed since (data/history), revenue then and now
        "history_changes": (run.read("data_quality") or {}).get("history_changes"),
        "status": "unavailable" if unavailable else "ok",
        "stages": stage_rows,
        "artifacts": artifacts,
        "notebooks": [{"path": p.name, "sha256": sha256(p)} for p in sorted(folder.glob("*.ipynb"))],
    }


def data_snapshot(snap: dict) -> dict:
    """The validated data the month read: the store and each partition with its sha256 (the run
    folder holds no copy; the same partitions give the same artifacts)."""
    return {"id": snap["id"], "store": snap["store"],
            "partitions": [{"table": table, **part} for table, parts in snap["tables"].items() for part in parts]}
