"""The churn drivers: how lapsed members differed from retained ones, with intervals."""
from __future__ import annotations

import html

from IPython.display import HTML

from retention_lib.core.run import Run
from retention_lib.report import text
from retention_lib.report.comparisons import group_sizes
from retention_lib.report.sections.common import image, unavailable
from retention_lib.report.text import say_html


def coverage_lines(drv: dict) -> list[str]:
    """One line per set of categorical variables known for only some members (demographics, as a
    rule): for how many in each group, and whether that is enough to call a difference significant."""
    seen: dict[tuple, list[str]] = {}
    for c in drv["categorical"]:
        n = (c["n_lapsed"], c["of_lapsed"], c["n_retained"], c["of_retained"])
        if (n[0], n[2]) != (n[1], n[3]) and c["variable"] not in seen.setdefault(n, []):
            seen[n].append(c["variable"])
    lines = []
    for (n_lapsed, of_lapsed, n_retained, of_retained), variables in seen.items():
        enough = min(n_lapsed, n_retained) >= drv["min_group_n"]
        lines.append(say_html("drivers.coverage" if enough else "drivers.coverage.too_few",
                              variables=text.listing([text.label("variable", v) for v in variables]),
                              n_lapsed=n_lapsed, of_lapsed=of_lapsed, n_retained=n_retained,
                              of_retained=of_retained, min_group_n=drv["min_group_n"]))
    return lines


def drivers_items(run: Run) -> list:
    """The drivers' paragraphs, their significant differences with their n, and the chart (aggregates only)."""
    drv = run.read("drivers")
    cur = run.config.currency
    items = unavailable(run, "drivers", "category_mix")
    if not drv:
        return items
    intro = " ".join([say_html("drivers.intro", groups=drv["groups"])]
                     + [html.escape(text.render(n)) for n in drv["notes"]])
    items.append(HTML(f"<p>{intro}</p>"))
    lines = []
    for h in drv["headline"]:
        f = h["feature"]
        lines.append(say_html("drivers.numeric", name=text.feature_label(f, "feature_name"),
                              lapsed=text.feature_value(f, h["lapsed"], cur),
                              retained=text.feature_value(f, h["retained"], cur),
                              difference=text.feature_change(f, h["difference"], cur),
                              ci_low=text.feature_change(f, h["ci_low"], cur), ci_high=text.feature_change(f, h["ci_high"], cur),
                              cohens_d=h["cohens_d"], groups=group_sizes(h)))
    for c in drv["categorical_headline"]:
        lines.append(say_html("drivers.categorical", variable=text.label("variable", c["variable"]),
                              level=text.level(c["level"]), lapsed_share=c["lapsed_share"],
                              retained_share=c["retained_share"], difference=c["difference"],
                              ci_low=c["ci_low"], ci_high=c["ci_high"], groups=group_sizes(c)))
    if lines:
        items.append(HTML(f"<p>{say_html('drivers.largest', min_group_n=drv['min_group_n'])}</p><ul>"
                          + "".join(f"<li>{line}</li>" for line in lines) + "</ul>"))
    else:
        items.append(HTML(f"<p>{say_html('drivers.none_significant', min_group_n=drv['min_group_n'])}</p>"))
    coverage = coverage_lines(drv)
    if coverage:
        items.append(HTML(f"<p>{' '.join(coverage)}</p>"))
    items += image(run, "drivers_chart")
    return items
