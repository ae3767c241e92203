"""The `retention` command."""
from __future__ import annotations

import argparse
import shlex
import sys
import textwrap
from pathlib import Path

from retention_lib.core.config import BACKENDS, LANGUAGES, ConfigError
from retention_lib.core.settings import AUTO, AUTO_CANDIDATES, MODELS
from retention_lib.data.engine import EngineUnavailable
from retention_lib.core.paths import REPORTS_DIR
from retention_lib.data.readers import ReadError
from retention_lib.data.validation import ValidationError

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT, EXIT_REFUSED, EXIT_MAIL, EXIT_PARTIAL, EXIT_LOCKED = 0, 1, 2, 3, 4, 5, 6
EXIT_MACHINE = 7   # a fault of the machine or its setup (retention_lib.core.faults)
EXIT_CODES = f"""exit codes:
  {EXIT_OK}    published; every part of the report is available
  {EXIT_FAILED}    a notebook failed (a bug, or a cell past settings.cell_timeout_s); nothing was published
  {EXIT_BAD_INPUT}    bad input, config or arguments (the message names the file, column, row and rule)
  {EXIT_REFUSED}    the month is already published (use --force to replace it, --if-missing to accept it)
  {EXIT_MAIL}    published, but the email could not be sent (it waits in the month's outbox)
  {EXIT_PARTIAL}    published, but some parts are unavailable on this data (manifest.json says which and why)
  {EXIT_LOCKED}    another run of the same month is in progress in the same reports folder
  {EXIT_MACHINE}    a fault of the machine or setup (a missing or unreadable file, a full disk, a folder not writable)
  130, 143 interrupted by SIGINT or SIGTERM; the run is kept as <month>.failed-<time>"""


def _reports_dir(args) -> Path:
    return Path(args.reports_dir) if args.reports_dir else REPORTS_DIR


def _send_hint(args, month: str) -> str:
    extra = f" --reports-dir {shlex.quote(args.reports_dir)}" if args.reports_dir else ""
    return f"retention send --month {month}{extra}"


