"""The stores' action register (report/action_register), in English: the workbook's sheet, headers,
statuses and contact lists; the follow-up sentences of the actions section; and the problems a filled
register can have, each naming the file, the column, the row and the rule. Client text (stores, headers
and values as typed) is shown as given (`label:level`)."""

MESSAGES: dict[str, str] = {
    # ---------------------------------------------------------------- the workbook
    "action_register.sheet": "Actions",
    "action_register.column.action_id": "Action id",
    "action_register.column.month": "Month",
    "action_register.column.store": "Store",
    "action_register.column.action": "Action",
    "action_register.column.list": "Contact list",
    "action_register.column.owner": "Owner",
    "action_register.column.due": "Due date",
    "action_register.column.status": "Status",
    "action_register.column.note": "Note",
    "action_register.status.not_started": "Not started",
    "action_register.status.in_progress": "In progress",
    "action_register.status.done": "Done",
    "action_register.status.not_done": "Not done",
    "action_register.list.retain": "Retain list",
    "action_register.list.winback": "Win-back list",
    "action_register.list.welcome": "Welcome list",

    # ---------------------------------------------------------------- follow-up sentences
    "action_register.count.done": "{n:count} done",
    "action_register.count.in_progress": "{n:count} in progress",
    "action_register.count.not_started": "{n:count} not started",
    "action_register.count.not_done": "{n:count} not done",
    "action_register.count.unfilled": "{n:count} left blank",
    "action_register.returned.one": "The action register for {month} came back: {n:count} action, {counts:list}.",
    "action_register.returned.other": "The action register for {month} came back: {n:count} actions, {counts:list}.",
    "action_register.store": "{store:label:level}: {counts:list}.",
    "action_register.stores_more.one": "{n:count} more store: see the register.",
    "action_register.stores_more.other": "{n:count} more stores: see the register.",
    "action_register.missing": "No filled action register was found in the client's folder (the config file's "
                               "folder): the stores' actions of {month} cannot be followed up. Put the register "
                               "the stores filled in ({file}, from the actions folder of {month}'s report) in that "
                               "folder before the run.",
    "action_register.nothing_earlier": "The action register {file} in the client's folder holds no action from "
                                       "before {month}: there is nothing to follow up.",
    "action_register.problems.one": "{n:count} problem in the action register {file}; fix it in the file and put "
                                    "it back before next month's run:",
    "action_register.problems.other": "{n:count} problems in the action register {file}; fix them in the file and "
                                      "put it back before next month's run:",

    # ---------------------------------------------------------------- problems of a filled register
    "action_register.problem.unreadable": "{file}: the file cannot be opened as an Excel workbook (.xlsx); save it "
                                          "from Excel or WPS as .xlsx. The register was not read.",
    "action_register.problem.missing_column": "{file}, row {row}: the header row has no column "
                                              "“{column:label:level}”, which the register needs. The register was "
                                              "not read.",
    "action_register.problem.no_id": "{file}, column “{column:label:level}”, row {row}: the row has no action id, "
                                     "so it cannot be matched to an action. The row was left out.",
    "action_register.problem.duplicate": "{file}, column “{column:label:level}”, row {row}: the action id "
                                         "“{value:label:level}” is already on row {first}; an action id may appear "
                                         "once. This row was left out.",
    "action_register.problem.month": "{file}, column “{column:label:level}”, row {row}: “{value:label:level}” is "
                                     "not a month, and the action id does not start with one. The row was left "
                                     "out.",
    "action_register.problem.status": "{file}, column “{column:label:level}”, row {row}: “{value:label:level}” is "
                                      "not a status (one of {allowed:labels:action_register.status}). The action "
                                      "counts as left blank.",
    "action_register.problem.due": "{file}, column “{column:label:level}”, row {row}: “{value:label:level}” is not "
                                   "a date (a due date is a day, such as the one the register was sent with). The "
                                   "due date was left out.",
    "action_register.problem.list": "{file}, column “{column:label:level}”, row {row}: “{value:label:level}” is "
                                    "not a contact list (one of {allowed:labels:action_register.list}). The action "
                                    "is matched to no list.",
}
