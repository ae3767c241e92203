"""The `retention` command: help with exit codes and examples, `send` for a missing month, and
timestamps on every console line."""
import json
import re
from datetime import datetime
from pathlib import Path

import pytest

from conftest import retention_cli
from retention_lib.app import cli, pipeline
from retention_lib.analytics.model_choice import choose_model
from retention_lib.core import stages
from retention_lib.report.text import render

README = Path(__file__).resolve().parents[2] / "README.md"
STAMP = re.compile(r"^(\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}) ")
COMMANDS = ("run", "send", "verify-models")


def help_of(command: str | None) -> str:
    parser = cli.build_parser()
    if command is None:
        return parser.format_help()
    sub = next(a for a in parser._actions if a.dest == "command")
    return sub.choices[command].format_help()


def codes_listed(help_text: str) -> set[int]:
    """The exit codes a help text's table lists ("  5    published, ..." or "  130, 143 ...")."""
    table = help_text.split("exit codes", 1)[1]
    found = set()
    for line in table.splitlines()[1:]:
        m = re.match(r"^\s+(\d+(?:,\s*\d+)*)\s{2,}\S", line) or re.match(r"^\s+(\d+(?:,\s*\d+)*) \S", line)
        if m:
            found |= {int(c) for c in m[1].split(",")}
    return found


def readme_exit_codes() -> set[int]:
    """The codes of README's exit-code table (| 0 | ... |, | 130, 143 | ... |)."""
    text = README.read_text(encoding="utf-8")
    table = text[text.index("| code | meaning |"):].split("\n\n", 1)[0]
    return {int(c) for row in re.findall(r"^\s*\| ([\d, ]+) \|", table, flags=re.M) for c in row.split(",")}


@pytest.mark.parametrize("command", [None, *COMMANDS])
def test_every_help_has_an_example_and_its_exit_codes(command):
    text = help_of(command)
    assert re.search(r"^examples?:\n  retention ", text, flags=re.M), text
    assert codes_listed(text), text


def test_run_help_lists_every_exit_code_the_readme_documents():
    documented = readme_exit_codes()
    assert {0, 1, 2, 3, 4, 5, 6, 7, 130, 143} <= documented  # the table was read
    assert codes_listed(help_of("run")) == documented
    assert codes_listed(help_of(None)) == documented


def test_help_keeps_the_exit_code_table_one_code_a_line():
    lines = help_of("run").split("exit codes", 1)[1].splitlines()[1:]
    assert [line.split()[0] for line in lines if line.strip()] == ["0", "1", "2", "3", "4", "5", "6", "7", "130,"]


@pytest.mark.parametrize("smtp", [False, True])
def test_send_for_a_month_that_does_not_exist_exits_2(tmp_path, monkeypatch, capsys, smtp):
    for key in [k for k in __import__("os").environ if k.startswith("RETENTION_")]:
        monkeypatch.delenv(key)
    if smtp:  # configured SMTP must not turn a missing month into a mail error (4)
        monkeypatch.setenv("RETENTION_SMTP_HOST", "127.0.0.1")
    (tmp_path / "2025-01").mkdir()  # another month is there; the one asked for is not
    (tmp_path / "2025-02.failed-20250301-063000").mkdir()  # a failed run is not a published month
    code = cli.main(["send", "--month", "2025-02", "--reports-dir", str(tmp_path)])
    assert code == cli.EXIT_BAD_INPUT == 2
    assert str(tmp_path / "2025-02") in capsys.readouterr().err


def test_send_with_a_bad_month_exits_2(tmp_path, capsys):
    assert cli.main(["send", "--month", "2025-13", "--reports-dir", str(tmp_path)]) == 2
    with pytest.raises(SystemExit) as caught:
        cli.main(["send"])
    assert caught.value.code == 2


def _lines_stamped(out: str) -> list[str]:
    lines = [line for line in out.splitlines() if line.strip()]
    assert lines
    unstamped = [line for line in lines if not STAMP.match(line)]
    assert unstamped == [], unstamped
    for line in lines:  # a real time, within the test's minute
        assert abs((datetime.now() - datetime.strptime(STAMP.match(line)[1], "%Y-%m-%d %H:%M:%S")).total_seconds()) < 120
    return lines


