"""Curation: what editors do after launch. The eval gate a new version passes before it goes live,
the reviewed questions file that attaches customers' wordings to articles, searching a kept version.
Imports: kb.build, kb.index, kb.retrieval, kb.evaluation, kb.embed, kb.text (never app or cli)."""

from .gate import GateResult, GateSettings, QueryChange, compare_ranks, gated_build
from .questions import QUESTIONS_FILE, attach_question, read_questions

__all__ = [
    "QUESTIONS_FILE",
    "GateResult",
    "GateSettings",
    "QueryChange",
    "attach_question",
    "compare_ranks",
    "gated_build",
    "read_questions",
]
