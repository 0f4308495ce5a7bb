"""PostgresStore: the storage seam (`IndexStore`, kb/index/storage.py) over PostgreSQL + pgvector.

Location: `postgresql://user[:password]@host:port/database` (also `postgres://`); searches may go to
replicas (`replicas`, e.g. `kb search --replica URL`), writes always go to the primary. Publishing:
one transaction creates the version's schema and fills it (kb/index/postgres/write.py) and records
the version; a second one switches `kb.live` and records the switch in `kb.history`; then versions
beyond KEEP_VERSIONS are dropped. A process killed at any point leaves the previous version live
(an uncommitted transaction vanishes with its connection). The write lock is a session advisory
lock, which PostgreSQL releases when its holder disconnects or dies.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import hashlib
import logging
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import psycopg
from pgvector.psycopg import register_vector
from psycopg import sql

from ...errors import (
    BuildLockedError,
    CorruptIndexError,
    EncoderMismatchError,
    IndexNotFoundError,
    IndexWriteError,
    NothingToRollBackError,
)
from ...faults import fault_point
from ...options import Role
from .. import history
from ..catalog import ArticleCatalog
from ..layout import partition_for
from ..load import LoadedIndex
from ..manifest import Manifest
from ..segment import Partitions, Segment
from ..versions import KEEP_VERSIONS, new_version_name
from . import schema as names
from .load import load_partition, read_catalog
from .read import Connections, _safe
from .write import build_memory, write_partition

log = logging.getLogger(__name__)
CONTROL = names.CONTROL


class PostgresStore:
    """An index in a PostgreSQL database (control tables in schema `kb`, one schema per version)."""

    def __init__(self, url: str, replicas: list[str] | None = None):
        self.url = url
        self.replicas = list(replicas or [])
        self.label = _safe(url)
        self._reads = Connections([*self.replicas, url])  # searches' reads: replicas first
        self._primary = Connections([url])  # what a build reads before it writes

    @property
    def cache_dir(self) -> Path:
        """`IndexStore.cache_dir`: `~/.cache/kb/pg-<hash of the URL without password>`, local to
        each build machine (the caches only save encoding time)."""
        key = hashlib.sha256(self.label.encode()).hexdigest()[:16]
        return Path.home() / ".cache" / "kb" / f"pg-{key}"

    def _connect(self, autocommit: bool = True) -> psycopg.Connection:
        try:
            return psycopg.connect(self.url, autocommit=autocommit, connect_timeout=10)
        except psycopg.OperationalError as exc:
            raise IndexNotFoundError(
                self.label, f"cannot connect ({str(exc).strip()[:200]})"
            ) from exc

    def _rows(self, statement, params=(), primary: bool = False) -> list[tuple]:
        """Rows of a read (replicas first unless `primary`). Raises IndexNotFoundError when no
        server answers or the control tables are missing."""
        try:
            return (self._primary if primary else self._reads).query(statement, params)
        except psycopg.errors.UndefinedTable as exc:
            raise IndexNotFoundError(self.label, "no index built there yet") from exc
        except psycopg.OperationalError as exc:
            raise IndexNotFoundError(
                self.label, f"cannot connect ({str(exc).strip()[:300]})"
            ) from exc

    # -- reading --------------------------------------------------------------------------------

    def live_version(self, primary: bool = False) -> str:
        """The version `kb.live` names (on the primary when `primary`). Raises IndexNotFoundError
        when nothing is live or no server answers."""
        rows = self._rows(f"SELECT version FROM {CONTROL}.live", primary=primary)
        if not rows:
            raise IndexNotFoundError(self.label, "nothing is live")
        return rows[0][0]

    def versions(self) -> list[str]:
        """Complete versions, oldest first (names sort by build time)."""
        return [r[0] for r in self._rows(f"SELECT version FROM {CONTROL}.versions ORDER BY 1")]

    def manifest(self, version: str, primary: bool = False) -> Manifest:
        """The stored manifest. IndexNotFoundError for an unknown version, CorruptIndexError for
        one that does not read as a manifest of this program's format."""
        statement = f"SELECT manifest FROM {CONTROL}.versions WHERE version = %s"
        rows = self._rows(statement, [version], primary=primary)
        if not rows:
            raise IndexNotFoundError(self.label, f"{version!r} is not a version of it")
        return Manifest.from_json(rows[0][0], Path(self.label) / version)

    def damage(self, version: str, verify: bool = False) -> str:
        """Why `version` cannot serve (manifest unreadable, schema missing; with `verify`, a
        table whose row count differs from the manifest's counts), or "". The bytes themselves
        are the database's to check (page checksums), as the file backend's are its sha256."""
        try:
            manifest = self.manifest(version)
            schema = names.version_schema(version)
            rows = self._rows("SELECT 1 FROM pg_namespace WHERE nspname = %s", [schema])
            if rows and verify:
                return self._miscounted(schema, manifest)
        except Exception as exc:  # never raises: a reason is the answer
            return str(exc)
        return "" if rows else f"schema of {version} is missing"

    def _miscounted(self, schema: str, manifest: Manifest) -> str:
        """The first table of `schema` whose row count is not the manifest's count, or ""."""
        with self._connect() as conn:
            for part, counts in manifest.counts.items():
                for table, expected in counts.items():
                    name = sql.Identifier(schema, f"{part}_{table}")
                    count = sql.SQL("SELECT count(*) FROM {}").format(name)
                    found = conn.execute(count).fetchone()[0]
                    if found != expected:
                        return f"{schema}.{part}_{table} has {found} rows, not {expected}"
        return ""

    def catalog(self, version: str) -> ArticleCatalog:
        """`IndexStore.catalog`: the `all` partition's articles and sections."""
        self.manifest(version)
        with self._connect() as conn:
            return read_catalog(conn, names.version_schema(version), "all")

    def load(self, role: Role | str, expect_encoder: str | None = None) -> LoadedIndex:
        """`IndexStore.load`: the live version's partition for `role`, searched in the database
        (replicas first when given). The public partition is read as `kb_public`, which row-level
        security limits to public rows. Raises IndexNotFoundError, EncoderMismatchError,
        CorruptIndexError (a version that cannot be read), ConfigError (unknown role, or a user
        that may not act as kb_public)."""
        role = Role.parse(role, "role") if isinstance(role, str) else role
        version = self.live_version()
        manifest = self.manifest(version)
        if expect_encoder is not None and manifest.encoder_id != expect_encoder:
            raise EncoderMismatchError(self.label, manifest.encoder_id, expect_encoder)
        part = partition_for(role)
        setting = manifest.build.get("vector_index", {}).get(part, {"kind": "exact"})
        db = Connections(
            [*self.replicas, self.url],
            role=names.PUBLIC_ROLE if role is Role.PUBLIC else None,
            ef_search=setting.get("ef_search"),
        )
        try:
            return load_partition(db, version, role, manifest, part, setting)
        except (psycopg.Error, KeyError, ValueError) as exc:
            raise CorruptIndexError(f"cannot read index version {version} ({exc})") from exc

    def language_direction(self, version: str) -> np.ndarray:
        """(dim,) float32 stored with `version`. Raises OSError when it has none."""
        rows = self._rows(f"SELECT direction FROM {CONTROL}.versions WHERE version = %s", [version])
        if not rows or rows[0][0] is None:
            raise OSError(f"index version {version} has no language direction")
        return np.frombuffer(rows[0][0], dtype=np.float32).copy()

    def live_manifest(self) -> Manifest | None:
        """The live manifest, or None (nothing live, or unreadable). Never raises."""
        try:
            return self.manifest(self.live_version(primary=True), primary=True)
        except Exception:  # the build then starts from scratch
            return None

    def segments(self, manifest: Manifest, dim: int) -> dict[str, Segment]:
        """{}: a build from a database re-encodes through the local embedding cache instead of
        reading the previous version back (same answers; docs/SCALING.md lists it to do)."""
        return {}

    # -- writing --------------------------------------------------------------------------------

    @contextlib.contextmanager
    def lock(self) -> Iterator[None]:
        """`IndexStore.lock`: a session advisory lock on the primary, held by one connection for
        the duration. Raises BuildLockedError at once when another holds it."""
        conn = self._connect()
        try:
            got = conn.execute("SELECT pg_try_advisory_lock(%s)", [names.LOCK_KEY]).fetchone()[0]
            if not got:
                raise BuildLockedError(
                    f"another build is writing {self.label}; wait for it to finish and run the "
                    "build again"
                )
            yield
        finally:
            conn.close()  # releases the advisory lock

    def publish(
        self, partitions: Partitions, manifest: Manifest, direction: np.ndarray | None
    ) -> tuple[Manifest, dict[str, float]]:
        """`IndexStore.publish` (the module docstring says how). An error of the database is
        raised as IndexWriteError naming it; the previous version stays live."""
        started = time.perf_counter()
        version = new_version_name()
        before = self._live_or_none()
        try:
            with self._connect(autocommit=False) as conn:
                for statement in names.control_ddl():
                    conn.execute(statement)
                conn.commit()
                register_vector(conn)
                manifest = self._write_version(conn, version, partitions, manifest, direction)
                fault_point("before-switch")
                self._switch(conn, "publish", before, version)
                fault_point("after-switch")
                self._prune(conn)
        except psycopg.Error as exc:
            raise IndexWriteError(
                self.label, OSError(str(exc).strip()[:300]), before, "build"
            ) from exc
        return manifest, {"bm25": 0.0, "faiss": 0.0, "write": time.perf_counter() - started}

    def _live_or_none(self) -> str | None:
        try:
            return self.live_version(primary=True)
        except IndexNotFoundError:
            return None

    def _write_version(self, conn, version, partitions, manifest, direction) -> Manifest:
        """One transaction: the version's schema, its rows, indexes, security and its manifest."""
        schema = names.version_schema(version)
        dim = manifest.encoder["dim"]
        with conn.cursor() as cur:
            for statement in names.version_ddl(schema, dim):
                cur.execute(statement)
            counts, settings = {}, {}
            for part, (articles, segment) in partitions.items():
                counts[part], settings[part] = write_partition(
                    cur, schema, part, articles, segment, manifest.title_vectors
                )
                fault_point("during-write")
            hnsw = {p: (s if s["kind"] == "hnsw" else None) for p, s in settings.items()}
            memory = build_memory(settings, dim)  # the HNSW graph built in memory, not on disk
            if memory is not None:
                cur.execute(memory)
            for statement in [*names.index_ddl(schema, hnsw), *names.security_ddl(schema)]:
                cur.execute(statement)
            fault_point("after-partitions-written")
            manifest = dataclasses.replace(
                manifest,
                version=version,
                created_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                counts=counts,
                build={**manifest.build, "vector_index": settings},
            )
            blob = None if direction is None else np.asarray(direction, np.float32).tobytes()
            cur.execute(
                f"INSERT INTO {CONTROL}.versions VALUES (%s, %s, %s, %s)",
                [version, manifest.created_at, manifest.to_json(), blob],
            )
            fault_point("before-verify")
        fault_point("before-rename")
        conn.commit()
        return manifest

    def _switch(self, conn, action: str, old: str | None, new: str) -> None:
        """One transaction: `kb.live` names `new`, and the switch is recorded in `kb.history`."""
        now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        conn.execute(
            f"INSERT INTO {CONTROL}.live VALUES (1, %s) ON CONFLICT (one) DO UPDATE "
            "SET version = EXCLUDED.version",
            [new],
        )
        fault_point("before-history" if action == "publish" else "rollback-before-history")
        conn.execute(f"INSERT INTO {CONTROL}.history (at, action, old, new) VALUES "
                     "(%s, %s, %s, %s)", [now, action, old, new])  # fmt: skip
        conn.commit()

    def _order(self, conn) -> tuple[str, list[str], list[str]]:
        """(live, rollback order most recent first, every version) from kb.history."""
        live = conn.execute(f"SELECT version FROM {CONTROL}.live").fetchone()[0]
        present = [r[0] for r in conn.execute(f"SELECT version FROM {CONTROL}.versions ORDER BY 1")]
        events = [
            history.Switch(*row)
            for row in conn.execute(
                f"SELECT at, action, old, new FROM {CONTROL}.history ORDER BY seq"
            )
        ]
        stack = history.stack(events, live, present)
        return live, [v for v in reversed(stack[:-1]) if v in present], present

    def _prune(self, conn, keep: int = KEEP_VERSIONS) -> None:
        """Drop every version but the live one, its rollback order and the newest others, up to
        `keep`; and schemas of versions that never completed (a killed build)."""
        live, below, present = self._order(conn)
        rest = [v for v in reversed(present) if v != live and v not in below]
        kept = set([live, *below, *rest][:keep])
        for version in present:
            if version not in kept:
                conn.execute(f"DELETE FROM {CONTROL}.versions WHERE version = %s", [version])
        wanted = {names.version_schema(v) for v in kept}
        for (schema,) in conn.execute(
            "SELECT nspname FROM pg_namespace WHERE nspname LIKE 'kbv\\_%'"
        ).fetchall():
            if schema not in wanted:
                conn.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(schema)))
        conn.commit()

    def rollback(self) -> tuple[str, str]:
        """`IndexStore.rollback`: back to the version live before the live one (kb.history);
        returns (old, new). Raises BuildLockedError, NothingToRollBackError."""
        with self.lock(), self._connect(autocommit=False) as conn:
            try:
                live, order, _ = self._order(conn)
            except (psycopg.errors.UndefinedTable, TypeError) as exc:
                raise IndexNotFoundError(self.label, "nothing is live") from exc
            target = next((v for v in order if not self.damage(v)), None)
            if target is None:
                raise NothingToRollBackError(self.label, live)
            fault_point("rollback-before-switch")
            self._switch(conn, "rollback", live, target)
            return live, target


REPLICA_MARK = "#replica="


def open_postgres(location: str) -> PostgresStore:
    """The store at `location`: a primary URL, optionally followed by `#replica=` and one or more
    replica URLs joined by `,` (what `with_replicas` writes, so KB_INDEX carries them to the
    service's workers and the app)."""
    primary, _, rest = location.partition(REPLICA_MARK)
    return PostgresStore(primary, [r for r in rest.split(",") if r])


def with_replicas(location: str, replicas: list[str]) -> str:
    """`location` with `replicas` (URLs searches go to first) appended for `open_postgres`."""
    if not replicas:
        return location
    return location + REPLICA_MARK + ",".join(replicas)
