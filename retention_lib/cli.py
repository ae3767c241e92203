"""The `retention` command."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .config import PROJECT_ROOT, ConfigError
from .readers import ReadError
from .validation import ValidationError

REPORTS_DIR = PROJECT_ROOT / "reports"
EXIT_FAILED, EXIT_BAD_INPUT, EXIT_REFUSED, EXIT_MAIL = 1, 2, 3, 4


def _run(args) -> int:
    from .mail import MailError
    from .pipeline import RunFailed, RunRefused, run_month

    try:
        result = run_month(args.config, args.month, reports_dir=args.reports_dir, force=args.force,
                           progress=lambda line: print(line, flush=True), email=args.email,
                           if_missing=args.if_missing)
    except MailError as exc:
        print(f"error: the report was published but the email was not sent: {exc}\n"
              f"it waits in the month's outbox; retry with: retention send --month {args.month or 'YYYY-MM'}",
              file=sys.stderr)
        return EXIT_MAIL
    except (ValidationError, ConfigError, ReadError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except RunRefused as exc:
        print(f"refused: {exc}", file=sys.stderr)
        return EXIT_REFUSED
    except RunFailed as exc:
        print(f"error: run failed in {exc}\nthe failed run is kept in {exc.failed_dir}", file=sys.stderr)
        return EXIT_FAILED
    print(f"Report for {result.month}: {result.report}")
    return 0


def _verify(args) -> int:
    from .verify import verify

    table = verify()
    print(table.to_string(index=False, formatters={"ours": "{:.4f}".format}))
    failed = int((~table["ok"]).sum())
    print(f"{len(table) - failed} of {len(table)} published figures reproduced")
    return 0 if failed == 0 else EXIT_FAILED


def _send(args) -> int:
    from .mail import OUTBOX, MailError, SmtpSettings, send_outbox

    outbox = Path(args.reports_dir or REPORTS_DIR) / args.month / OUTBOX
    try:
        settings = SmtpSettings.from_env()
        if settings is None:
            print("error: no SMTP configured (set RETENTION_SMTP_HOST and friends)", file=sys.stderr)
            return EXIT_MAIL
        sent = send_outbox(outbox, settings, log=lambda line: print(line, flush=True))
    except MailError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_MAIL
    print(f"sent {len(sent)} message(s) from {outbox}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="retention", description="Monthly customer-retention report")
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="run every notebook for a month and publish reports/<YYYY-MM>/")
    run.add_argument("--month", help="YYYY-MM; default: the last complete month in the data")
    run.add_argument("--config", help="data source config (default: data/demo.yml)")
    run.add_argument("--force", action="store_true", help="replace an existing month")
    run.add_argument("--reports-dir", help="where month folders go (default: reports/)")
    run.add_argument("--email", action="append", default=[], metavar="ADDRESS",
                     help="also email the report to ADDRESS (repeatable; adds to the config's recipients)")
    run.add_argument("--if-missing", action="store_true",
                     help="exit 0 without running when the month is already published (for schedulers)")
    run.set_defaults(func=_run)
    send = sub.add_parser("send", help="send the emails still waiting in a month's outbox")
    send.add_argument("--month", required=True, help="YYYY-MM")
    send.add_argument("--reports-dir", help="where month folders are (default: reports/)")
    send.set_defaults(func=_send)
    verify = sub.add_parser("verify-models", help="refit CDNOW and compare with the published figures")
    verify.set_defaults(func=_verify)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
