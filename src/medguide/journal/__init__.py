"""The dose journal: people, their medicines and schedules, doses, symptoms, stock, notes.

- `db`: where the journal lives (SQLite by default, PostgreSQL when shared), opening it
  safely, and migrations;
- `schema`: the tables; `store`: the `Journal` with its checked, idempotent writes;
- `views`: what is due, missed, adherence, warnings, stock, as pure functions over events;
- `report`: status and history, with the service's clinical wording; `reminders`: the
  iCalendar feed and what is due now; `export`: CSV, JSON and FHIR.
"""
