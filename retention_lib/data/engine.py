"""The engine that scans lines and baskets: an Ibis backend, DuckDB embedded by default, Spark for a
chain that outgrows one machine (`engine:` in the config, `retention run --engine spark`).

Every scan is an Ibis expression, so the same code runs on either; only per-customer and per-month
results come back to pandas. One connection per process and engine settings: a Spark session takes
seconds to start, so it is made once and shared.
"""
from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import warnings
from pathlib import Path

import ibis

from retention_lib.core.config import Engine

# Ibis 12 reads pandas' `future.infer_string` option, which pandas 3 deprecates: upstream's to fix.
warnings.filterwarnings("ignore", message=".*future.infer_string", module=r"ibis\.")
# Ibis 12 calls duckdb 1.5's deprecated fetch_arrow_table/fetch_record_batch (the reason for duckdb<2).
warnings.filterwarnings("ignore", message=r"fetch_\w+\(\) is deprecated", category=DeprecationWarning,
                        module=r"ibis\.")

# Spark settings we rely on: UTC so timestamps mean the same on both engines, no web UI on a server,
# fewer shuffle partitions than the default 200 for a machine of a few cores.
LOG_CONFIG = Path(__file__).with_name("spark-log4j2.properties")   # errors only: the run prints its own progress
JAVA_OPTIONS = f"-Duser.timezone=UTC -Dlog4j2.configurationFile=file:{LOG_CONFIG}"
SPARK_DEFAULTS = (("spark.sql.session.timeZone", "UTC"), ("spark.ui.enabled", "false"),
                  ("spark.ui.showConsoleProgress", "false"), ("spark.sql.shuffle.partitions", "16"),
                  ("spark.sql.parquet.outputTimestampType", "TIMESTAMP_MICROS"),
                  # tables Spark manages go to the temp folder, never into the folder cron runs in
                  ("spark.sql.warehouse.dir", str(Path(tempfile.gettempdir()) / "retention-spark-warehouse")),
                  ("spark.driver.extraJavaOptions", JAVA_OPTIONS), ("spark.executor.extraJavaOptions", JAVA_OPTIONS))


DUCKDB_MEMORY_LIMIT = "4GB"   # engine.memory_limit when the config gives none


class EngineUnavailable(RuntimeError):
    """The configured engine cannot start here (pyspark or Java missing): says what to install."""


_OPEN: dict = {}   # one connection per engine settings and process


def connect(engine: Engine = Engine(), spill_dir: Path | None = None):
    """The Ibis backend for `engine`; DuckDB spills to `spill_dir` beyond its memory limit."""
    if engine.backend == "spark":
        key = ("spark", engine.master, engine.conf)
        make = lambda: _spark(engine.master, engine.conf)   # noqa: E731
    else:
        key = ("duckdb", engine.memory_limit, str(spill_dir) if spill_dir else None, engine.attach)
        make = lambda: _duckdb(*key[1:])   # noqa: E731
    if key not in _OPEN:
        _OPEN[key] = make()
    return _OPEN[key]


def release(keep_spark: bool = False) -> None:
    """Close this process's connections and hand their memory back (the pipeline, once the data store
    is up to date: its notebooks' kernel has its own; that kernel between notebooks, keeping a Spark
    session, which takes seconds to start)."""
    for key, con in list(_OPEN.items()):
        if key[0] == "spark" and keep_spark:
            continue
        if key[0] == "spark":
            con._session.stop()
        else:
            con.disconnect()
        del _OPEN[key]
    import ctypes
    import ctypes.util

    import pyarrow as pa

    pa.default_memory_pool().release_unused()
    try:
        ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):   # not glibc
        pass


def _duckdb(memory_limit: str | None, spill_dir: str | None, attach: tuple[tuple[str, str], ...] = ()):
    # streams big scans (every query orders itself); beyond the limit, sorts and aggregations spill to
    # disk, so a chain's scan leaves memory to the notebooks' kernels
    options = {"preserve_insertion_order": False, "memory_limit": memory_limit or DUCKDB_MEMORY_LIMIT}
    if spill_dir:
        Path(spill_dir).mkdir(parents=True, exist_ok=True)
        options["temp_directory"] = spill_dir
    con = ibis.duckdb.connect(**options)
    # cron's log gets the run's own step lines, not a bar (in a notebook, where the bar is a widget,
    # DuckDB refuses `SET enable_progress_bar` without ipywidgets; the pragma works everywhere)
    con.raw_sql("PRAGMA disable_progress_bar")
    for name, path in attach:   # a client's DuckDB warehouse: its tables are sources, never written to
        if not Path(path).exists():
            raise EngineUnavailable(f"engine.attach.{name}: the database file {path} does not exist")
        con.raw_sql(f"ATTACH '{path}' AS \"{name}\" (READ_ONLY)")
    return con


def java_version() -> int | None:
    """The major version of the `java` on PATH (or JAVA_HOME), None when there is none."""
    import re
    import subprocess

    java = Path(os.environ["JAVA_HOME"]) / "bin" / "java" if os.environ.get("JAVA_HOME") else shutil.which("java")
    if not java or not Path(java).exists():
        return None
    try:
        out = subprocess.run([str(java), "-version"], capture_output=True, text=True, timeout=30).stderr
    except (OSError, subprocess.TimeoutExpired):
        return None
    match = re.search(r'version "(\d+)', out)
    return int(match.group(1)) if match else None


