"""retention_lib: the logic behind the monthly customer-retention report.

Layers, each importing only those below it: core (config and settings, schema, the stage
contract, the run folder, statistics) < data (reading, validating, aggregating, sources) <
models (summaries, BTYD, CLV, backtests) < analytics (KPIs, churn, value, segments,
satisfaction, actions) < report (findings, wording, charts, HTML) < delivery (email) < app
(pipeline, CLI).
"""
from retention_lib.core.config import Config, load_config
from retention_lib.core.run import Run
from retention_lib.data import prepare
from retention_lib.data.engine import run_table
from retention_lib.report import language


def open_run(config=None, month: str | None = None, run_dir=None, **options) -> Run:
    """The month's run (data/prepare.open_run), with the reader's language set to the run's, so a
    notebook speaks the report's language."""
    run = prepare.open_run(config, month, run_dir, **options)
    language.use(run.config.language)
    return run


__all__ = ["Config", "Run", "load_config", "open_run", "run_table"]
__version__ = "0.1.0"
