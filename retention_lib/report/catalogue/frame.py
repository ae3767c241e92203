"""Numbers and units, the parts a reader may miss, notebooks and the report's frame, in English."""

MESSAGES: dict[str, str] = {
    # ---------------------------------------------------------------- numbers and units
    "missing": "—",
    "range": "{lo} to {hi}",
    "list.separator": ", ",
    "list.semicolon": "; ",
    "currency.unit.CNY": "CNY",
    "currency.unit.USD": "USD",
    "list.and": "{head} and {last}",
    "value.percent": "{value:num1}%",
    "value.months": "{value:num1} months",
    "change.feature_pp": "{change} pp",
    "change.months": "{change} months",
    "unit.pp": "{value} pp",
    "unit.points": "{value} pts",
    "unit.hours": "{value} h",
    "unit.days": "{value} days",
    "change.relative": "{head} ({relative:spct1})",
    "months.one": "{n} month",
    "months.other": "{n} months",

    # ---------------------------------------------------------------- stage parts (what a reader misses)
    "part.data": "the validated data",
    "part.data_quality": "data quality",
    "part.kpis": "the KPI board",
    "part.cohorts": "cohort retention",
    "part.backtest": "the backtest of the churn model on held-out months",
    "part.regularity": "how regular members' purchase timing is",
    "part.churn_model": "the churn model's P(alive) and forecasts",
    "part.churn_scores": "who is at risk",
    "part.spend_model": "the Gamma-Gamma spend model",
    "part.clv": "CLV and the value at risk",
    "part.segments": "RFM segments and value tiers",
    "part.early_warning": "the early warning",
    "part.drivers": "how lapsed members differ from retained ones",
    "part.category_mix": "the category mix of lapsed and retained members",
    "part.satisfaction_data": "the satisfaction and complaints summary",
    "part.satisfaction": "NPS and CSAT",
    "part.satisfaction_drivers": "what drives satisfaction",
    "part.satisfaction_churn": "whether dissatisfied members leave",
    "part.comment_themes": "what customers write about",
    "part.complaints": "complaints and their handling",
    "part.actions": "the action lists",
    "unavailable.html": "<b>Not available this month: {titles}.</b> {reason}",
    "unavailable.console": "Parts unavailable on this data (see manifest.json):",
    # ---------------------------------------------------------------- console lines about the report (app/)
    "console.loading": "Loading and validating {name} ({file})",
    "console.store.unchanged": "{table}: {file} unchanged since it was validated; the data store's copy is used",
    "console.store.validating": "{table}: validating {file} ({mb:num1} MB) ...",
    "console.store.validating_table": "{table}: validating the engine's table {source} ({rows:count} rows) ...",
    "console.store.progress": "{table}: {rows:count} rows read and checked ({seconds:num1} s) ...",
    "console.store.resumed": "{table}: its first {rows:count} rows are as they were when validated; their outcome is "
                             "kept and only the rows after them are validated ...",
    "console.store.comparing": "{table}: {rows:count} rows read and checked in {seconds:num1} s; comparing rows "
                               "(repeated lines, reused keys, baskets with two customers or stores) on {engine} ...",
    "console.store.writing": "{table}: rows compared ({seconds:num1} s since the start); writing its {months:count} "
                             "month(s) into the data store ...",
    "console.store.quality": "Checking the data to the end of {month}: rejects, data quality, members not in the "
                             "customers table ...",
    "console.store.validated": "{table}: {kept:count} rows kept, {rejected:count} set aside, in {seconds:num1} s",
    "console.store.validated.topups": "{table}: {kept:count} rows kept, {rejected:count} set aside, {topups:count} "
                                      "stored-value top-ups kept apart (no sales), in {seconds:num1} s",
    "console.store.netting": "Netting lines into baskets on {engine} ...",
    "console.store.netted": "{baskets:count} baskets netted in {seconds:num1} s",
    "console.store.rebuilding": "{table}: {n:count} file(s) of the data store damaged, {file} {problem}; "
                                "revalidating {source} to rebuild them",
    "console.store.rebuilding_baskets": "baskets: {n:count} file(s) of the data store damaged, {file} {problem}; "
                                        "netting the lines again to rebuild them",
    "console.store.problem.missing": "is missing",
    "console.store.problem.changed": "has changed since it was written (its sha256 differs)",
    "console.store.problem.unreadable": "cannot be read",
    "console.store.current_unreadable": "The data store's record {file} cannot be read; every table is checked "
                                        "against its file again",
    "console.store.verifying": "Checking every file of the data store {store} by its sha256 ...",
    "console.store.verified": "Data store checked: {files:count} files, {mb:num1} MB read in {seconds:num1} s",
    "console.notebook": "[{i}/{n}] {notebook} ...",
    "console.notebook_done": "[{i}/{n}] {notebook} done in {seconds:num1} s",
    "console.parts_unavailable": " ({n} part(s) unavailable: {parts:list})",
    "console.report_written": "report.html written ({mb:num1} MB)",
    "console.report_for": "Report for {month}: {path}",
    "console.no_smtp": "no SMTP configured (`RETENTION_SMTP_HOST`): message written to {path}",
    "console.no_smtp.stores": "no SMTP configured (`RETENTION_SMTP_HOST`): {n:count} store email(s) written to "
                              "{folder}",
    "console.already_published": "{month} is already published; nothing to do (use --force to rebuild it)",
    "notebook.unavailable": "**Not available this month ({titles}):** {reason}",

    # ---------------------------------------------------------------- notebooks
    "notebook.run_folder": "{title} (run folder `{folder}`)",
    "notebook.no_rejects": "No rows were set aside.",
    "membership.member_revenue_share": "member share of revenue",
    "notebook.files_written": "Files written to `actions/`: {files:list}",
    "notebook.no_campaigns": "This data source has no campaigns.",
    "notebook.no_described": "No campaign without a control group to describe.",
    "notebook.no_forecasts": "No forecasts recorded for this month yet: the ledger fills as monthly runs are "
                             "published.",
    "parameter": "{name} = {value}",

    # ---------------------------------------------------------------- the report's frame
    "report.title": "Customer retention report · {month}",
    "report.subtitle": "{name} · reporting month {month} (data up to {data_end:date})",
    "report.simulated": "SIMULATED DATA: this report is built from the simulated demo store, not from a real "
                        "client.",
    "report.contents": "Contents",
    "section.key-findings": "Key findings",
    "section.kpis": "KPI board",
    "section.churn-value": "Churn and value",
    "section.segments": "Segments, early warning and churn drivers",
    "section.satisfaction": "Satisfaction and complaints",
    "section.actions": "Actions and their results",
    "section.data-quality": "Data quality",

}
