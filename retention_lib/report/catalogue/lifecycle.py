"""The member lifecycle, in English."""

MESSAGES: dict[str, str] = {
    # ---------------------------------------------------------------- the rule (analytics/lifecycle.py)
    "lifecycle.rule": "A member is lapsed after {lapse_days} days without a purchase; lapsed members silent "
                      "fewer than {winback_days} days are dormant (still worth winning back), beyond that lost.",
    "lifecycle.rule.widened": "A member is lapsed after {lapse_days} days without a purchase; lapsed members silent "
                              "fewer than {winback_days} days are dormant (still worth winning back), beyond that "
                              "lost. The win-back window is set to {setting} days, widened to the lapse rule's days "
                              "plus {extra} so that a member who lapsed this month is not yet dormant.",
}
