"""The stage contract: every stage of a month's run, the artifacts it reads and writes, and who
each artifact is for.

A stage is one numbered notebook (plus `prepare`, which validates the data before them). A
stage is made of *parts*, the units that can be unavailable: a part whose data condition makes
it impossible this month (nobody has lapsed yet, one month of history, no categories) is
declared unavailable with a reason a consultant can act on, and its artifacts are then not
expected. Every other artifact of the stage must exist after it ran; the pipeline checks it.

Artifacts are read and written by key through the run object (`Run.write`, `Run.read`,
`Run.path`); this module is the only place that names their files.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

from retention_lib.core import messages
from retention_lib.core.messages import Message

# Who an artifact is for.
REPORT = "report"      # shown in report.html
EMAIL = "email"        # shown in the monthly email (and in the report)
CUSTOMER = "customer"  # customer-level: stays in the run folder, for the consultant only
INTERNAL = "internal"  # passed between stages


@dataclass(frozen=True)
class Artifact:
    key: str
    path: str            # relative to the run folder
    audience: str
    description: str
    required: bool = True  # False: written only when there is something to show (never checked)
    stored: bool = False   # a validated table: in the source's data store, listed in the run's snapshot


@dataclass(frozen=True)
class Part:
    name: str            # its title, what a reader misses when it is unavailable, is Message(f"part.{name}")
    artifacts: tuple[Artifact, ...] = ()


@dataclass(frozen=True)
class Stage:
    name: str
    notebook: str | None   # None for `prepare`, which the pipeline runs itself
    title: str
    reads: tuple[str, ...]
    parts: tuple[Part, ...]

    @property
    def writes(self) -> tuple[str, ...]:
        return tuple(a.key for p in self.parts for a in p.artifacts)


def _a(key, path, audience, description, required=True) -> Artifact:
    return Artifact(key, path, audience, description, required)


def _data(table: str, description: str, required: bool = False) -> Artifact:
    """A validated table: not a file of the run but partitions of the data store (retention_lib.data.store),
    which data/snapshot.json lists; `Run.table` reads them."""
    return Artifact(table, f"data/{table}", INTERNAL, description, required, stored=True)


STAGES: tuple[Stage, ...] = (
    Stage("prepare", None, "Loading and validation", (), (
        Part("data", (
            _a("snapshot", "data/snapshot.json", INTERNAL,
               "the data store's partitions this month reads (to the month's end), with their sha256"),
            _data("transactions", "validated transaction lines to the month's end", True),
            _data("baskets", "lines netted into baskets to the month's end", True),
            _data("customers", "validated customers (when the source has them)"),
            _data("surveys", "validated survey responses (when the source has them)"),
            _data("complaints", "validated complaints as of the month's end (when the source has them)"),
            _data("campaigns", "validated campaign sends (when the source has them)"),
            _a("rejects", "rejects.csv", CUSTOMER, "every row set aside, with its rule and reason"),
            _a("data_quality", "artifacts/data_quality.json", INTERNAL, "what was read, kept and rejected"),
        )),
    )),
    Stage("data_quality", "01_data_quality.ipynb", "Data quality", ("data_quality", "baskets", "rejects"), (
        Part("data_quality", (
            _a("data_quality_summary", "artifacts/data_quality_summary.json", REPORT, "headline data-quality facts"),
            _a("coverage_chart", "artifacts/coverage.png", REPORT, "baskets per day and store in the month"),
        )),
    )),
    Stage("kpis", "02_kpis.ipynb", "KPI board", ("baskets", "complaints", "surveys", "customers"), (
        Part("kpis", (
            _a("kpis_monthly", "artifacts/kpis_monthly.parquet", INTERNAL, "every KPI per store and month"),
            _a("kpi_board", "artifacts/kpi_board.json", EMAIL, "the month's KPIs with changes, and the lapse rule"),
            _a("kpi_stores", "artifacts/kpi_stores.json", REPORT,
               "the month's KPIs per store (members by home store, baskets where they happened)"),
            _a("kpi_trends_chart", "artifacts/kpi_trends.png", REPORT, "13-month KPI trends"),
        )),
        Part("cohorts", (
            _a("cohort_retention", "artifacts/cohort_retention.parquet", INTERNAL, "share of each cohort active"),
            _a("cohort_chart", "artifacts/cohort_retention.png", REPORT, "cohort retention heatmap"),
        )),
    )),
    Stage("churn_model", "03_churn_model.ipynb", "Churn model", ("baskets", "kpi_board"), (
        Part("backtest", (
            _a("backtest", "artifacts/backtest.json", REPORT, "holdout metrics of the models"),
            _a("tracking_chart", "artifacts/tracking.png", REPORT, "weekly repeat purchases, actual vs model"),
            _a("calibration_chart", "artifacts/calibration.png", REPORT, "predicted vs actual chance of buying"),
        )),
        Part("regularity", (
            _a("regularity", "artifacts/regularity.json", REPORT,
               "how regular members' purchase timing is (Wheat-Morrison, Erlang-k maximum likelihood)"),
            _a("regularity_chart", "artifacts/regularity.png", REPORT,
               "gaps between purchase days over each member's mean gap, against no rhythm and the fitted one"),
        )),
        Part("churn_model", (
            _a("churn_model", "artifacts/churn_model.json", INTERNAL, "the fitted purchase model"),
            _a("forecasts", "artifacts/forecasts.parquet", CUSTOMER, "next month's forecast per member (ledger)"),
            _a("period_transactions_chart", "artifacts/period_transactions.png", REPORT,
               "members by repeat purchases, actual vs model"),
            _a("p_alive_matrix_chart", "artifacts/p_alive_matrix.png", REPORT, "P(alive) by frequency and recency"),
        )),
        Part("churn_scores", (
            _a("churn_scores", "artifacts/churn_scores.parquet", CUSTOMER, "churn status per member"),
            _a("churn_summary", "artifacts/churn_summary.json", REPORT, "members at risk, how it was judged"),
            _a("member_effects", "artifacts/member_effects.json", REPORT,
               "how members' attributes move buying and leaving (BG/NBD with covariates)"),
            _a("lifecycle", "artifacts/lifecycle.json", EMAIL,
               "members by lifecycle state per home store, now and last month, the month's flows"),
        )),
    )),
    Stage("clv", "04_clv.ipynb", "CLV", ("churn_scores", "churn_summary", "churn_model", "kpi_board", "customers"), (
        Part("spend_model", (
            _a("gamma_gamma", "artifacts/gamma_gamma.json", INTERNAL, "the fitted spend model"),
        )),
        Part("clv", (
            _a("clv_scores", "artifacts/clv_scores.parquet", CUSTOMER, "CLV per member"),
            _a("clv_summary", "artifacts/clv_summary.json", REPORT, "CLV by churn status and its convention"),
            _a("intervals", "artifacts/intervals.parquet", INTERNAL, "headline figures' ranges (ledger)"),
            _a("clv_chart", "artifacts/clv_groups.png", REPORT, "CLV and value at stake by churn status"),
        )),
        Part("stored_value", (
            _a("stored_value", "artifacts/stored_value.json", REPORT,
               "stored-value balance (储值余额) and points held by members per lifecycle state and home store; "
               "says so when the member table has neither"),
        )),
    )),
    Stage("segments", "05_segments.ipynb", "Segments, early warning and churn drivers",
          ("baskets", "transactions", "customers", "surveys", "complaints", "churn_scores", "clv_scores",
           "kpi_board"), (
        Part("segments", (
            _a("segments_members", "artifacts/segments_members.parquet", CUSTOMER, "segment and tier per member"),
            _a("segments_summary", "artifacts/segments_summary.json", REPORT, "segments, tiers and migration"),
            _a("rfm_chart", "artifacts/rfm_segments.png", REPORT, "members and revenue by RFM segment"),
            _a("tiers_chart", "artifacts/value_tiers.png", REPORT, "members and CLV by value tier"),
            _a("rfm_migration_chart", "artifacts/rfm_migration.png", REPORT, "RFM moves since last month"),
            _a("tier_migration_chart", "artifacts/tier_migration.png", REPORT, "tier moves since last month"),
        )),
        Part("early_warning", (
            _a("early_warning", "artifacts/early_warning.parquet", CUSTOMER, "flagged members with reasons"),
            _a("early_warning_list", "artifacts/early_warning.csv", CUSTOMER, "flagged members, for Excel"),
            _a("warnings", "artifacts/warnings.parquet", CUSTOMER, "flagged members' reasons by key (ledger)"),
            _a("early_warning_summary", "artifacts/early_warning_summary.json", REPORT, "members flagged by reason"),
            _a("early_warning_chart", "artifacts/early_warning.png", REPORT, "members flagged by reason"),
        )),
        Part("drivers", (
            _a("drivers_numeric", "artifacts/drivers_numeric.parquet", INTERNAL, "numeric differences"),
            _a("drivers_categorical", "artifacts/drivers_categorical.parquet", INTERNAL, "category differences"),
            _a("drivers", "artifacts/drivers.json", REPORT, "the comparison and its headline"),
            _a("drivers_chart", "artifacts/drivers.png", REPORT, "effect sizes with intervals"),
        )),
        Part("category_mix"),
    )),
    Stage("satisfaction", "06_satisfaction.ipynb", "Satisfaction and complaints",
          ("surveys", "complaints", "baskets", "churn_scores"), (
        Part("satisfaction_data", (
            _a("satisfaction_summary", "artifacts/satisfaction_summary.json", REPORT, "every satisfaction figure"),
        )),
        Part("satisfaction", (
            _a("satisfaction_monthly", "artifacts/satisfaction_monthly.parquet", INTERNAL, "scores per month"),
            _a("satisfaction_trend_chart", "artifacts/satisfaction_trend.png", REPORT, "NPS and CSAT by month"),
        )),
        Part("satisfaction_drivers", (
            _a("satisfaction_drivers", "artifacts/satisfaction_drivers.parquet", INTERNAL, "dimension importance"),
            _a("satisfaction_drivers_chart", "artifacts/satisfaction_drivers.png", REPORT,
               "importance vs performance"),
        )),
        Part("satisfaction_churn", (
            _a("satisfaction_behaviour", "artifacts/satisfaction_behaviour.parquet", INTERNAL,
               "churn by NPS group"),
            _a("satisfaction_churn_chart", "artifacts/satisfaction_churn.png", REPORT, "churn by NPS group"),
        )),
        Part("comment_themes", (
            _a("comment_themes_chart", "artifacts/comment_themes.png", REPORT, "comment themes by NPS group"),
        )),
        Part("complaints", (
            _a("complaints_monthly", "artifacts/complaints_monthly.parquet", INTERNAL, "complaints per month"),
            _a("complaints_chart", "artifacts/complaints.png", REPORT, "complaint rate by month and category"),
        )),
    )),
    Stage("actions", "07_actions.ipynb", "Actions and their results",
          ("baskets", "transactions", "customers", "campaigns", "churn_scores", "clv_scores",
           "segments_members"), (
        Part("actions", (
            _a("winback_csv", "actions/winback.csv", CUSTOMER, "win-back list"),
            _a("winback_xlsx", "actions/winback.xlsx", CUSTOMER, "win-back list, Excel"),
            _a("retain_csv", "actions/retain.csv", CUSTOMER, "members at risk to retain"),
            _a("retain_xlsx", "actions/retain.xlsx", CUSTOMER, "members at risk to retain, Excel"),
            _a("welcome_csv", "actions/welcome.csv", CUSTOMER, "new members for a second-visit offer"),
            _a("welcome_xlsx", "actions/welcome.xlsx", CUSTOMER, "new members for a second-visit offer, Excel"),
            _a("birthdays_csv", "actions/birthdays.csv", CUSTOMER, "birthday care list"),
            _a("birthdays_xlsx", "actions/birthdays.xlsx", CUSTOMER, "birthday care list, Excel"),
            _a("holiday_greetings_csv", "actions/holiday_greetings.csv", CUSTOMER, "holiday care list"),
            _a("holiday_greetings_xlsx", "actions/holiday_greetings.xlsx", CUSTOMER, "holiday care list, Excel"),
            _a("list_members", "artifacts/list_members.parquet", CUSTOMER,
               "each contact list's members, contacted or held out at random (ledger)"),
            _a("list_results", "artifacts/list_results.parquet", REPORT,
               "earlier lists measured: contacted against held out, per list and store (ledger)"),
            _a("action_follow_up", "artifacts/action_follow_up.json", REPORT,
               "the filled action register read back: earlier store actions done and not done"),
            _a("actions_summary", "artifacts/actions_summary.json", REPORT, "list counts, campaigns, track record"),
            _a("track_record_chart", "artifacts/track_record.png", REPORT,
               "forecasts against outcomes, once two months are recorded", required=False),
        )),
    )),
    Stage("report", "08_report.ipynb", "Report", ("kpis_monthly", "kpi_stores", "churn_scores", "churn_summary",
                                                   "clv_scores", "satisfaction_summary", "baskets", "complaints",
                                                   "stored_value"), (
        Part("store_pages", (
            _a("store_pages", "artifacts/store_pages.json", REPORT,
               "each store's KPIs, at-risk value, complaints and actions (aggregates only)"),
            _a("action_register", "actions/action_register.xlsx", INTERNAL,
               "the store actions to track: owner, due date and status for the stores to fill in"),
        )),
        Part("email_charts", (
            _a("email_trend_chart", "artifacts/email_trend.png", EMAIL,
               "revenue and active members per month, each against a year earlier"),
            _a("email_churn_chart", "artifacts/email_churn.png", EMAIL,
               "churn rate per month with its Wilson 95% interval, once a month has one", required=False),
        )),
    )),
)



def phone_key(key: str) -> str:
    """The key of a report chart's phone form (core.figures), written beside its desktop form."""
    return f"{key}_phone"


