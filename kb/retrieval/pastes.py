"""Long pasted messages: the question a customer asks inside a story.

A customer who pastes a few paragraphs (how long they have used the app, a new phone, a call that
was not answered) asks one thing, usually in a sentence of its own that ends with a question mark,
at the end or the start. Searched whole, the story outweighs it: ten pastes of 400-830 characters
written for this (docs/BENCHMARKS.md, "Long pasted messages") found their article first 3 times in 10. A
long query is searched by its questions: the sentences that end with `?` (after `normalise`,
which folds `？`), each with the sentence before it when it is too short to name a topic alone
(`我的账户被冻结了。怎么办?`). A query without such a sentence is searched whole. `cut` bounds
a paste to the query limit keeping both its ends, as the question is at one of them.
"""

from __future__ import annotations

import re

LONG_CHARS = 200  # longer queries are pastes; the eval's longest typed question has 157
SHORT_QUESTION = 12  # characters: below this a question borrows the sentence before it
WHITESPACE_RE = re.compile(r"\s{2,}")
SLACK = 64  # `cut` reads at most 2 x SLACK/2 x limit characters (64k at the default 512)
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


def cut(query: str, limit: int) -> str:
    """`query` with runs of whitespace as one space, at most `limit` (>= 2) characters: a longer
    one keeps its first limit // 2 characters and its last ones, joined by a space (a paste's
    question is at its start or end; whitespace padding does not push it out). Bounded work:
    only the first and last SLACK/2 x `limit` characters of a longer `query` are read."""
    reach = limit * SLACK // 2
    if len(query) > 2 * reach:
        query = f"{query[:reach]} {query[-reach:]}"
    text = WHITESPACE_RE.sub(" ", query)
    if len(text) <= limit or limit < 2:
        return text[:limit]
    half = limit // 2
    return f"{text[:half]} {text[len(text) - (limit - half - 1) :]}"
