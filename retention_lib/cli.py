"""The `retention` command."""
from __future__ import annotations

import argparse
import sys

from .config import ConfigError
from .readers import ReadError
from .validation import ValidationError

EXIT_FAILED, EXIT_BAD_INPUT, EXIT_REFUSED = 1, 2, 3


def _run(args) -> int:
    from .pipeline import RunFailed, RunRefused, run_month

    try:
        result = run_month(args.config, args.month, reports_dir=args.reports_dir, force=args.force,
                           progress=lambda line: print(line, flush=True))
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
    with __import__("pandas").option_context("display.width", 120, "display.max_colwidth", 50):
        print(table.to_string(index=False, formatters={"ours": "{:.4f}".format}))
    failed = int((~table["ok"]).sum())
    print(f"{len(table) - failed} of {len(table)} published figures reproduced")
    return 0 if failed == 0 else EXIT_FAILED


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="retention", description="Monthly customer-retention report")
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="run every notebook for a month and publish reports/<YYYY-MM>/")
    run.add_argument("--month", help="YYYY-MM; default: the last complete month in the data")
    run.add_argument("--config", help="data source config (default: data/demo.yml)")
    run.add_argument("--force", action="store_true", help="replace an existing month")
    run.add_argument("--reports-dir", help="where month folders go (default: reports/)")
    run.set_defaults(func=_run)
    verify = sub.add_parser("verify-models", help="refit CDNOW and compare with the published figures")
    verify.set_defaults(func=_verify)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
