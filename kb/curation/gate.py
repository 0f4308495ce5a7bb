"""Eval-gated publishing: a new version goes live only when it does not search worse.

`gated_build` builds a version without making it live (`build_index(make_live=False)`), searches
the eval query file (eval/queries.jsonl, `kb eval`'s format) against the live version and the new
one, and publishes the new one only when

- MRR@10 and Recall@5 each drop by at most `tolerance` (absolute, on the 0..1 scale), and
- no query whose right answer was at rank 1 falls below rank `keep_top` (3) or out of the top 10.

Otherwise the version is kept (listed by `versions.held_versions`, searchable in the editor page's
preview) but not live, and `GateResult.worse` lists every query that got worse with its rank
before and after. `force_publish` publishes anyway; the HISTORY line of that switch carries a note
saying so and why the gate refused. Both versions are searched with the same encoder and search
settings; a live version built by another encoder cannot be compared, which fails the gate.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ..build import BuildReport, Progress, build_index
from ..embed import Encoder, make_encoder
from ..errors import ConfigError, IndexNotFoundError
from ..evaluation import Query, Reason, load_queries, metrics, some_queries, unknown_slugs
from ..index import open_store
from ..index import versions as index_versions
from ..index.load import load_version
from ..options import Role, SearchSettings
from ..retrieval import Searcher

GATED = ("mrr@10", "recall@5")


@dataclass(frozen=True)
class GateSettings:
    """How much worse a new version may search. `tolerance`: largest allowed absolute drop of
    MRR@10 and of Recall@5 (0..1; 0.01 = one point; with n eval queries one query moves Recall@5
    by 1/n); `keep_top`: a query found at rank 1 before must stay within this rank; `role`: whose
    partition is searched (public, as `kb eval`). Raises ConfigError for values out of range."""

    tolerance: float = 0.01
    keep_top: int = 3
    role: Role = Role.PUBLIC

    def __post_init__(self):
        if not 0.0 <= self.tolerance <= 1.0:
            raise ConfigError(
                f"gate tolerance {self.tolerance!r} is out of range; give a number from 0 to 1 "
                "(0.01 = one point of MRR@10 or Recall@5)"
            )
        if not 1 <= self.keep_top <= 10:
            raise ConfigError(f"gate keep_top {self.keep_top!r}: give a rank from 1 to 10")


@dataclass(frozen=True)
class QueryChange:
    """One eval query that ranks worse in the new version: its text, right answers and the rank
    (1-based) of the first right answer in the top 10 before and after (None: not in the top 10)."""

    query: str
    relevant: tuple[str, ...]
    before: int | None
    after: int | None

    def to_dict(self) -> dict:
        """query, relevant (comma-separated), before, after ("-" for not in the top 10)."""
        return {
            "query": self.query,
            "relevant": ", ".join(self.relevant),
            "before": self.before or "-",
            "after": self.after or "-",
        }


@dataclass
class GateResult:
    """The gate's verdict on `candidate` against `live` (None: nothing was live, nothing to
    compare). `before`/`after`: `kb.evaluation.metrics` of each; `worse`: the queries ranked
    worse, biggest fall first; `reasons`: why the gate refused ([] when it passed); `forced`:
    published despite them; `published`: the candidate is live now."""

    live: str | None
    candidate: str
    before: dict = field(default_factory=dict)
    after: dict = field(default_factory=dict)
    worse: list[QueryChange] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)
    forced: bool = False
    published: bool = False

    @property
    def passed(self) -> bool:
        """Whether the candidate searches no worse than the gate allows."""
        return not self.reasons

    def lines(self) -> list[str]:
        """The report as text lines: verdict, the gated metrics before -> after, the reasons and
        one line per query that got worse (`rank 1 -> 5  query  [slug]`)."""
        state = "published" if self.published else "kept, NOT live"
        verdict = "passed" if self.passed else ("refused, forced" if self.forced else "refused")
        out = [f"gate {verdict}: {self.candidate} {state} (live before: {self.live or 'none'})"]
        for key in GATED if self.before else ():
            out.append(f"  {key}: {self.before[key]:.4f} -> {self.after[key]:.4f}")
        out += [f"  refused: {reason}" for reason in self.reasons]
        for change in self.worse:
            row = change.to_dict()
            out.append(
                f"  rank {row['before']} -> {row['after']}  {change.query}  [{row['relevant']}]"
            )
        return out


def first_ranks(ranked: Sequence[Sequence[str]], queries: Sequence[Query]) -> list[int | None]:
    """1-based rank of each query's first right answer in its top 10, None when absent."""
    out = []
    for slugs, query in zip(ranked, queries, strict=True):
        hits = [i for i, slug in enumerate(slugs[:10], start=1) if slug in set(query.relevant)]
        out.append(hits[0] if hits else None)
    return out


