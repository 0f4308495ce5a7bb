"""Retrieval metrics over a JSONL query set: {"query": ..., "relevant": [slug, ...]} per line.

Recall@k here is the share of queries with at least one relevant article in the top k ("did the
customer find an answer in the first k cards"); a query may list several acceptable articles, e.g.
the English and the Chinese version. MRR@10 uses the first relevant rank; nDCG@10 uses binary gains
over all listed articles.
"""

from __future__ import annotations

import json
import math
from collections import defaultdict
from dataclasses import dataclass
from dataclasses import field as dc_field
from pathlib import Path

from .errors import Problem, QueryFileError
from .options import Mode

KS = (1, 3, 5, 10)
_SHORT = {"recall@1": "R@1", "recall@3": "R@3", "recall@5": "R@5", "mrr@10": "MRR@10"}


@dataclass(frozen=True)
class Query:
    """One evaluation query: its `text`, the slugs that count as a right answer (`relevant`, at
    least one), its language and its kind (`question`, `english`, ...) for the per-language and
    per-kind figures ("" when the file gives none); `line`: its 1-based line in the file (0: not
    read from a file)."""

    text: str
    relevant: tuple[str, ...]
    lang: str = ""
    kind: str = ""
    line: int = dc_field(default=0, compare=False)


def load_queries(path: str | Path) -> list[Query]:
    """Queries from a UTF-8 JSONL file, one per non-blank line: {"query": str, "relevant": [slug,
    ...], "lang": optional, "kind": optional}; other keys are ignored; a byte-order mark is
    skipped; [] for a file without queries. Raises QueryFileError listing every bad line (or the
    missing or unreadable file) with its line number."""
    path = Path(path)
    if not path.exists():
        raise QueryFileError([Problem(str(path), 0, "query file not found; pass --queries FILE")])
    if not path.is_file():
        raise QueryFileError([Problem(str(path), 0, "not a file; pass --queries FILE (JSONL)")])
    problems, queries = [], []
    try:
        text = path.read_text(encoding="utf-8-sig")  # a byte-order mark (Windows editors) is fine
    except UnicodeDecodeError as exc:
        raise QueryFileError(
            [Problem(str(path), 0, f"not valid UTF-8 ({exc.reason}); save the file as UTF-8")]
        ) from exc
    except OSError as exc:
        raise QueryFileError([Problem(str(path), 0, f"cannot be read ({exc.strerror})")]) from exc
    for line_no, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            problems.append(Problem(str(path), line_no, f"invalid JSON ({exc.msg})"))
            continue
        relevant = obj.get("relevant") if isinstance(obj, dict) else None
        if (
            not isinstance(obj, dict)
            or not isinstance(obj.get("query"), str)
            or not (
                isinstance(relevant, list)
                and relevant
                and all(isinstance(s, str) for s in relevant)
            )
        ):
            problems.append(
                Problem(
                    str(path),
                    line_no,
                    'each line must be {"query": "...", '
                    '"relevant": ["slug", ...]} with at least one slug',
                )
            )
            continue
        lang, kind = str(obj.get("lang", "")), str(obj.get("kind", ""))
        queries.append(Query(obj["query"], tuple(relevant), lang, kind, line_no))
    if problems:
        raise QueryFileError(problems)
    return queries


def some_queries(queries: list[Query], path: str | Path) -> list[Query]:
    """`queries`, or QueryFileError when there are none: an evaluation or an eval gate over no
    queries would report zeros (or pass every build) without measuring anything."""
    if not queries:
        fix = 'write one {"query": "...", "relevant": ["slug"]} per line'
        raise QueryFileError([Problem(str(path), 0, f"no queries in the file; {fix}")])
    return queries


class Reason(str):
    """A sentence (English, for logs, HISTORY and the CLI) that also carries `key` and `fields`,
    so an interface can word it in its own language (kb/app/staff_strings.py `im_why_<key>`)."""

    key: str
    fields: dict

    def __new__(cls, text: str, key: str = "", **fields):
        obj = super().__new__(cls, text)
        obj.key, obj.fields = key, fields
        return obj


