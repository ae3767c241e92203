"""The executive report: sections assembled from the artifacts earlier notebooks wrote.

`build` returns display objects in reading order; notebook 08 only displays them. A
section whose artifacts do not exist yet is left out of the contents. One module per section.
"""
from __future__ import annotations

import html
from dataclasses import dataclass
from typing import Callable

import pandas as pd
from IPython.display import HTML

from retention_lib.core.run import Run
from retention_lib.report.sections.actions import actions_section
from retention_lib.report.sections.churn_value import churn_and_value
from retention_lib.report.sections.data_quality import data_quality
from retention_lib.report.sections.glossary import glossary_section
from retention_lib.report.sections.kpis import kpi_section
from retention_lib.report.sections.satisfaction import satisfaction_section
from retention_lib.report.sections.segments import segments_section
from retention_lib.report.sections.stores import stores_section
from retention_lib.report.sections.summary import key_findings_section
from retention_lib.report.text import say, say_html


@dataclass
class Section:
    anchor: str          # its title is the message f"section.{anchor}"
    build: Callable[[Run], list | None]

    @property
    def title(self) -> str:
        return say(f"section.{self.anchor}")


def heading(section: Section) -> HTML:
    return HTML(f'<h2 id="{section.anchor}">{html.escape(section.title)}</h2>')


# Later issues add their sections here, in reading order; data quality stays last.
SECTIONS: list[Section] = [
    Section("key-findings", key_findings_section),
    Section("kpis", kpi_section),
    Section("churn-value", churn_and_value),
    Section("segments", segments_section),
    Section("satisfaction", satisfaction_section),
    Section("actions", actions_section),
    Section("stores", stores_section),
    Section("glossary", glossary_section),   # the terms close the analysis; the data-quality footnote stays last
    Section("data-quality", data_quality),
]


def build(run: Run) -> list:
    facts = run.read("data_quality_summary")
    subtitle = say_html("report.subtitle", name=run.config.name, month=run.month,
                        data_end=run.end - pd.Timedelta(days=1))
    head = [HTML(f"<h1>{say_html('report.title', month=run.month)}</h1><p>{subtitle}</p>")]
    if facts.get("simulated", run.config.simulated):
        head.append(HTML(f'<p class="simulated-banner">{say_html("report.simulated")}</p>'))
    body, contents = [], []
    for section in SECTIONS:
        items = section.build(run)
        if items:
            contents.append(f'<li><a href="#{section.anchor}">{html.escape(section.title)}</a></li>')
            body += [heading(section), *items]
    toc = HTML(f"<h2>{say_html('report.contents')}</h2><ol>" + "".join(contents) + "</ol>")
    return head + [toc] + body