def spark_missing() -> str | None:
    """Why Spark cannot run here (pyspark not installed, no Java 17+), or None when it can."""
    try:
        import pyspark  # noqa: F401
    except ImportError:
        return "pyspark is not installed: pip install -e '.[spark]'"
    version = java_version()
    if version is None:
        return "no Java on PATH: Spark 4 needs Java 17 or later (apt install openjdk-17-jre-headless)"
    if version < 17:
        return f"Java {version} is too old: Spark 4 needs Java 17 or later"
    return None


def _spark(master: str, conf: tuple[tuple[str, str], ...]):
    missing = spark_missing()
    if missing:
        raise EngineUnavailable(f"the config asks for the Spark engine, but {missing}")
    from pyspark.sql import SparkSession

    builder = SparkSession.builder.appName("retention-report")
    builder = builder.remote(master) if master.startswith("sc://") else builder.master(master)
    for key, value in dict(SPARK_DEFAULTS + conf).items():
        builder = builder.config(key, value)
    session = builder.getOrCreate()
    if not master.startswith("sc://"):   # a Connect session has no local context
        session.sparkContext.setLogLevel("ERROR")
    return ibis.pyspark.connect(session)


def write_parquet(con, expr, folder: Path, partition_by: str | None = None) -> None:
    """Write `expr` as Parquet files under `folder` (in `folder`/<partition_by>=<value>/ when given), by
    the engine's own writer: a result too big for memory goes straight to disk."""
    if con.name == "duckdb":
        if partition_by:
            con.to_parquet(expr, folder, partition_by=partition_by)
        else:
            folder.mkdir(parents=True, exist_ok=True)
            con.to_parquet(expr, folder / "part-0.parquet")
    else:
        options = {"partitionBy": partition_by} if partition_by else {}
        con.to_parquet(expr, folder, mode="overwrite", **options)


def scan_folder(con, folder: Path):
    """One table over the Parquet files that `write_parquet` wrote to `folder`."""
    return scan(con, sorted(folder.rglob("*.parquet")))


def scan(con, files: list[Path]):
    """One table over Parquet files with one schema (DuckDB and Spark each read the list in one scan;
    Ibis' Spark reader takes one path, so Spark's own reader makes a view of them all, named by them:
    a union of a hundred month files would make every plan a hundred scans long).

    Scans read Parquet, never `ibis.memtable` of a DataFrame on Spark: pyspark 4.0 turns pandas 3's
    missing strings into the text "NaN" there (a member id "NaN" instead of a non-member basket)."""
    if not files:
        raise ValueError("no Parquet files to scan")
    paths = [str(f) for f in files]
    if con.name == "duckdb":
        return con.read_parquet(paths)
    name = "scan_" + hashlib.sha256("\n".join(paths).encode()).hexdigest()[:16]
    con._session.read.parquet(*paths).createOrReplaceTempView(name)
    return con.table(name)


def source_table(con, name: str):
    """A table the engine already has, by `[database.]table`: Spark's catalog, or a database the config
    attaches to DuckDB (`engine.attach`)."""
    database, _, table = name.rpartition(".")
    try:
        return con.table(table, database=database or None)
    except Exception as exc:   # each backend has its own "not found"
        raise EngineUnavailable(f"the engine has no table {name} ({type(exc).__name__}: {exc})") from exc


def source_batches(con, table, rows_per_chunk: int):
    """A source table's rows as DataFrames of up to `rows_per_chunk` rows, in the order of all their
    columns: a table has no order of its own, and this one numbers the same row the same on every run."""
    ordered = table.order_by(list(table.columns))
    for batch in con.to_pyarrow_batches(ordered, chunk_size=rows_per_chunk):
        yield batch.to_pandas()


def table_fingerprint(con, table) -> dict:
    """A source table's rows and a digest of its content (a sum of row hashes, in any order): a changed
    row changes it, so a month's run revalidates only when the table did."""
    row = ibis.literal("\u241f").join([table[c].cast("string").fill_null("\u2400") for c in table.columns])
    found = con.to_pyarrow(table.aggregate(rows=table.count(), digest=(row.hash() % 1_000_000_007).sum()))
    found = found.to_pylist()[0]
    rows, digest = int(found["rows"]), int(found["digest"] or 0)
    return {"rows": rows, "sha256": hashlib.sha256(f"{table.schema()}|{rows}|{digest}".encode()).hexdigest()}


def run_table(run, name: str):
    """A validated table of a month's run (its snapshot's partitions) on the run's engine, as Ibis."""
    return scan(connect(run.config.engine, run.config.store_dir / ".spill"), run.table_files(name))


def as_table(data):
    """An Ibis table as it is; Parquet files (a path or a list) scanned on DuckDB; a DataFrame (small data:
    a test, a notebook's frame) as a memtable."""
    if isinstance(data, ibis.Table):
        return data
    if isinstance(data, (str, os.PathLike)):
        data = [data]
    if isinstance(data, list):
        return scan(connect(), [Path(f) for f in data])
    return ibis.memtable(data)


def backend_of(table):
    """The backend an Ibis table is bound to; DuckDB for tables of frames only."""
    try:
        return table._find_backend(use_default=False)
    except ibis.common.exceptions.IbisError:   # memtables are bound to no backend
        return connect()