def unknown_slugs(
    queries: list[Query], known: set[str], source: str | Path = "the query file", shown: int = 5
) -> Reason | None:
    """None when every `relevant` slug of `queries` is in `known` (the slugs a version holds);
    else one sentence naming `source`, the lines (up to `shown`, then "and N more"), the unknown
    slugs (likewise) and the fix. Such a query can never be answered right, so its MRR and recall
    stay 0 whatever the index does (issue 13 item 10)."""
    lines, slugs = [], []
    for query in queries:
        missing = [s for s in query.relevant if s not in known]
        if missing:
            lines.append(str(query.line or "?"))
            slugs += [s for s in missing if s not in slugs]
    if not lines:
        return None

    def few(items: list[str]) -> str:
        more = f" and {len(items) - shown} more" if len(items) > shown else ""
        return ", ".join(items[:shown]) + more

    text = (
        f"{source}: line(s) {few(lines)} name {len(slugs)} article slug(s) the index does not "
        f"have: {few(slugs)}; fix the slugs in the file to the articles' slugs or "
        "add the articles"
    )
    shown_lines, shown_slugs = ", ".join(lines[:shown]), ", ".join(slugs[:shown])
    return Reason(
        text,
        "unknown",
        source=str(source),
        lines=shown_lines,
        n_lines=len(lines),
        slugs=shown_slugs,
        n_slugs=len(slugs),
    )


def metrics(ranked: list[list[str]], relevant: list[tuple[str, ...]]) -> dict[str, float]:
    """Recall@1/3/5/10 (success), MRR@10 and nDCG@10 averaged over queries, each in 0..1 rounded to
    4 places (0.0 for no queries), and "n", the number of queries. `ranked[i]`: the slugs returned
    for query i, best first; `relevant[i]`: its right answers."""
    n = len(ranked)
    totals = defaultdict(float)
    for slugs, rel in zip(ranked, relevant, strict=True):
        rel_set = set(rel)
        first = next((i for i, s in enumerate(slugs[:10]) if s in rel_set), None)
        for k in KS:
            totals[f"recall@{k}"] += first is not None and first < k
        totals["mrr@10"] += 0.0 if first is None else 1.0 / (first + 1)
        dcg = sum(1.0 / math.log2(i + 2) for i, s in enumerate(slugs[:10]) if s in rel_set)
        ideal = sum(1.0 / math.log2(i + 2) for i in range(min(len(rel_set), 10)))
        totals["ndcg@10"] += dcg / ideal if ideal else 0.0
    result: dict[str, float] = {"n": n}
    for key in [f"recall@{k}" for k in KS] + ["mrr@10", "ndcg@10"]:
        result[key] = round(totals[key] / n, 4) if n else 0.0
    return result


def run(searcher, queries: list[Query], mode: Mode = Mode.HYBRID) -> list[list[str]]:
    """The top-10 slugs `searcher` returns for each query, in query order."""
    return [[a.slug for a in searcher.search(q.text, top_k=10, mode=mode)] for q in queries]


def figures_by(queries: list[Query], ranked: list[list[str]], field: str) -> dict[str, dict]:
    """`metrics` per value of a Query field ("lang" or "kind"; "unknown" when empty), sorted."""
    groups = defaultdict(list)
    for i, q in enumerate(queries):
        groups[getattr(q, field) or "unknown"].append(i)
    return {
        value: metrics([ranked[i] for i in idx], [queries[i].relevant for i in idx])
        for value, idx in sorted(groups.items())
    }


