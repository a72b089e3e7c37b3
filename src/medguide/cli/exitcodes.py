"""Exit codes of the `medguide` command (documented in the README)."""

from __future__ import annotations

OK = 0
FINDINGS_AT_THRESHOLD = 1  # `assess --fail-on SEVERITY` found something at or above it
BAD_INPUT = 2  # malformed file, unknown field, absurd value, unknown unit, usage error
NOT_FOUND = 3  # a drug, section or file that does not exist
KNOWLEDGE_ERROR = 4  # the knowledge files failed validation
NOT_ALL_CHECKED = 5  # `interactions`: a name not recognised or a pair not screened by the rules
