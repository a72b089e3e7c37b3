"""Question answering over the catalog and the clinical functions.

`answer_question(catalog, "can i have a beer with my lioresal")` returns an `Answer`: the
parts that answer it (each with its source ids and the guide section it came from), the
advice codes, and, when the question cannot be answered safely, a decline that says who to
ask. See `answers/answer.py`.
"""

from __future__ import annotations

from medguide.answers.answer import Answer, AnswerPart, answer_question

__all__ = ["Answer", "AnswerPart", "answer_question"]