def hubness(ranked: list[list[str]], relevant: list[tuple[str, ...]], k: int = 3) -> dict:
    """How often each article is in the top `k` of queries it is not relevant to.

    Returns {"k", "queries" (n), "share": mean share of a query's top k taken by articles not
    relevant to it (0..1), "worst": [[slug, count, share of queries], ...] the 10 articles in the
    most top-k lists of queries they do not answer, most first, "concentration": the share
    (0..1) of all those wrong places that the 5 worst articles take}. A hub (an article near every
    query in vector space, Radovanović et al. 2010) shows as a high count. "share" has a floor
    when most queries have one right answer (k - 1 of k places are wrong even for a perfect
    ranking: 0.667 at k 3), so a change to hubs shows in "worst" and "concentration" (the
    "hub occurrence" of Feldbauer and Flexer 2019, with the 5 worst as the hubs)."""
    counts: dict[str, int] = defaultdict(int)
    wrong = 0
    for slugs, rel in zip(ranked, relevant, strict=True):
        for slug in slugs[:k]:
            if slug not in rel:
                counts[slug] += 1
                wrong += 1
    n = len(ranked)
    worst = sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:10]
    return {
        "k": k,
        "queries": n,
        "share": round(wrong / (n * k), 4) if n else 0.0,
        "worst": [[slug, c, round(c / n, 4)] for slug, c in worst],
        "concentration": round(sum(c for _, c in worst[:5]) / wrong, 4) if wrong else 0.0,
    }


def evaluate(searcher, queries: list[Query], compare: bool = False) -> dict:
    """Metrics for the product's search; with `compare`, also BM25 alone and dense alone.

    The hybrid figures (`metrics` plus "by_lang" and "by_kind": value -> the same figures, and
    "hubness": `hubness` of the top 3) are at the top level; with `compare`, "bm25" and "dense"
    hold figures of the same shape."""
    modes = [Mode.HYBRID, Mode.BM25, Mode.DENSE] if compare else [Mode.HYBRID]
    relevant = [q.relevant for q in queries]
    result: dict = {}
    for mode in modes:
        ranked = run(searcher, queries, mode)
        figures = metrics(ranked, relevant)
        figures["by_lang"] = figures_by(queries, ranked, "lang")
        figures["by_kind"] = figures_by(queries, ranked, "kind")
        figures["hubness"] = hubness(ranked, relevant)
        if mode is Mode.HYBRID:
            result.update(figures)
        else:
            result[mode.value] = figures
    return result


def format_table(result: dict) -> str:
    """Side-by-side text table of hybrid / bm25 / dense figures (an `evaluate` result), with one
    line per language, one per kind (R@1, R@5, MRR@10) and the hybrid's hubness."""
    columns = [("fused", result)] + [(m, result[m]) for m in ("bm25", "dense") if m in result]
    keys = [f"recall@{k}" for k in KS] + ["mrr@10", "ndcg@10"]
    lines = [f"{'metric':<12}" + "".join(f"{name:>10}" for name, _ in columns)]
    for key in keys:
        lines.append(f"{key:<12}" + "".join(f"{fig[key]:>10.4f}" for _, fig in columns))
    lines.append(f"{'n':<12}" + "".join(f"{fig['n']:>10}" for _, fig in columns))
    for field, label, shown in (
        ("by_lang", "  [{}] n={}", ("recall@3", "recall@5", "mrr@10")),
        ("by_kind", "  kind {:<11} n={:<4}", ("recall@1", "recall@5", "mrr@10")),
    ):
        for value, fig in result.get(field, {}).items():
            own = "".join(f" {_SHORT[key]} {fig[key]:.4f}" for key in shown)
            others = "".join(
                f"  {name} R@5 {res[field][value]['recall@5']:.4f}" for name, res in columns[1:]
            )
            lines.append(label.format(value, fig["n"]) + own + others)
    hub = result.get("hubness")
    if hub:
        worst = ", ".join(f"{slug} {count}" for slug, count, _ in hub["worst"][:5])
        lines.append(
            f"hubness: {hub['share']:.4f} of top-{hub['k']} places go to articles not relevant "
            f"to the query; the 5 most frequent take {hub['concentration']:.1%} of those; "
            f"most often: {worst}"
        )
    return "\n".join(lines)
