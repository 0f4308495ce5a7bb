"""Searching a version stored in PostgreSQL: BM25 in SQL from per-term impacts, vectors by pgvector.

`PgKeywordIndex` and `PgVectorIndex` offer what retrieval asks of `KeywordIndex` and `VectorIndex`
(kb/index/keyword.py, kb/index/vectors.py), with the same scores: a chunk's BM25 score is the sum of
its query terms' impacts (a repeated query term counts again), ties by row; a vector's score is
its inner product with the query (pgvector `<#>` negated). `Connections` hands every thread its own
connection, to the first server of its list that answers (replicas first when given), acting as
the database role of the partition (`kb_public` for the public one: row-level security then
returns public rows only, whatever the query).
"""

from __future__ import annotations

import contextlib
import threading

import numpy as np
import psycopg
from psycopg import sql

from ...errors import ConfigError
from .. import bm25
from ..keyword import holding, word_pattern
from ..vectors import EXACT_SUBSET, arrays
from .terms import TermLists, top_n

DF_CACHE = 1_000_000  # terms whose document frequency a keyword index keeps (~100 MB at most)


class Connections:
    """One autocommit connection per thread to the first of `urls` that answers; a failed
    connection is dropped and the query tried once more on the next server (failover to a
    replica or a promoted standby). `role`, when given, is SET for the whole connection."""

    def __init__(self, urls: list[str], role: str | None = None, ef_search: int | None = None):
        self.urls = list(urls)
        self.role = role
        self.ef_search = ef_search
        self._local = threading.local()

    def _open(self) -> psycopg.Connection:
        from pgvector.psycopg import register_vector

        errors = []
        for url in self.urls:
            try:
                conn = psycopg.connect(url, autocommit=True, connect_timeout=5)
            except psycopg.OperationalError as exc:
                errors.append(f"{_safe(url)}: {str(exc).strip()[:200]}")
                continue
            with contextlib.suppress(psycopg.ProgrammingError):  # no pgvector before a build
                register_vector(conn)
            if self.role:
                try:
                    conn.execute(sql.SQL("SET ROLE {}").format(sql.Identifier(self.role)))
                except psycopg.Error as exc:
                    conn.close()
                    raise ConfigError(
                        f"index database {_safe(url)}: its user cannot act as {self.role} "
                        f"({str(exc).strip()[:120]}); GRANT {self.role} TO that user"
                    ) from exc
            if self.ef_search:
                conn.execute(sql.SQL("SET hnsw.ef_search = {}").format(self.ef_search))
                with contextlib.suppress(psycopg.Error):  # pgvector >= 0.8: filtered scans
                    conn.execute("SET hnsw.iterative_scan = relaxed_order")  # keep on going
            return conn
        raise psycopg.OperationalError("no index database answers: " + "; ".join(errors))

    def query(self, statement, params=(), binary: bool = False) -> list[tuple]:
        """Rows of `statement` (`binary`: values in PostgreSQL's binary format, bytea as bytes
        without hex decoding); on a broken connection, reconnect (next server) and retry once.
        Raises psycopg.Error when no server answers."""
        for attempt in (0, 1):
            conn = getattr(self._local, "conn", None)
            if conn is None or conn.closed:
                conn = self._local.conn = self._open()
            try:
                return conn.execute(statement, params, binary=binary).fetchall()
            except psycopg.OperationalError:
                conn.close()
                self._local.conn = None
                if attempt:
                    raise
        return []


def _safe(url: str) -> str:
    """`url` without its password."""
    if "@" not in url or "://" not in url:
        return url
    scheme, rest = url.split("://", 1)
    user, host = rest.rsplit("@", 1)
    return f"{scheme}://{user.split(':', 1)[0]}@{host}"


def table_ref(schema: str, part: str, name: str) -> sql.Composed:
    """`schema.part_name` as an SQL identifier pair."""
    return sql.SQL("{}.{}").format(sql.Identifier(schema), sql.Identifier(f"{part}_{name}"))


