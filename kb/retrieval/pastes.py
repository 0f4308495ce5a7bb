"""Long pasted messages: the question a customer asks inside a story.

A customer who pastes a few paragraphs (how long they have used the app, a new phone, a call that
was not answered) asks one thing, usually in a sentence of its own that ends with a question mark,
at the end or the start. Searched whole, the story outweighs it: ten pastes of 400-830 characters
written for this (docs/BENCHMARKS.md "Long pastes") found their article first 3 times in 10. A
long query is searched by its questions: the sentences that end with `?` (after `normalise`,
which folds `？`), each with the sentence before it when it is too short to name a topic alone
(`我的账户被冻结了。怎么办?`). A query without such a sentence is searched whole.
"""

from __future__ import annotations

import re

LONG_CHARS = 200  # longer queries are pastes; the eval's longest typed question has 157
SHORT_QUESTION = 12  # characters: below this a question borrows the sentence before it
SENTENCE_RE = re.compile(r"[^。!?！.\n]*(?:[。!?！\n]+|\.(?=\s|$)|$)")


def question_focus(prepared: str) -> str:
    """The questions of a long `prepare`d query (str, normalised), joined by spaces; the query
    itself when it has at most LONG_CHARS characters or no sentence ending with `?`."""
    if len(prepared) <= LONG_CHARS:
        return prepared
    parts = [p.strip() for p in SENTENCE_RE.findall(prepared) if p.strip()]
    focus: list[str] = []
    for i, part in enumerate(parts):
        if not part.endswith("?"):
            continue
        if len(part) < SHORT_QUESTION and i > 0 and parts[i - 1] not in focus:
            focus.append(parts[i - 1])
        focus.append(part)
    return " ".join(focus) or prepared