def compare_ranks(
    before: Sequence[Sequence[str]],
    after: Sequence[Sequence[str]],
    queries: Sequence[Query],
    settings: GateSettings = GateSettings(),
) -> tuple[dict, dict, list[QueryChange], list[str]]:
    """(metrics before, metrics after, queries ranked worse, reasons to refuse) of two runs of
    the same queries (top slugs per query, best first). Pure: the gate's whole rule."""
    relevant = [q.relevant for q in queries]
    old, new = metrics(list(before), relevant), metrics(list(after), relevant)
    reasons = [
        Reason(
            f"{key} dropped {old[key] - new[key]:.4f} ({old[key]:.4f} -> {new[key]:.4f}), more "
            f"than the tolerance {settings.tolerance}",
            "dropped",
            metric=key,
            old=old[key],
            new=new[key],
            tolerance=settings.tolerance,
        )
        for key in GATED
        if old[key] - new[key] > settings.tolerance + 1e-9
    ]
    worse = []
    ranks = zip(queries, first_ranks(before, queries), first_ranks(after, queries), strict=True)
    for query, was, now in ranks:
        if was is not None and (now is None or now > was):
            worse.append(QueryChange(query.text, query.relevant, was, now))
    lost = [c for c in worse if c.before == 1 and (c.after is None or c.after > settings.keep_top)]
    if lost:
        reasons.append(
            Reason(
                f"{len(lost)} quer{'y' if len(lost) == 1 else 'ies'} found at rank 1 fell out of "
                f"the top {settings.keep_top} (e.g. {lost[0].query!r})",
                "lost",
                n=len(lost),
                keep_top=settings.keep_top,
                query=lost[0].query,
            )
        )
    worse.sort(key=lambda c: ((c.after or 11) - c.before, c.query), reverse=True)
    return old, new, worse, reasons


def version_searcher(
    index_dir: Path, version: str, encoder: Encoder, role: Role, settings: SearchSettings
) -> Searcher:
    """A Searcher over one version (live or not) of a folder index, its files verified. Raises
    CorruptIndexError; ConfigError when `encoder` is not the one that built it."""
    loaded = load_version(Path(index_dir), version, role)
    if loaded.encoder_id != encoder.id:
        raise ConfigError(
            f"version {version} was built with encoder {loaded.encoder_id!r}, not {encoder.id!r}; "
            "it cannot be searched with this one"
        )
    return Searcher(loaded, encoder, settings)


def check(
    index_dir: Path,
    live: str | None,
    candidate: str,
    queries: list[Query],
    encoder: Encoder,
    settings: GateSettings,
    search: SearchSettings,
    source: str | Path = "the eval file",
) -> GateResult:
    """The gate's verdict on `candidate` against `live` (run both on `queries`, read from
    `source`). Nothing live: passes. Refused, with the reason, when a live version another encoder
    built cannot be compared, or when queries name slugs `candidate` does not have (file, lines,
    slugs: such queries score 0 in both versions and would let any version pass)."""
    result = GateResult(live, candidate)
    if live is None:
        return result
    new = version_searcher(index_dir, candidate, encoder, settings.role, search)
    known = set(new.index.chunks.column("slug").to_pylist())
    unknown = unknown_slugs(queries, known, source)
    try:
        old = version_searcher(index_dir, live, encoder, settings.role, search)
    except ConfigError as exc:
        text = f"cannot compare with the live version: {exc}"
        result.reasons.append(Reason(text, "encoder", error=str(exc)))
        return result
    run = [[[a.slug for a in s.search(q.text, top_k=10)] for q in queries] for s in (old, new)]
    result.before, result.after, result.worse, result.reasons = compare_ranks(
        *run, queries, settings
    )
    result.reasons += [unknown] if unknown else []
    return result


def gated_build(
    articles: str | Path,
    index_dir: str | Path,
    queries_path: str | Path,
    encoder: Encoder | str | None = None,
    settings: GateSettings = GateSettings(),
    force_publish: bool = False,
    force: bool = False,
    progress: Progress | None = None,
    search: SearchSettings = SearchSettings(),
) -> tuple[BuildReport, GateResult | None]:
    """Build a version, gate it and publish it only when it passes (or with `force_publish`,
    noted in HISTORY). Returns (the build report, the gate's result; None when nothing changed
    and nothing was built). `report.held` is True when the version was kept but not made live.

    The query file is read first, so a bad one costs no build. Raises QueryFileError,
    ValidationError (nothing written), ConfigError (an index that is not a folder, bad
    settings), IndexStateError (e.g. the live version changed during the gate: nothing
    switched), BuildLockedError, IndexWriteError."""
    queries = some_queries(load_queries(queries_path), queries_path)
    if not isinstance(index_dir, str | Path) or "://" in str(index_dir):
        raise ConfigError(f"--gate needs a folder index, not {index_dir!r}")
    index_dir = Path(index_dir)
    encoder = make_encoder(encoder) if encoder is None or isinstance(encoder, str) else encoder
    live = open_store(index_dir).live_manifest()
    live_name = live.version if live else None
    first = live_name is None  # nothing to compare with: the first version goes live at once
    report = build_index(
        articles, index_dir, encoder, progress=progress, force=force, make_live=first
    )
    if first and report.published:
        return report, GateResult(None, report.version, published=True)
    if not report.held:
        return report, None
    result = check(
        index_dir, live_name, report.version, queries, encoder, settings, search, queries_path
    )
    if result.passed or force_publish:
        result.forced = not result.passed
        note = "forced past the eval gate: " + "; ".join(result.reasons) if result.forced else ""
        index_versions.publish_held(index_dir, report.version, live_name, note)
        result.published, report.held = True, False
    return report, result


def live_version_or_none(index_dir: str | Path) -> str | None:
    """The live version of a folder index, None when there is none yet."""
    try:
        return index_versions.current_version(Path(index_dir))
    except IndexNotFoundError:
        return None
