"""The message catalogue: every template a reader meets, by key, in English (the next issue
adds zh-CN through gettext catalogues managed with Babel, msgid = the key).

A template names its values and how each is shown, e.g. `{members:count}` or `{tier:label:tier}`;
retention_lib.report.text fills them. One module per part of the report, each grouped by section.
"""
from retention_lib.report.catalogue import (action_files, action_register, actions, charts, churn_value, data_quality,
                                            drivers, email, findings, frame, glossary, holdouts, kpis, lifecycle,
                                            notebooks, satisfaction, segments, stores, track_record)

MESSAGES: dict[str, str] = {}
for _part in (frame, data_quality, findings, email, kpis, lifecycle, churn_value, segments, drivers, satisfaction, actions,
              glossary, charts, stores, track_record, action_files, holdouts, action_register, notebooks):
    _twice = MESSAGES.keys() & _part.MESSAGES.keys()
    if _twice:
        raise ValueError(f"keys defined twice in the catalogue: {sorted(_twice)}")
    MESSAGES.update(_part.MESSAGES)
