"""Long pasted messages: the question a customer asks inside a story.

A customer who pastes a few paragraphs (how long they have used the app, a new phone, a call that
was not answered) asks one thing, usually in a sentence of its own that ends with a question mark,
at the end or the start. A query longer than the search reads (`max_query_chars`) must lose
something, so it is searched by its questions: the sentences that end with `?` or `？`, each with
the sentence before it when it is too short to name a topic alone (`我的账户被冻结了。怎么办?`).
A query without such a sentence keeps both its ends (`cut`), as the question is at one of them.

A message that fits is searched whole. The first version (twenty-second session) searched every
query of 200+ characters by its questions: it lifted ten pastes written for it, but Banking77's
31 longest customer messages (201-368 characters) ask a bare "can you help me?" and tell the
topic in the story: their MRR@10 was 0.705 against 0.984 searched whole (docs/BENCHMARKS.md,
"long messages searched whole", twenty-third session).
"""

from __future__ import annotations

import re

SHORT_QUESTION = 12  # characters: below this a question borrows the sentence before it
WHITESPACE_RE = re.compile(r"\s{2,}")
SLACK = 64  # `cut` reads at most 2 x SLACK/2 x limit characters (64k at the default 512)
READ = 16  # a query over the limit is read up to READ x limit characters for its questions
SENTENCE_RE = re.compile(r"[^。!?！？.\n]*(?:[。!?！？\n]+|\.(?=\s|$)|$)")


def question_focus(query: str, limit: int) -> str:
    """The questions of a `query` (str) of more than `limit` characters, joined by spaces; the
    query itself when it fits in `limit` or has no sentence ending with `?` or `？`."""
    if len(query) <= limit:
        return query
    parts = [p.strip() for p in SENTENCE_RE.findall(query) if p.strip()]
    focus: list[str] = []
    for i, part in enumerate(parts):
        if not part.endswith(("?", "？")):
            continue
        if len(part) < SHORT_QUESTION and i > 0 and parts[i - 1] not in focus:
            focus.append(parts[i - 1])
        focus.append(part)
    return " ".join(focus) or query


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