def test_every_console_line_of_a_partial_run_is_stamped(tmp_path, monkeypatch, capsys):
    unavailable = {"satisfaction": "the data has no surveys", "complaints": "the data has no complaints",
                   "backtest": "one month of history"}

    def fake_run_month(config, month, *, progress, **kw):
        progress(pipeline.timestamped("[1/8] 01_data_quality.ipynb ..."))  # the pipeline stamps its own lines
        return pipeline.RunResult("2017-06", tmp_path / "2017-06", tmp_path / "2017-06" / "report.html", unavailable)

    monkeypatch.setattr(pipeline, "run_month", fake_run_month)
    code = cli.main(["run", "--month", "2017-06", "--reports-dir", str(tmp_path)])
    assert code == cli.EXIT_PARTIAL
    lines = _lines_stamped(capsys.readouterr().out)
    shown = "\n".join(lines)
    for part in unavailable:
        assert stages.title(part) in shown
    assert STAMP.sub("", lines[-1]) == f"Report for 2017-06: {tmp_path / '2017-06' / 'report.html'}"


def test_the_console_stamp_is_the_run_log_stamp():
    line = pipeline.timestamped("report.html written")
    assert STAMP.match(line) and line.endswith(" report.html written")
    datetime.strptime(line[:19], "%Y-%m-%d %H:%M:%S")


def test_notebook_execution_logs_go_to_the_run_log_not_the_console(capfd):
    """A kernel killed mid-cell makes nbclient log "Kernel died" with a traceback; the run's console
    (cron's mail) keeps its one line and run.log keeps the record."""
    import logging

    from retention_lib.app import notebook_kernel

    lines: list[str] = []
    before = [(logging.getLogger(n).propagate, logging.getLogger(n).handlers[:]) for n in notebook_kernel.EXECUTION_LOGGERS]
    with notebook_kernel._execution_logs_into(lines):
        try:
            raise RuntimeError("boom")
        except RuntimeError:
            logging.getLogger("nbclient.client").error("Kernel died", exc_info=True)
        logging.getLogger("papermill").warning("a warning")
    assert lines == ["    nbclient.client: Kernel died", "    papermill: a warning"]
    assert capfd.readouterr().err == ""
    # afterwards the libraries log as they did before the run
    assert [(logging.getLogger(n).propagate, logging.getLogger(n).handlers) for n in notebook_kernel.EXECUTION_LOGGERS] \
        == before


def test_backtest_compares_models_and_baselines_and_writes_json(small_config, tmp_path):
    out = tmp_path / "out.json"
    proc = retention_cli("backtest", "--config", str(small_config), "--month", "2025-02", "--models", "bgnbd",
                         "bgcnbd", "--reports-dir", str(tmp_path / "reports"), "--json", str(out))
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    rows = json.loads(out.read_text(encoding="utf-8"))
    assert [r["model"] for r in rows][-2:] == ["naive_rate", "naive_recent"]
    assert [r["kind"] for r in rows] == ["bgnbd", "bgcnbd", "blend", "naive_rate", "naive_recent"]
    for row in rows:
        assert {"model", "params", "loglik", "aggregate_error_pct", "mae", "bias", "brier", "lift_monotone"} <= set(row)
        if row["usable"]:
            assert isinstance(row["lift_monotone"], bool) and row["mae"] >= abs(row["bias"]) >= 0
            assert f"{row['mae']:.4f}" in proc.stdout
    assert rows[0]["params"].keys() == {"r", "alpha", "a", "b"} and rows[0]["loglik"] < 0
    # the blend beside its parts, with its weights
    blend = rows[2]["params"]
    assert rows[2]["model"] == f"{blend['model']} + naive_recent" and rows[2]["loglik"] is None
    assert f"weights  {blend['model']} {blend['model_weight']:.2f}, naive_recent {blend['recent_weight']:.2f}" \
        in proc.stdout
    assert "per member" in proc.stdout
    # what model: auto would make of them, by the same rule as the report
    choice = choose_model("auto", rows, 0.01)
    assert f"model: auto (margin 1%): Churn model: {render(choice['model'])}," in proc.stdout
    # a holdout longer than the history allows: a clear error, not a traceback
    proc = retention_cli("backtest", "--config", str(small_config), "--month", "2025-02", "--holdout-months", "12",
                         "--reports-dir", str(tmp_path / "reports"))
    assert proc.returncode == 2 and "Traceback" not in proc.stderr and "months" in proc.stderr
