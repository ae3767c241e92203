"""Key findings, the report's first section."""
from __future__ import annotations

import html

from IPython.display import HTML

from retention_lib.core.run import Run
from retention_lib.report.findings import key_findings


def key_findings_section(run: Run) -> list | None:
    found = key_findings(run.run_dir, run.config.currency, min_group_n=run.setting("min_group_n"))
    if not found:
        return None
    return [HTML("<ul>" + "".join(f"<li>{html.escape(f)}</li>" for f in found) + "</ul>")]