class PgKeywordIndex:
    """BM25 over `count` chunk rows of one partition: from its `terms` table (kb/index/postgres/
    terms.py), or, in a version written before that table existed, its `postings` table."""

    def __init__(self, db: Connections, schema: str, part: str, count: int):
        self.db, self.count = db, count
        self.table = table_ref(schema, part, "postings")
        self.terms = TermLists(db, table_ref(schema, part, "terms"))
        self._terms_name = f'"{schema}"."{part}_terms"'
        self._has_terms: bool | None = None  # asked of the database on first use
        self._df_cache: dict[str, int] = {}  # term -> document frequency (0: absent)

    def _lists(self) -> bool:
        """Whether this version has the `terms` table (one query, then remembered)."""
        if self._has_terms is None:
            found = self.db.query("SELECT to_regclass(%s) IS NOT NULL", [self._terms_name])
            self._has_terms = bool(found[0][0])
        return self._has_terms

    def top(
        self, query_tokens: list[str], n: int, mask: np.ndarray | None = None
    ) -> list[tuple[int, float]]:
        """Best `n` (row, score) with a positive score, best first, ties by row; `mask` ((count,)
        bool) limits the rows."""
        terms = [t for t in query_tokens if t]
        if not terms or self.count == 0 or n <= 0:
            return []
        if self._lists():
            return top_n(self.terms.get(terms), terms, self.count, n, mask)
        where = sql.SQL("")
        params: list = [terms]
        if mask is not None:
            where = sql.SQL("WHERE p.chunk = ANY(%s)")
            params.append(np.flatnonzero(mask).astype(np.int32).tolist())
        statement = sql.SQL(
            # summed in double precision: the order the database adds rows in (which differs
            # between plans, primary and replica) then cannot flip near-ties
            "SELECT p.chunk, sum(p.impact::float8) AS s FROM unnest(%s::text[]) AS q(term) "
            "JOIN {} p ON p.term = q.term {} GROUP BY p.chunk HAVING sum(p.impact::float8) > 0 "
            "ORDER BY s DESC, p.chunk LIMIT {}"
        ).format(self.table, where, sql.Literal(int(n)))
        return [(int(r), float(np.float32(s))) for r, s in self.db.query(statement, params)]

    def _idf(self, df: int) -> float:
        return float(bm25.idf(self.count, df))

    def _df(self, terms: list[str]) -> dict[str, int]:
        """Document frequency of each of `terms` the partition has (absent: 0). A version never
        changes, so each term is asked of the database once and kept (at most DF_CACHE terms);
        without this a search made ~6 round trips for the same counts (synonym and coverage
        checks), about a third of its time on the sample help center (docs/BENCHMARKS.md)."""
        wanted = [t for t in dict.fromkeys(terms) if t]
        known = {t: self._df_cache[t] for t in wanted if t in self._df_cache}
        missing = [t for t in wanted if t not in known]
        if missing:
            statement = (
                sql.SQL("SELECT term, df FROM {} WHERE term = ANY(%s)").format(self.terms.table)
                if self._lists()
                else sql.SQL(
                    "SELECT term, count(*) FROM {} WHERE term = ANY(%s) GROUP BY term"
                ).format(self.table)
            )
            found = dict(self.db.query(statement, [missing]))
            known.update({t: int(found.get(t, 0)) for t in missing})
            if len(self._df_cache) + len(missing) > DF_CACHE:
                self._df_cache = {}  # a new dict: threads reading the old one are unaffected
            self._df_cache.update({t: known[t] for t in missing})
        return {t: n for t, n in known.items() if n}

    def frequencies(self, tokens: list[str]) -> dict[str, int]:
        """`KeywordIndex.frequencies`: chunks holding each distinct non-empty token (cached)."""
        terms = list(dict.fromkeys(t for t in tokens if t))
        df = self._df(terms) if terms and self.count else {}
        return {t: df.get(t, 0) for t in terms}

    def known_share(self, query_tokens: list[str]) -> float:
        """`KeywordIndex.known_share`: the share in 0..1 of the query's IDF mass (each distinct
        token once, unknown ones at maximal IDF) made of tokens the partition has."""
        return bm25.known_share(self.frequencies(query_tokens).values(), self.count)

    def words(self, min_chars: int = 4, cjk: bool = False) -> dict[str, int]:
        """`KeywordIndex.words`: Latin-letter terms of >= `min_chars` letters (or with `cjk`, of
        2-4 CJK characters) -> document frequency (one scan of the postings table)."""
        statement = (
            sql.SQL("SELECT term, df FROM {} WHERE term ~ %s").format(self.terms.table)
            if self._lists()
            else sql.SQL("SELECT term, count(*) FROM {} WHERE term ~ %s GROUP BY term").format(
                self.table
            )
        )
        pattern = word_pattern(min_chars, cjk)
        return {str(t): int(n) for t, n in self.db.query(statement, [pattern])}

    def coverage(self, query_tokens: list[str], rows: list[int]) -> dict[int, float]:
        """`KeywordIndex.coverage`: per row, the share of the query's IDF mass it contains."""
        terms = list(dict.fromkeys(t for t in query_tokens if t))
        if self.count == 0 or not rows:
            return {}
        df = self._df(terms) if terms else {}
        idf = {t: self._idf(df.get(t, 0)) for t in terms}
        total = sum(idf.values())
        if total == 0:
            return dict.fromkeys(rows, 0.0)
        matched = dict.fromkeys((int(r) for r in rows), 0.0)
        for term, chunk in self._having(terms, list(matched)):
            matched[int(chunk)] += idf[term]
        return {r: float(m / total) for r, m in matched.items()}

    def _having(self, terms: list[str], rows: list[int]) -> list[tuple[str, int]]:
        """(term, row) for each of `terms` that row of `rows` contains."""
        if self._lists():
            wanted = np.asarray(rows, dtype=np.int64)  # a term's chunks ascend (from_terms)
            return [
                (term, int(r))
                for term, (chunks, _) in self.terms.get(terms).items()
                for r in wanted[holding(chunks, wanted)]
            ]
        statement = sql.SQL(
            "SELECT term, chunk FROM {} WHERE term = ANY(%s) AND chunk = ANY(%s)"
        ).format(self.table)
        return self.db.query(statement, [terms, rows])


