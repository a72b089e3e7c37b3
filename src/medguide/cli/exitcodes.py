"""Exit codes of the `medguide` command (docs/codes.md is generated from `EXIT_CODES`)."""

from __future__ import annotations

OK = 0
FINDINGS_AT_THRESHOLD = 1  # `assess --fail-on SEVERITY` found something at or above it
BAD_INPUT = 2  # malformed file, unknown field, absurd value, unknown unit, usage error
NOT_FOUND = 3  # a drug, section or file that does not exist
KNOWLEDGE_ERROR = 4  # the knowledge files failed validation
NOT_ALL_CHECKED = 5  # `interactions`: a name not recognised or a pair not screened by the rules
INPUT_SKIPPED = 6  # `screen`: the run finished, but some input could not be used (see summary)

EXIT_CODES: dict[str, tuple[int, str]] = {
    "OK": (OK, "done; nothing at or above the --fail-on threshold"),
    "FINDINGS_AT_THRESHOLD": (
        FINDINGS_AT_THRESHOLD,
        "`--fail-on SEVERITY` found something at or above it",
    ),
    "BAD_INPUT": (BAD_INPUT, "malformed file, unknown field, absurd value, unknown unit, usage"),
    "NOT_FOUND": (NOT_FOUND, "a drug, section or file that does not exist"),
    "KNOWLEDGE_ERROR": (KNOWLEDGE_ERROR, "the knowledge files failed validation"),
    "NOT_ALL_CHECKED": (
        NOT_ALL_CHECKED,
        "`interactions`: a name was not recognised or a pair was not screened by the rules",
    ),
    "INPUT_SKIPPED": (
        INPUT_SKIPPED,
        "`screen`: the run finished, but some input was skipped (malformed lines, unknown "
        "resource types, orders with no medication, unresolved patients, files not NDJSON)",
    ),
}