def _run(args) -> int:
    from retention_lib.core.faults import machine_fault
    from retention_lib.delivery.smtp import MailError, SmtpSettings, SmtpSettingsError
    from retention_lib.report import text
    from retention_lib.app.pipeline import (BadMonth, RunFailed, RunInterrupted, RunLocked, RunRefused, check_month,
                                            run_month, timestamped, unavailable_summary)

    try:
        check_month(args.month)
        SmtpSettings.from_env()   # a bad RETENTION_SMTP_* setting stops the run before it starts
        if args.verify_store:     # every file of the data store by its sha256 first; a damaged one is rebuilt
            from retention_lib.core.config import load_config
            from retention_lib.data import store
            from retention_lib.report import language

            cfg = load_config(args.config).in_language(args.lang).on_engine(args.engine)
            language.use(cfg.language)
            store.verify(cfg, say=lambda message: print(timestamped(text.render(message)), flush=True))
        result = run_month(args.config, args.month, reports_dir=args.reports_dir, force=args.force,
                           progress=lambda line: print(line, flush=True), email=args.email,
                           if_missing=args.if_missing, language=args.lang, engine=args.engine)
    except (BadMonth, SmtpSettingsError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except MailError as exc:
        month = getattr(exc, "month", None) or args.month or "YYYY-MM"
        print(f"error: the report was published but the email was not sent: {exc}\n"
              f"it waits in the month's outbox; retry with: {_send_hint(args, month)}", file=sys.stderr)
        return EXIT_MAIL
    except (ValidationError, ConfigError, ReadError, EngineUnavailable) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except RunRefused as exc:
        print(f"refused: {exc}", file=sys.stderr)
        return EXIT_REFUSED
    except RunLocked as exc:
        print(f"refused: {exc}", file=sys.stderr)
        return EXIT_LOCKED
    except RunFailed as exc:
        unwritten = f" ({exc.unwritten})" if exc.unwritten else ""
        if exc.machine:
            print(f"error: {exc.machine}; the failed run is kept in {exc.failed_dir}{unwritten}", file=sys.stderr)
            return EXIT_MACHINE
        print(f"error: run failed in {exc}\nthe failed run is kept in {exc.failed_dir}{unwritten}", file=sys.stderr)
        return EXIT_FAILED
    except RunInterrupted as exc:
        kept = f"; the run is kept in {exc.failed_dir}" if exc.failed_dir else ""
        print(f"interrupted by {exc}{kept}", file=sys.stderr)
        return 128 + exc.signum
    except Exception as exc:   # a fault of the machine (a full disk, a folder not writable) is one line; a bug raises
        fault = machine_fault(exc, fallback=_reports_dir(args))
        if fault is None:
            raise
        print(f"error: {fault}", file=sys.stderr)
        return EXIT_MACHINE
    for line in unavailable_summary(result.unavailable):
        print(timestamped(line))
    print(timestamped(text.say("console.report_for", month=result.month, path=str(result.report))))
    return EXIT_PARTIAL if result.unavailable else EXIT_OK


def _verify(args) -> int:
    from retention_lib.models.verify import verify

    table = verify()
    print(table.to_string(index=False, formatters={"ours": "{:.4f}".format}))
    failed = int((~table["ok"]).sum())
    print(f"{len(table) - failed} of {len(table)} published figures reproduced")
    return 0 if failed == 0 else EXIT_FAILED


def _ledger(args) -> int:
    from retention_lib.app.track_record import lines
    from retention_lib.core.config import load_config
    from retention_lib.report import language

    try:
        cfg = load_config(args.config).in_language(args.lang)
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    language.use(cfg.language)
    print("\n".join(lines(_reports_dir(args), cfg)))
    return EXIT_OK


def _backtest(args) -> int:
    import json

    import retention_lib as rl
    from retention_lib.analytics.churn import backtest_window
    from retention_lib.analytics.model_choice import choice_note, choose_model
    from retention_lib.app.pipeline import BadMonth, check_month
    from retention_lib.core.conditions import DataCondition
    from retention_lib.core.run import jsonable
    from retention_lib.models.backtest import compare_models
    from retention_lib.models.blend import KIND as BLEND, RECENT as BLEND_RECENT
    from retention_lib.report import text

    try:
        check_month(args.month)
        run_dir = None
        if args.reports_dir:   # the lab folder a notebook would use, under these reports
            from retention_lib.core.config import load_config
            from retention_lib.data.prepare import default_run_dir

            run_dir = default_run_dir(load_config(args.config), args.month or "latest", Path(args.reports_dir))
            if not args.month and run_dir.exists():
                import shutil
                shutil.rmtree(run_dir)   # the latest month may have moved on
        run = rl.open_run(args.config, args.month, run_dir)
        holdout = args.holdout_months or int(run.setting("holdout_months"))
        cal_end, obs_end = backtest_window(run, holdout)
        table, results = compare_models(rl.run_table(run, "baskets"), cal_end, obs_end, tuple(args.models),
                                        max_seconds=run.setting("fit_budget_s"), margin=run.setting("model_margin"))
    except (BadMonth, ValidationError, ConfigError, ReadError, EngineUnavailable) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except DataCondition as exc:
        print(f"error: {text.say(exc.message) if not isinstance(exc.message, str) else exc.message}", file=sys.stderr)
        return EXIT_BAD_INPUT
    print(f"backtest of {run.config.slug} {run.month}: fitted to {cal_end.date()}, holdout to {obs_end.date()} "
          f"({holdout} months); MAE and bias are per member, in purchase days over the holdout")
    for row in table.to_dict("records"):
        print(f"\n{row['model']}")
        if not row["usable"]:
            print(f"  cannot be used: {row['note']}")
            continue
        if row["kind"] == BLEND:
            b = row["params"]
            print(f"  weights  {b['model']} {b['model_weight']:.2f}, {BLEND_RECENT} {b['recent_weight']:.2f}, chosen "
                  f"on an earlier split: fitted to {b['inner_calibration_end']}, scored to "
                  f"{b['inner_observation_end']} (MAE {b['inner_mae']:.4f})")
        elif row["params"]:
            print("  parameters  " + ", ".join(f"{k} = {v:.4g}" for k, v in row["params"].items()))
        if row["log_likelihood"] == row["log_likelihood"]:
            print(f"  log-likelihood  {row['log_likelihood']:,.2f}")
        print(f"  aggregate holdout error  {row['aggregate_error_pct']:+.2f}%  "
              f"({row['predicted_purchases']:,.0f} predicted, {row['actual_purchases']:,.0f} actual)")
        print(f"  per-member MAE  {row['mae']:.4f}   bias  {row['bias']:+.4f}   Brier  {row['brier_active']:.4f}")
        print(f"  decile lift monotone  {'yes' if row['lift_monotone'] else 'no'}")
    if results:   # what the report's `model: auto` would make of these candidates
        weeks = next(iter(results.values())).metrics["holdout_weeks"]
        choice = choose_model(AUTO, table.to_dict("records"), run.setting("model_margin"), weeks)
        print(f"\nmodel: auto (margin {run.setting('model_margin'):.0%}): {text.say(choice_note(choice))}")
    if args.json:
        out = [{"model": r["model"], "kind": r["kind"], "usable": r["usable"], "params": r["params"],
                "loglik": r["log_likelihood"], "aggregate_error_pct": r["aggregate_error_pct"], "mae": r["mae"],
                "bias": r["bias"], "brier": r["brier_active"], "lift_monotone": r["lift_monotone"],
                "note": r["note"] or None} for r in table.to_dict("records")]
        Path(args.json).write_text(json.dumps(jsonable(out), indent=2) + "\n", encoding="utf-8")
        print(f"\nwritten: {args.json}")
    return EXIT_OK


def _init(args) -> int:
    """`retention init FILE…`: write a first config guessed from a client's export (retention_lib.app.init)."""
    from retention_lib.app.init import InitError, run_init

    try:
        return run_init(args.files, output=args.output, name=args.name, force=args.force).code
    except (InitError, ReadError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT


def _send(args) -> int:
    from retention_lib.delivery.smtp import OUTBOX, MailError, SmtpSettings, SmtpSettingsError, send_outbox
    from retention_lib.app.pipeline import BadMonth, check_month, timestamped

    try:
        check_month(args.month)
    except BadMonth as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    folder = _reports_dir(args) / args.month
    if not folder.is_dir():
        print(f"error: {folder} does not exist: no published report for {args.month}", file=sys.stderr)
        return EXIT_BAD_INPUT
    outbox = folder / OUTBOX
    try:
        settings = SmtpSettings.from_env()
        if settings is None:
            print("error: no SMTP configured (set RETENTION_SMTP_HOST and friends)", file=sys.stderr)
            return EXIT_MAIL
        sent = send_outbox(outbox, settings, log=lambda line: print(timestamped(line), flush=True))
    except SmtpSettingsError as exc:   # a bad RETENTION_SMTP_* setting is bad input
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except MailError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_MAIL
    print(timestamped(f"sent {len(sent)} message(s) from {outbox}"))
    return EXIT_OK


class _Help(argparse.RawDescriptionHelpFormatter):
    """Keeps the epilog's lines (examples, the exit-code table) as written; wraps the description."""

    def _fill_text(self, text, width, indent):
        return textwrap.fill(text, min(width, 88), initial_indent=indent, subsequent_indent=indent) \
            if "\n" not in text else super()._fill_text(text, width, indent)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="retention", description="Monthly customer-retention report", formatter_class=_Help,
        epilog="examples:\n  retention run\n  retention run --config data/completejourney.yml --month 2017-06\n"
               "  retention send --month 2025-12\n  retention verify-models\n"
               "  retention backtest --config data/completejourney.yml --month 2017-12\n"
               "  retention ledger --config data/demo.yml\n"
               "  retention init clients/greenvalley/ --output data/greenvalley.yml\n\n"
               + EXIT_CODES.replace("exit codes:", "exit codes of retention run:", 1))
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser(
        "run", help="run every notebook for a month and publish reports/<YYYY-MM>/", formatter_class=_Help,
        description="Run every notebook for a month with papermill and publish reports/<YYYY-MM>/: the "
                    "executed notebooks, report.html, manifest.json and the artifacts; then write the email "
                    "to the month's outbox and send it when RETENTION_SMTP_HOST is set.",
        epilog="examples:\n  retention run                                   # demo store, last complete month\n"
               "  retention run --config data/completejourney.yml --month 2017-12\n"
               "  retention run --month 2025-11 --force --email manager@example.com\n"
               "  retention run --month 2025-11 --lang en --reports-dir /tmp/english   # the same month in English\n"
               "  retention run --config chain.yml --engine spark   # scans on Spark (pip install -e '.[spark]', Java 17)\n\n"
               + EXIT_CODES)
    run.add_argument("--month", help="YYYY-MM; default: the last complete month in the data")
    run.add_argument("--config", help="data source config (default: data/demo.yml)")
    run.add_argument("--force", action="store_true", help="replace an existing month")
    run.add_argument("--lang", choices=LANGUAGES, help="the report's language (default: the config's "
                     "report.language, else en)")
    run.add_argument("--engine", choices=BACKENDS, help="where scans of lines and baskets run (default: the "
                     "config's engine.backend, else duckdb)")
    run.add_argument("--reports-dir", help="where month folders go (default: reports/)")
    run.add_argument("--email", action="append", default=[], metavar="ADDRESS",
                     help="also email the report to ADDRESS (repeatable; adds to the config's recipients)")
    run.add_argument("--if-missing", action="store_true",
                     help="exit 0 without running when the month is already published (for schedulers)")
    run.add_argument("--verify-store", action="store_true",
                     help="first check every file of the data store by its sha256 (each run checks size and "
                          "mtime) and rebuild a damaged one from its source file")
    run.set_defaults(func=_run)
    send = sub.add_parser(
        "send", help="send the emails still waiting in a month's outbox", formatter_class=_Help,
        description="Send every message still waiting in reports/<YYYY-MM>/outbox/ over the SMTP server "
                    "configured in the environment (RETENTION_SMTP_*).",
        epilog="example:\n  retention send --month 2025-12 --reports-dir /srv/reports\n\nexit codes:\n"
               f"  {EXIT_OK}    every waiting message was sent\n"
               f"  {EXIT_BAD_INPUT}    no such month, a bad --month, or a bad RETENTION_SMTP_* setting\n"
               f"  {EXIT_MAIL}    no SMTP configured, nothing to send, or the server refused")
    send.add_argument("--month", required=True, help="YYYY-MM")
    send.add_argument("--reports-dir", help="where month folders are (default: reports/)")
    send.set_defaults(func=_send)
    verify = sub.add_parser(
        "verify-models", help="refit CDNOW and compare with the published figures", formatter_class=_Help,
        description="Refit the models on CDNOW (shipped with lifetimes) and compare with the published figures.",
        epilog=f"example:\n  retention verify-models\n\nexit codes:\n  {EXIT_OK}    every figure within its tolerance\n"
               f"  {EXIT_FAILED}    at least one figure outside its tolerance")
    verify.set_defaults(func=_verify)
    backtest = sub.add_parser(
        "backtest", help="compare the models and two naive forecasts on a client's held-out months",
        formatter_class=_Help,
        description="Fit each model on the history up to the holdout and score its forecast of the held-out "
                    "months, beside two forecasts that need no model: each member's calibration weekly rate "
                    "(naive_rate) and each member repeating their last N weeks, N the holdout's length "
                    "(naive_recent). MAE and bias are per member, in purchase days over the holdout. "
                    "Nothing is published; the data is prepared in reports/lab/ as a notebook would.",
        epilog="example:\n  retention backtest --config data/completejourney.yml --month 2017-12 --json out.json\n\n"
               f"exit codes:\n  {EXIT_OK}    compared\n  {EXIT_BAD_INPUT}    bad input or arguments, or too short a "
               "history for the holdout")
    backtest.add_argument("--config", help="data source config (default: data/demo.yml)")
    backtest.add_argument("--month", help="YYYY-MM, the holdout's last month; default: the last complete month")
    backtest.add_argument("--models", nargs="+", choices=MODELS,
                          default=list(AUTO_CANDIDATES), help="the models to compare (default: %(default)s)")
    backtest.add_argument("--holdout-months", type=int, help="months held out (default: settings.holdout_months)")
    backtest.add_argument("--json", metavar="FILE", help="also write one object per model and baseline to FILE")
    backtest.add_argument("--reports-dir", help="whose lab/ folder keeps the prepared data (default: reports/)")
    backtest.set_defaults(func=_backtest)
    book = sub.add_parser(
        "ledger", help="print the track record: forecasts against outcomes, lists against their holdouts",
        formatter_class=_Help,
        description="Print a config's track record from its published months: the churn model's forecasts "
                    "scored against what happened, and every contact list measured, contacted members against "
                    "the random holdout kept out of it, per list and home store.",
        epilog="example:\n  retention ledger --config data/demo.yml --reports-dir /srv/reports\n\n"
               f"exit codes:\n  {EXIT_OK}    printed (also when nothing is recorded yet)\n"
               f"  {EXIT_BAD_INPUT}    a bad config")
    book.add_argument("--config", help="data source config (default: data/demo.yml)")
    book.add_argument("--reports-dir", help="where month folders are (default: reports/)")
    book.add_argument("--lang", choices=LANGUAGES, help="the language (default: the config's report.language)")
    book.set_defaults(func=_ledger)
    init = sub.add_parser(
        "init", help="write a first config for a client's POS export, guessed from its files", formatter_class=_Help,
        description="Look at each file (CSV, Excel, Parquet, or every such file in a folder): its encoding, "
                    "delimiter, title rows and header; recognise its columns (Chinese or English names) as "
                    "sales lines or members; write a commented config that says what was guessed and why; "
                    "then validate the first rows as a first run would, and print what it would set aside.",
        epilog="examples:\n  retention init clients/greenvalley/\n"
               "  retention init pos.csv members.xlsx --name 绿谷超市 --output data/greenvalley.yml\n\n"
               f"exit codes:\n  {EXIT_OK}    the config was written\n"
               f"  {EXIT_BAD_INPUT}    a required column was not found (the config is written with a TODO line to fill "
               "in), no file could be read, or the written config is not accepted\n"
               f"  {EXIT_REFUSED}    the config file exists (use --force to replace it)")
    init.add_argument("files", nargs="+", metavar="FILE", help="the client's files, or a folder of them")
    init.add_argument("--output", help="the config to write (default: data/<name>.yml)")
    init.add_argument("--name", help="the source's name in the report (default: the folder's name)")
    init.add_argument("--force", action="store_true", help="replace an existing config")
    init.set_defaults(func=_init)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
