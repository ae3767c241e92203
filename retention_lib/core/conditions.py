"""Known data conditions: what makes a part of the report impossible this month, as opposed to a bug."""
from __future__ import annotations

from retention_lib.core.messages import Message


class DataCondition(RuntimeError):
    """A condition of the data (nobody has lapsed yet, one month of history, no categories) that
    makes one part of the report impossible this month. Its message says why, in words a
    consultant can act on: a Message (rendered in the reader's language when shown), or a
    plain text for the models' technical messages. The part is published as unavailable; any
    other exception is a bug and fails the run."""

    def __init__(self, message: Message | str):
        self.message = message
        super().__init__(message)

    def __str__(self) -> str:
        return str(self.message)
