"""The lists' random holdouts and what next month measured, in English (report/holdouts_display)."""

MESSAGES: dict[str, str] = {
    # ---------------------------------------------------------------- this month's holdouts
    "holdouts.kept": "To measure the lists next month, {held_out:count} members ({share:pct0} of each list, "
                     "drawn at random per store) are held out and not contacted: {lists:and}. They cost that many "
                     "contacts; they show what the others would have done anyway.",
    "holdouts.kept.list": "{n:count} from the {name}",
    "holdouts.too_few.one": "The {names:and} has fewer than {minimum:count} members: it keeps no holdout and cannot "
                            "be measured.",
    "holdouts.too_few.other": "The {names:and} have fewer than {minimum:count} members each: they keep no holdout and "
                              "cannot be measured.",
    "holdouts.off": "No list keeps a holdout this month (<code>holdout_share</code> is 0): next month's report cannot say "
                    "what the lists did.",
    # ---------------------------------------------------------------- last month's lists, measured
    "holdouts.results.intro": "<b>Did last month's lists work?</b> Members on the lists for {month:month} who "
                              "bought again in the {weeks} weeks from {sent:date}, contacted against held out "
                              "at random:",
    "holdouts.result.worked": "{name}: {contacted_returned:pct0} of the {contacted:count} members contacted came "
                              "back, against {held_out_returned:pct0} of the {held_out:count} not contacted: "
                              "about {extra:count} more came back because of the contact (very likely between "
                              "{lo:count} and {hi:count}){revenue}.",
    "holdouts.result.revenue": ", about {revenue:cur0} of extra sales",
    "holdouts.result.no_effect": "{name}: {contacted_returned:pct0} of the {contacted:count} members contacted came "
                                 "back, against {held_out_returned:pct0} of the {held_out:count} not contacted: no "
                                 "clear difference (very likely between {lo:change:rate} and {hi:change:rate}).",
    "holdouts.result.fewer": "{name}: {contacted_returned:pct0} of the {contacted:count} members contacted came "
                             "back, against {held_out_returned:pct0} of the {held_out:count} not contacted: fewer "
                             "came back when contacted (very likely between {lo:change:rate} and {hi:change:rate}); "
                             "review the message and the offer.",
    "holdouts.result.too_few": "{name}: {contacted_returned:pct0} of the {contacted:count} members contacted came "
                               "back, against {held_out_returned:pct0} of the {held_out:count} not contacted: too "
                               "few members to tell (the difference could be anywhere between {lo:change:rate} "
                               "and {hi:change:rate}).",
    "holdouts.results.none_yet": "<b>Did last month's lists work?</b> No list handed out for {month:month} kept a "
                                 "holdout in this reports folder, so none can be measured yet: a list is measured "
                                 "the month after it is published with one.",
    "holdouts.done.result": "{store} did its {name} action of {month:month}: {contacted_returned:pct0} of the "
                            "{contacted:count} members it contacted came back, against {held_out_returned:pct0} of "
                            "the {held_out:count} held out ({verdict}).",
    "holdouts.done.unmeasured": "{store} did its {name} action of {month:month}; that list kept no holdout in "
                                "the store, so what it did cannot be measured.",
    "holdouts.table.list": "list",
    "holdouts.table.store": "store",
    "holdouts.table.contacted": "contacted",
    "holdouts.table.contacted_returned": "came back (contacted)",
    "holdouts.table.held_out": "held out",
    "holdouts.table.held_out_returned": "came back (held out)",
    "holdouts.table.difference": "difference (very likely between)",
    "holdouts.table.verdict": "result",
    "holdouts.verdict.worked": "worked",
    "holdouts.verdict.no_effect": "no clear difference",
    "holdouts.verdict.fewer": "fewer came back",
    "holdouts.verdict.too_few": "too few to tell",
    "holdouts.list.retain": "retain list",
    "holdouts.list.winback": "win-back list",
    "holdouts.list.welcome": "welcome list",
    # ---------------------------------------------------------------- `retention ledger` (app/track_record)
    "console.ledger.forecasts": "{name}: the churn model's forecasts against what happened ({n:count} months)",
    "console.ledger.no_forecasts": "{name}: no published month in {folder} has a scored forecast yet.",
    "console.ledger.lists": "Lists made for {month:month}: contacted against held out",
    "console.ledger.no_lists": "No list with a holdout has been measured yet in {folder}.",
}
