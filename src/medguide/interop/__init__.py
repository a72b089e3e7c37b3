"""Outside formats at the boundary: FHIR R4 (plain dicts) and iCalendar."""