def _with_phone_forms(stage: Stage) -> Stage:
    """Every report chart with its phone form after it: <name>.phone.png, in the same part (gone when
    the part is unavailable), written when the chart has one."""
    def twins(a: Artifact) -> tuple[Artifact, ...]:
        if a.audience != REPORT or not a.path.endswith(".png"):
            return (a,)
        return a, _a(phone_key(a.key), a.path.removesuffix(".png") + ".phone.png", REPORT,
                     f"{a.description}, for a phone", required=False)
    return replace(stage, parts=tuple(replace(p, artifacts=tuple(x for a in p.artifacts for x in twins(a)))
                                      for p in stage.parts))


STAGES = tuple(map(_with_phone_forms, STAGES))

# Files of a published month that are not artifacts of a stage.
RUN_FILES = {
    "report_html": _a("report_html", "report.html", EMAIL, "the self-contained report (attached to the email)"),
    "manifest": _a("manifest", "manifest.json", INTERNAL, "stages, their status and every artifact's sha256"),
    "run_log": _a("run_log", "run.log", INTERNAL, "the run's progress, timestamped"),
    "status": _a("status", "status.json", INTERNAL, "parts declared unavailable, with their reasons"),
    "prepared": _a("prepared", "prepared.json", INTERNAL, "which config and month the folder was prepared for"),
}

