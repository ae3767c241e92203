"""The churn drivers: how lapsed members differed from retained ones, with intervals."""
from __future__ import annotations

import html

from IPython.display import HTML

from retention_lib.core.run import Run
from retention_lib.report import text
from retention_lib.report.sections.common import image, unavailable
from retention_lib.report.text import say_html


def drivers_items(run: Run) -> list:
    """The drivers' paragraphs, their largest differences and the chart (aggregates only)."""
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
        lines.append(say_html("drivers.numeric", name=text.feature_label(h["feature"], "feature_name"),
                              lapsed=h["lapsed"], retained=h["retained"], difference=h["difference"],
                              unit=text.feature_unit(h["feature"], cur), ci_low=h["ci_low"], ci_high=h["ci_high"],
                              cohens_d=h["cohens_d"]))
    cats = [c for c in drv["categorical"] if c["ci_low"] is not None and (c["ci_low"] > 0 or c["ci_high"] < 0)]
    cats = sorted(cats, key=lambda c: -abs(c["difference"]))[:5]
    for c in cats:
        lines.append(say_html("drivers.categorical", variable=text.label("variable", c["variable"]),
                              level=text.level(c["level"]), lapsed_share=c["lapsed_share"],
                              retained_share=c["retained_share"], difference=c["difference"],
                              ci_low=c["ci_low"], ci_high=c["ci_high"]))
    if lines:
        items.append(HTML(f"<p>{say_html('drivers.largest')}</p><ul>"
                          + "".join(f"<li>{line}</li>" for line in lines) + "</ul>"))
    items += image(run, "drivers_chart")
    return items