class PgVectorIndex:
    """`VectorIndex` over one partition's `vectors` table: an exact scan, or pgvector's HNSW index
    when the version has one (`hnsw`: its recall was measured, docs/SCALING.md)."""

    remote = True  # a search waits on the server (VectorIndex.remote)

    def __init__(self, db: Connections, schema: str, part: str, count: int, dim: int, hnsw: bool):
        self.db, self.count, self.dim, self.hnsw = db, count, dim, hnsw
        self.table = table_ref(schema, part, "vectors")

    def search(self, query, k, mask=None) -> list[tuple[int, float]]:
        """`VectorIndex.search`: at most `k` (row, inner product), best first, ties by row. A mask
        allowing at most EXACT_SUBSET rows is scanned exactly among them."""
        return [(r, s) for r, s, _, _ in self._search(query, None, k, mask)]

    def search_centred(self, query, shift, k, mask=None, probes=None):
        """(rows int64, scores float64, cosines float64, probed (n, m) float64): the `k` rows best
        by the inner product with `query - shift`, best first, with their plain inner product
        with `query` and with each of the (m, dim) `probes` (m = 0 without), in one statement
        (kb/retrieval/dense.py `search_centred`, the hub correction)."""
        probes = np.zeros((0, self.dim), np.float32) if probes is None else np.asarray(probes)
        found = self._search(np.asarray(query) - np.asarray(shift), query, k, mask, probes)
        rows, scores = arrays([(r, s) for r, s, _, _ in found])
        cosines = np.fromiter((c for _, _, c, _ in found), np.float64, len(found))
        probed = np.array([p for *_, p in found], np.float64).reshape(len(found), len(probes))
        return rows, scores, cosines, probed

    def mean(self, rows: np.ndarray | None = None) -> np.ndarray:
        """(dim,) float32 mean of every stored vector, or of those at `rows` ((n,) int), computed
        by the server (pgvector's avg: one pass, no vector sent); zeros for no rows."""
        where, params = sql.SQL(""), []
        if rows is not None:
            where, params = sql.SQL("WHERE row = ANY(%s)"), [np.asarray(rows, np.int32).tolist()]
        statement = sql.SQL("SELECT avg(embedding) FROM {} {}").format(self.table, where)
        found = self.db.query(statement, params)
        value = found[0][0] if found else None
        if value is None:
            return np.zeros(self.dim, dtype=np.float32)
        return np.asarray(value.to_numpy() if hasattr(value, "to_numpy") else value, np.float32)

    def least(self, probes: np.ndarray) -> np.ndarray:
        """(m,) float64: the least inner product of any stored vector with each of the (m, dim)
        `probes`, computed by the server in one pass (the per-language hub correction's bound,
        kb/retrieval/dense.py); zeros for an empty table."""
        params = {f"e{i}": np.asarray(p, np.float32).reshape(-1) for i, p in enumerate(probes)}
        columns = sql.SQL(", ").join(
            sql.SQL("max(embedding <#> {})").format(sql.Placeholder(name)) for name in params
        )
        found = self.db.query(sql.SQL("SELECT {} FROM {}").format(columns, self.table), params)
        return np.array([-(v or 0.0) for v in found[0]], np.float64)

    def _search(self, query, plain, k, mask, probes=()) -> list[tuple[int, float, float, tuple]]:
        """(row, inner product with `query`, with `plain` (the same without it), with each of
        `probes` (a tuple)) of the `k` best rows by the first, best first, ties by row. The
        probes' products are computed for those `k` rows only (an outer query)."""
        if self.count == 0 or k <= 0:
            return []
        # a named parameter, used twice, travels once (psycopg sends $1 for both)
        params: dict = {"q": np.ascontiguousarray(query, dtype=np.float32).reshape(-1)}
        where = sql.SQL("")
        exact = not self.hnsw
        if mask is not None:
            allowed = np.flatnonzero(mask)
            if allowed.size == 0:
                return []
            exact = exact or allowed.size <= EXACT_SUBSET
            where = sql.SQL("WHERE row = ANY(%(rows)s)")
            params["rows"] = allowed.astype(np.int32).tolist()
        columns = [sql.SQL("row"), sql.SQL("embedding <#> %(q)s AS d")]
        if plain is not None:
            params["p"] = np.ascontiguousarray(plain, dtype=np.float32).reshape(-1)
            columns.append(sql.SQL("embedding <#> %(p)s AS p"))
        # `+ 0` keeps the planner off the HNSW index for an exact scan
        order = sql.SQL("(embedding <#> %(q)s) + 0, row" if exact else "embedding <#> %(q)s")
        inner = [*columns, sql.SQL("embedding")] if len(probes) else columns
        statement = sql.SQL("SELECT {} FROM {} {} ORDER BY {} LIMIT {}").format(
            sql.SQL(", ").join(inner), self.table, where, order, sql.Literal(int(k))
        )
        if len(probes):  # the probes' products for the k best rows only
            for i, probe in enumerate(probes):
                params[f"e{i}"] = np.ascontiguousarray(probe, dtype=np.float32).reshape(-1)
            outer = [sql.SQL(c) for c in ("row", "d", "p")[: len(columns)]] + [
                sql.SQL("embedding <#> {}").format(sql.Placeholder(f"e{i}"))
                for i in range(len(probes))
            ]
            statement = sql.SQL("SELECT {} FROM ({}) AS best").format(
                sql.SQL(", ").join(outer), statement
            )
        rows = self.db.query(statement, params)
        width = 3 if plain is not None else 2
        found = sorted(
            (float(r[1]), int(r[0]), float(r[width - 1]), tuple(-float(x) for x in r[width:]))
            for r in rows
        )
        return [(r, -d, -p, e) for d, r, p, e in found]

    def search_arrays(self, query, k, mask=None) -> tuple[np.ndarray, np.ndarray]:
        """`VectorIndex.search_arrays`: `search` as arrays."""
        return arrays(self.search(query, k, mask))

    def reconstruct(self, rows: np.ndarray) -> np.ndarray:
        """(len(rows), dim) float32: the stored vectors at `rows`, in that order."""
        wanted = [int(r) for r in np.asarray(rows).reshape(-1)]
        statement = sql.SQL("SELECT row, embedding FROM {} WHERE row = ANY(%s)").format(self.table)
        found = {
            int(r): np.asarray(v.to_numpy() if hasattr(v, "to_numpy") else v, dtype=np.float32)
            for r, v in self.db.query(statement, [wanted])
        }
        if not wanted:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.stack([found[r] for r in wanted])
