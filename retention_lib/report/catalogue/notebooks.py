"""The notebooks' words in English. Markdown cells: one `nb.*` key per markdown cell of notebooks/NN_*.ipynb
(the cell's metadata "text" names it); the .ipynb holds this English as it is (tools/notebook_text.py --write),
and a run or `make lab LANGUAGE=…` shows each cell in the reader's language (report/notebook_text). Names a
Chinese reader also reads as written (settings, files, models, `P(alive)`) are in backticks. Then the words
the notebooks' code cells show.
"""

MESSAGES: dict[str, str] = {
    # ---------------------------------------------------------------- notebook 01: data quality
    "nb.01.intro": "# 01 · Data quality\n\n"
                   "What was loaded for the month, what was set aside and why, and whether every day and store has "
                   "data. Rows that break a rule are never dropped silently: each one is in `rejects.csv` in the run "
                   "folder with its rule and reason.",
    "nb.01.loaded": "## What was loaded\n\n"
                    "Rows read from each file, rows set aside by validation, and rows dated after the reported month "
                    "(kept in the source, not used in this month's figures).",
    "nb.01.rejects": "## Rows set aside, by reason\n\n"
                     "Each rule with the number of rows it set aside and the first row numbers as the client sees "
                     "them in the file (CSV/Excel: the header is row 1).",
    "nb.01.coverage": "## Coverage of the month by day and store\n\n"
                      "Every store with at least one basket in the month (the KPI report counts the same stores). A "
                      "day at zero means no basket was recorded that day: a closed store, or a missing extract to ask "
                      "the client about.",
    "nb.01.membership": "## Member and non-member baskets\n\n"
                        "Non-member baskets count in store-level revenue but not in customer models (they have no "
                        "customer id). A *purchase* is a basket whose lines net to more than zero: the KPI board "
                        "(notebook 02) counts purchases, so the baskets that net to zero or less (returns, or nothing "
                        "charged) are the difference between the two counts.",
    "nb.01.flags": "## What looks wrong\n\n"
                   "Months of history whose data changed since the last published report (revenue then and now), "
                   "customer ids holding too many baskets for one shopper (a till's walk-in id), baskets far outside "
                   "their store's usual amounts, months without any transaction, and the month's stored-value top-ups "
                   "(not sales). The rules are in `retention_lib/data/quality.py`; the flagged baskets' ids are in "
                   "`artifacts/data_quality.json`.",
    # ---------------------------------------------------------------- notebook 02: KPI board
    "nb.02.intro": "# 02 · The monthly KPI board\n\n"
                   "How many members shopped, how many are new, how many slipped away, and what they spent — for the "
                   "month, against the month before (month on month) and the same month a year earlier (year on "
                   "year). Settings left at `None` come from the config's `settings`, else the default shown.",
    "nb.02.definitions": "## Definitions\n\n"
                         "- **Members who shopped**: at least one purchase basket (net amount above zero) in the "
                         "month. **New**: their first purchase in the data falls in the month. **Returning**: shopped "
                         "and not new; of them, *returned* members were not in the base when the month began (lapsed, "
                         "dormant or lost).\n"
                         "- **The lifecycle** (every member's one state at each month-end): *new*, *active* (bought "
                         "within the lapse rule's `N` days), *at risk* (active but drifting: split off by the churn "
                         "model in notebook 03), *lapsed this month* (the day their silence reached `N` days falls in "
                         "the month), *dormant* (lapsed earlier, silent fewer days than the win-back window) and "
                         "*lost*. **The base** = new + active + at risk; base at the end = base at the start + new + "
                         "returned − lapsed.\n"
                         "- **Churn rate** = members lapsed in the month ÷ the base at its start. **Retention rate** "
                         "= 1 − churn rate.\n"
                         "- **Repurchase rate**: of last month's shoppers, the share who bought again this month. "
                         "**Visits per active member** = member purchase baskets ÷ members who shopped.\n"
                         "- **Average basket value** = revenue ÷ purchase baskets (members and non-members). "
                         "**Revenue per active member** = members' revenue ÷ members who shopped. Revenue is net of "
                         "returns.\n"
                         "- **Complaint rate** = complaints opened per 1,000 purchase baskets. **NPS** = % promoters "
                         "(9–10) − % detractors (0–6); **CSAT** = % of answers 4 or 5 (both only when the source has "
                         "surveys/complaints).",
    "nb.02.stores": "## Per store\n\n"
                    "The month's main KPIs per store, largest revenue first: the first `store_table_top` stores (a "
                    "setting, 15 unless the config says otherwise) one by one and the others summed in one line, so "
                    "the rows add up to all stores. Every store and month is in `artifacts/kpis_monthly.parquet`.",
    "nb.02.trends": "## Trends\n\n"
                    "The thirteen months to the reported month, or fewer when the data starts later; the reported "
                    "month is shaded, months without data inside that span are gaps, and panels without any data are "
                    "left out.",
    "nb.02.cohorts": "## Cohort retention\n\n"
                     "Members grouped by the month they joined (or first bought): the share of each cohort who bought "
                     "in each later month. Month 0 is the joining month. Cohorts that started before the data are "
                     "left out; cells after the reported month are blank. Where the join date is the first purchase "
                     "in the data (as in `The Complete Journey`), the first month's cohort also holds every existing "
                     "customer.",
    # ---------------------------------------------------------------- notebook 03: churn model
    "nb.03.intro": "# 03 · Who is leaving: the churn model\n\n"
                   "A `BTYD` model (`BG/NBD`, `Fader, Hardie & Lee 2005`, or one of its relatives) learns from each "
                   "member's purchase history — how many repeat purchase days (`frequency`), when the last one was "
                   "(`recency`) and how long they have been a customer (`T`), all in weeks — how often members buy "
                   "and how likely they are to have quietly left. It gives every member a **`P(alive)`**: the "
                   "probability that they are still a customer. When the data cannot support the model (nobody has "
                   "lapsed yet, or too short a history), members are judged by the **lapse rule** instead: days since "
                   "their last purchase against their own usual gap between visits; the notebook and the report say "
                   "which was used and why. With `model: auto` (the default) the backtest below picks the model: the "
                   "one whose per-member forecasts of the held-out months erred least, `BG/NBD` unless another beats "
                   "it by more than `model_margin`. Settings left at `None` come from the config's `settings`, else "
                   "the default shown.",
    "nb.03.backtest": "## Can we trust the model? Backtest on held-out months\n\n"
                      "The model is fitted on history up to the start of the holdout and then predicts the held-out "
                      "months; the table compares predicted with actual purchases of the same members. *MAE* and "
                      "*bias* are per member, in purchase days over the holdout; two forecasts that need no model "
                      "stand beside the models: `naive_rate`, each member's weekly rate over the calibration period, "
                      "and `naive_recent`, each member repeating their last weeks (as many as the holdout has); the "
                      "Brier score measures the predicted chance of buying at all in the holdout (0 is perfect, lower "
                      "is better). Points on the diagonal of the calibration chart mean the predicted chances came "
                      "true; the decile table shows how well the model ranks members (10 = highest predicted).",
    "nb.03.regularity": "## Do members buy on a rhythm?\n\n"
                        "Grocery shoppers often come back on a rhythm (every week, every fortnight). Two estimates of "
                        "the Erlang shape `k` of the gaps between purchase days: about 1 means no rhythm (the "
                        "exponential timing `BG/NBD` assumes), 2 or more a clear one, which the `BG/CNBD-k` and "
                        "`MBG/CNBD-k` models use. The Wheat–Morrison estimate reads it from each member's last two "
                        "gaps, the most recent rhythm; the maximum-likelihood fit uses every gap of every member, "
                        "with members' rates varying. The chart divides each gap by the member's own mean gap: with "
                        "no rhythm the bars fall from 0 like the dashed curve, with a rhythm they bunch around 1. "
                        "Days are whole, so no gap is shorter than a day; for members who shop every few days that "
                        "alone looks like a rhythm, and the maximum-likelihood `k` can read 2 where the timing is "
                        "close to chance.",
    "nb.03.fit": "## The model fitted on all history to the month's end",
    "nb.03.p_alive_matrix": "`P(alive)` by history: members who bought often but not recently (bottom right is "
                            "recent, top left is long silent) are the ones the model fears for.",
    "nb.03.at_risk": "## Members at risk and newly at risk this month\n\nEvery member's state at the month's end comes from "
                     "the lifecycle: *new* (first purchase this month), *active* (bought within the lapse rule's days), "
                     "*lapsed this month*, *dormant* (lapsed earlier, inside the win-back window) or *lost*. *At risk* is "
                     "split off the active: by the model, a chance of buying nothing next month (`P(no purchase next "
                     "month)`) at or above the threshold; by the lapse rule, silent for more than twice their usual gap "
                     "between visits. So a member at risk still shops, and a member already past the lapse rule's days is "
                     "lapsed, dormant or lost, never at risk. *Newly at risk*: at risk now and not at the end of last "
                     "month (judged with this month's model). The chance of buying nothing next month ranks next month's "
                     "non-buyers better than `P(alive)` or days since the last purchase do; the ledger scores it every "
                     "month (notebook 07).",
    # ---------------------------------------------------------------- notebook 04: CLV
    "nb.04.intro": "# 04 · What customers are worth: CLV\n\n"
                   "Customer lifetime value combines how many purchases each member is expected to make (the churn "
                   "model of notebook 03) with how much they spend per purchase day (a Gamma-Gamma model, which "
                   "shrinks each member's own average spend towards the store average when they have few purchases). "
                   "When a model cannot be used on this month's data, a simpler estimate takes its place and says so. "
                   "Settings left at `None` come from the config's `settings`, else the default shown.",
    "nb.04.spend": "## Spend per purchase (Gamma-Gamma)\n\n"
                   "The model assumes that how much a member spends per visit does not depend on how often they come. "
                   "The correlation between repeat purchases and average spend checks that; above 0.3 in size the CLV "
                   "of heavy or light buyers may be biased.",
    "nb.04.clv": "## CLV and the value in play\n\n"
                 "*CLV* is the expected, discounted margin, by lifecycle state. *Value in play* is what an action "
                 "could add: for members at risk, what they would add if they were surely still customers (CLV if "
                 "retained − CLV); for lapsed and dormant members, what winning them back would add. New and active "
                 "members need no such action, and lost members are beyond the win-back window.",
    "nb.04.stored_value": "## Stored value at risk (储值沉淀)\n\n"
                          "The stored-value balance (储值余额) and points (积分) that members at risk, lapsed this month or "
                          "dormant hold on their cards, as the member table gives them, and apart those of lost "
                          "members (money still owed to people gone). A balance reminder is the cheapest win-back "
                          "message. Nothing to show when the member table has neither column.",
    # ---------------------------------------------------------------- notebook 05: segments
    "nb.03.effects": "## Who buys more and who leaves sooner\n\n"
                     "`BG/NBD` with static covariates (as CLVTools fits them): each member's purchase rate and the odds "
                     "of leaving after a purchase move with their attributes (home store, the customer table's "
                     "demographics, whether their latest survey answer in the last year was a detractor's, whether "
                     "they complained in the last year), all in one model, so each effect is against members otherwise "
                     "alike. A ratio above 1 means more; an effect is *clear* when its 95% interval excludes 1. Where "
                     "leaving's effects cannot be told apart (leaving is the rarer event), buying's are shown alone. Read "
                     "leaving's with care: BG/NBD counts leaving per purchase, so a member who buys less has fewer "
                     "chances to leave, and their odds can run against the silence notebook 06 counts; the report "
                     "quotes buying's only.",
    "nb.05.intro": "# 05 · Segments, value tiers and why members leave\n\n"
                   "Who the members are by behaviour (RFM), what they are worth (value tiers from CLV and the churn "
                   "view), how they moved since last month, who is turning (early warning) and how lapsed members "
                   "differ from retained ones. It reads the churn and CLV scores of notebooks 03 and 04 (computed the "
                   "same way, with the config's settings, if they are missing), so *at risk* means here what it means "
                   "there. Settings left at `None` come from the config's `settings`, else the default shown.",
    "nb.05.rfm": "## RFM segments\n\n"
                 "`R` is recency in days, judged against the lifecycle's days (notebook 02's lapse rule `N` and the "
                 "win-back window `W`): **recent** = a purchase in the last `N` days (the base: new, active, at "
                 "risk), **gone quiet** = no purchase for `N` to `W − 1` days (lapsed this month or dormant), "
                 "**lost** = none for `W` days or more. Recency is never a quantile: on grocery data nearly everyone "
                 "bought in the last weeks, and a quintile of recency would call members who bought this month "
                 "\"lost\". `F` = purchase days and `M` = spend in the last 365 days, each scored 1–5 by quintile (5 "
                 "best; ties broken deterministically by the other measure, then recency, then customer id), with `FM "
                 "= ⌈(F + M) / 2⌉`. The first matching rule names the segment: **champions** recent and `FM` ≥ 4; "
                 "**new** recent and first purchase this month (the lifecycle's new members), at least `W` days after "
                 "the data starts (an earlier first purchase may be a lost member coming back); **loyal** recent and "
                 "`FM` = 3; **occasional** other recent members; **best customers gone quiet** gone quiet and `FM` ≥ "
                 "4; **gone quiet** the other gone-quiet members; **lost**. The member table (`segments_members`) "
                 "also carries `R`, `F` and `M` as high/low flags (`r_high` = recent; `f_high`, `m_high` = the upper "
                 "half).",
    "nb.05.tiers": "## Value tiers\n\n"
                   "The four tiers of the design describe living members: those in the base (new, active, at risk), "
                   "from each member's CLV (notebook 04). Thresholds come from this month's CLV distribution of those "
                   "members. Lapsed, dormant and lost members are in no tier: the table shows them by their state, so "
                   "its rows add up to every member.",
    "nb.05.migration": "## Migration since last month\n\n"
                       "Rows: the group at the end of last month; columns: the group now. RFM is rescored on last "
                       "month's data; last month's tiers judge last month's histories with this month's models (or "
                       "lapse rule) and thresholds, so a move reflects behaviour, not a refit. Members whose first "
                       "purchase was this month are in the last row. Revenue is this month's net spend of the members "
                       "in each cell.",
    "nb.05.early_warning": "## Early warning\n\nMembers are **flagged** when a sign that preceded lapses in real data shows (\"at "
                           "risk\" is a lifecycle state, notebook 03). A row lists every reason that fired: **likely to skip next"
                           " month** (the churn model gives at least 30% chance of no purchase next month); **rising risk** "
                           "(that chance rose by 0.2 or more since last month's end, or crossed the at-risk threshold this "
                           "month); **overdue** (silent for more than twice their own usual gap between visits, and at least a "
                           "week); **falling visit frequency** (purchase days in the last 8 weeks at most half of the member's "
                           "baseline rate); **spending less per visit** (still visiting, mean spend per visit at most 70% of the"
                           " baseline, Welch p < 0.05: spend moving elsewhere, not leaving); **low survey score** (latest answer"
                           " in 90 days NPS 0–6 or CSAT 1–2); **open or unresolved complaint** (raised in the last 90 days). "
                           "Overdue and falling frequency count only where the model gives at least 20% chance of no purchase "
                           "next month (without the model: silent two weeks or more): below that they preceded no more lapses "
                           "than among other members. The recent window is the last 8 weeks; the baseline is the 26 weeks before"
                           " it, shortened to the whole weeks the data has (the sentence below states the windows used), and "
                           "with fewer than 13 weeks of baseline the frequency and spend reasons are not checked. Members in the"
                           " base who bought in the windows used are checked. The list is `artifacts/early_warning.csv` in the "
                           "run folder; the report shows the counts, and notebook 07 how often last month's warnings came true. "
                           "In a month without the churn model, the two chance reasons are not checked.",
    "nb.05.drivers": "## Why members leave: lapsed against retained\n\n"
                     "Differences are lapsed minus retained, with 95% confidence intervals: Welch intervals for means "
                     "and Cohen's d (in standard deviations) for their size; for categories, the share of lapsed "
                     "members in a level minus the share of retained ones, with Newcombe intervals. An interval that "
                     "excludes 0 is a difference unlikely to be chance; it is an association, not proof of cause.",
    # ---------------------------------------------------------------- notebook 06: satisfaction
    "nb.06.intro": "# 06 · Satisfaction and complaints\n\n"
                   "How satisfied customers are (NPS, CSAT and `CES` where collected), which of the seven survey "
                   "dimensions drive satisfaction and which to fix first, how complaints are handled, and whether "
                   "dissatisfied members really leave. Every figure comes with a 95% interval: a change is called "
                   "*significant* only when the interval of the change excludes zero, and figures on fewer than 30 "
                   "responses are flagged. Settings left at `None` come from the config's `settings`, else the "
                   "default shown.",
    "nb.06.headline": "## Headline scores\n\n"
                      "*NPS* = % promoters (9–10) − % detractors (0–6), from −100 to 100; its interval uses the "
                      "trinomial variance of the two shares. *CSAT* = % of ratings 4–5 on the 1–5 scale, with a "
                      "Wilson interval. Changes are against the previous month and the same month a year ago, each "
                      "with the interval of the difference.",
    "nb.06.groups": "### By store and by channel, this month\n\n"
                    "Intervals are wide for small groups; `small_sample` marks fewer than 30 responses.",
    "nb.06.drivers": "## What drives satisfaction: the seven dimensions\n\n"
                     "*Importance* is each dimension's relative weight (`Johnson 2000`): its share of the variation "
                     "in the NPS rating that the seven ratings explain together. It is fair to dimensions that move "
                     "together, which plain regression coefficients are not. Intervals come from a seeded bootstrap "
                     "of responses; `p_top` is the share of resamples in which the dimension came first. Responses "
                     "that left a dimension blank are set aside (complete cases). *Performance* is the mean rating "
                     "(1–5) over the same months. **Fix first**: above-average importance and below-average "
                     "performance (the dashed lines are the means).",
    "nb.06.dimensions": "This month's ratings alone: mean rating and share of low scores (1–2), each with a 95% "
                        "interval.",
    "nb.06.complaints": "## Complaints\n\n"
                        "*Rate*: complaints opened in the month per 1,000 purchase baskets (exact Poisson interval). "
                        "*Time to resolve*: hours from opening to closing, among complaints closed and resolved this "
                        "month. *Service level*: a complaint is due in the month its deadline (opened + SLA hours) "
                        "falls; it breached the SLA when it was not closed and resolved by then (closed late, closed "
                        "unresolved, or still open). *Backlog past SLA*: complaints still open at the month's end "
                        "whose deadline has passed.",
    "nb.06.complaints_trend": "The 13-month trend: rate, time to resolve and SLA breaches per month.",
    "nb.06.behaviour": "## Do dissatisfied members leave?\n\n"
                       "Members who answered a survey in the months before the last weeks of the month are grouped by "
                       "the NPS rating of their last survey. *Churned*: no purchase in the last weeks to the month's "
                       "end (the window is a setting). `P(alive)` is the churn model's (notebook 03) at the month's "
                       "end; spend is net spend in the window. Churn shares have Wilson intervals, means have `t` "
                       "intervals.",
    "nb.06.themes": "## What customers write about\n\n"
                    "Comments are segmented (Chinese with `jieba`) and matched to a small lexicon of terms for each "
                    "dimension; a comment may touch several themes. Only counts are shown, never the comments: terms "
                    "appear only when at least five different comments use them, and numbers and likely names are "
                    "left out.",
    "nb.06.terms": "The most used terms, by the number of comments using them, in Chinese and in English.",
    # ---------------------------------------------------------------- notebook 07: actions
    "nb.07.intro": "# 07 · What to do, and did it work\n\n"
                   "The win-back and care lists for this month, last campaigns measured against their control groups, "
                   "and how last month's forecasts turned out. The lists are files in the run folder's `actions/` "
                   "(CSV and Excel) for the consultant; the emailed report carries only their counts and totals. "
                   "Settings left at `None` come from the config's `settings`, else the default shown.",
    "nb.07.lists": "## Who to contact: lists that follow from the members' states\n\n"
                   "**Retain** (留住): members at risk — still active, but drifting — ranked by their value at stake "
                   "(CLV if retained − CLV). **Win back** (唤回): members who lapsed this month and dormant members, "
                   "never the lost, ranked by the expected value of a contact: `P(alive)` × CLV if retained, so the "
                   "most recent and most valuable come first. **Welcome**: this month's new members, for a "
                   "second-visit offer. Members without marketing consent are left out (consent is opt-in: unknown "
                   "counts as no), and each list stops at the contact budget. Data without a consent field lets no "
                   "one be contacted; the lines then say what each list would hold. Every row carries the member's "
                   "home store, as the store pages count them.",
    "nb.07.care": "## Care lists\n\n"
                  "Birthdays next month among consenting members in the base (new, active or at risk), and holiday "
                  "greetings for the core and key value tiers.",
    "nb.07.campaigns": "## Last campaigns against their control groups\n\n"
                       "Over the weeks after each send: *reactivated* is the share who bought at all, *visits* the "
                       "purchase baskets and *spend* the net amount per targeted member. The uplift is treatment "
                       "minus control with a 95% interval; it is called significant only when the interval excludes "
                       "zero. A campaign without a randomised control group cannot be measured this way, nor can one "
                       "sent before the data starts (its window and the weeks before it are not in the data); the "
                       "report lists those on one line. Campaigns are in the order of their ids (by number when every "
                       "id is a number).",
    "nb.07.holdouts": "## Did last month's lists work? Contacted against held out\n\n"
                      "Each contact list keeps a random holdout: `holdout_share` of the members it would contact "
                      "(drawn per home store, with a seed from the config, the month and the list, so a re-run "
                      "draws the same) are not contacted; a list of fewer than `holdout_min_members` keeps none. "
                      "A published month's lists go to the ledger (`ledger/<config>.lists.parquet`). A list reaches "
                      "the stores on the next month's first day; once the data covers `list_window_weeks` after "
                      "that, each run measures it as a randomised campaign: the share of contacted and held-out "
                      "members who bought again in the window, the difference with Newcombe's 95% interval, and "
                      "the extra members and sales it implies, per list and per home store. An interval wider than "
                      "30 points says too few members to tell. Below, the store actions register "
                      "(`actions/action_register.xlsx`), filled in by the stores and dropped back into the client's "
                      "folder, is read: which of last month's store actions were done.",
    "nb.07.track_record": "## Last month's predictions against what happened\n\n"
                          "Every published run stores its forecasts for the next month in the ledger; here each "
                          "forecast month is scored against the purchase days members actually made. When the ledger "
                          "has no forecast for this month (the first published month, or one after a month that was "
                          "not published), the row is *reconstructed*: this month's churn model fitted on the data to "
                          "last month's end, forecasting as last month's run would have. It is marked so and never "
                          "written to the ledger.",
    # ---------------------------------------------------------------- words of the notebooks' code cells
    "notebook.title": "**{name}**, month **{month}**",
    "notebook.title.then": "{title}. {then}",
    "notebook.lab_copy": "The published month stays as it is: this notebook reads and writes a copy in `{lab}`.",
    # notebook 01: what was loaded, and the rows set aside (data/quality.loaded_tables, rejects_by_reason)
    "loaded.table": "table",
    "loaded.file": "file",
    "loaded.rows_read": "rows read",
    "loaded.rows_rejected": "rows rejected",
    "loaded.topup_rows": "stored-value top-ups (kept apart, no sales)",
    "loaded.rows_kept": "rows kept",
    "loaded.rows_after_month": "rows after the month (not used)",
    "loaded.null_like_ids": "customer ids read as no customer",
    "loaded.ignored_columns": "ignored columns",
    "loaded.not_supplied": "not supplied",
    "rejected.table": "table",
    "rejected.column": "column",
    "rejected.rule": "rule",
    "rejected.reason": "reason",
    "rejected.rows": "rows",
    "rejected.example_rows": "example rows",
    "source_table.transactions": "transactions",
    "source_table.customers": "customers",
    "source_table.surveys": "surveys",
    "source_table.complaints": "complaints",
    "source_table.campaigns": "campaigns",
}
