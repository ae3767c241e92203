"""The action-list files for store staff (actions/*.csv, *.xlsx), in English: one header per column
the lists carry (report/action_files), and each list's sheet name."""

MESSAGES: dict[str, str] = {
    "action_file.rank": "Rank",
    "action_file.customer_id": "Member id",
    "action_file.name": "Name",
    "action_file.phone": "Phone",
    "action_file.home_store": "Home store",
    "action_file.top_categories": "Top categories (6 months)",
    "action_file.stored_value": "Stored-value balance ({currency})",
    "action_file.points": "Points",
    "action_file.tier": "Value tier",
    "action_file.state": "Member state",
    "action_file.silent": "Days since last visit",
    "action_file.p_alive": "Chance still shopping (%)",
    "action_file.clv": "Expected value ({currency})",
    "action_file.clv_if_alive": "Value if retained ({currency})",
    "action_file.value_at_stake": "Value at stake ({currency})",
    "action_file.contact_value": "Expected value of a contact ({currency})",
    "action_file.newly_at_risk": "Newly at risk",
    "action_file.last_purchase": "Last visit",
    "action_file.birthday": "Birthday (month-day)",
    "action_file.sheet.retain": "Retain",
    "action_file.sheet.winback": "Win back",
    "action_file.sheet.welcome": "Welcome",
    "action_file.sheet.birthdays": "Birthdays",
    "action_file.sheet.holiday_greetings": "Holiday greetings",
}
