"""Known data conditions: what makes a part of the report impossible this month, as opposed to a bug."""
from __future__ import annotations


class DataCondition(RuntimeError):
    """A condition of the data (nobody has lapsed yet, one month of history, no categories) that
    makes one part of the report impossible this month. Its message says why, in words a
    consultant can act on. The part is published as unavailable; any other exception is a bug
    and fails the run."""