STAGE_BY_NAME = {s.name: s for s in STAGES}
STAGE_BY_NOTEBOOK = {s.notebook: s for s in STAGES if s.notebook}
PART_BY_NAME = {p.name: p for s in STAGES for p in s.parts}
ARTIFACTS: dict[str, Artifact] = {a.key: a for s in STAGES for p in s.parts for a in p.artifacts} | RUN_FILES
STAGE_OF_PART = {p.name: s for s in STAGES for p in s.parts}
PART_OF_ARTIFACT = {a.key: p for s in STAGES for p in s.parts for a in p.artifacts}


def artifact(key: str) -> Artifact:
    try:
        return ARTIFACTS[key]
    except KeyError:
        raise KeyError(f"unknown artifact {key!r}: declare it in retention_lib/core/stages.py") from None


def part(name: str) -> Part:
    try:
        return PART_BY_NAME[name]
    except KeyError:
        raise KeyError(f"unknown part {name!r}: declare it in retention_lib/core/stages.py") from None


def stage_of_notebook(notebook: str) -> Stage | None:
    """The stage a notebook runs; None for a notebook the contract does not know (it checks nothing)."""
    return STAGE_BY_NOTEBOOK.get(notebook)


def title(name: str) -> str:
    """What a reader misses when the part is unavailable, in the current language."""
    return messages.render(Message(f"part.{part(name).name}"))


def by_reason(unavailable: dict[str, Message | str]) -> list[tuple[list[str], Message | str]]:
    """Unavailable parts grouped by their reason, in first-seen order: ([part titles], reason).
    Titles are rendered; the reason is as given (a Message renders when shown)."""
    groups: dict[Message | str, list[str]] = {}
    for name, reason in unavailable.items():
        groups.setdefault(reason, []).append(title(name))
    return [(titles, reason) for reason, titles in groups.items()]
