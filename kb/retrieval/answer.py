"""Answer: one article in a search's results, represented by its best section (the shape the
CLI's --json, the service and the app show)."""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class Answer:
    """One article in the results, represented by its best section.

    `score`: the mode's score of the best chunk (fused, BM25 or cosine), rounded to 6 places.
    `snippet` marks query terms with `**`; `highlights` are (start, end) character offsets into
    `snippet_text`. `dense_score` (cosine) and `bm25_score` are None where that side did not find
    the chunk. `url` is the source link with `#anchor` of the section."""

    slug: str
    title: str
    section: str
    anchor: str
    url: str
    score: float
    snippet: str
    category: str
    language: str
    visibility: str
    snippet_text: str = ""
    highlights: tuple[tuple[int, int], ...] = ()
    dense_score: float | None = None
    bm25_score: float | None = None

    def to_dict(self) -> dict:
        """The JSON shape of `kb search --json` (highlights as lists)."""
        data = asdict(self)
        data["highlights"] = [list(span) for span in self.highlights]
        return data
