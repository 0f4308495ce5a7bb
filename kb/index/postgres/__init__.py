"""The PostgreSQL + pgvector implementation of the storage seam (kb/index/storage.py): versions as
schemas, BM25 in SQL, vectors in pgvector, row-level security for the public role."""

from .store import PostgresStore, open_postgres, with_replicas

__all__ = ["PostgresStore", "open_postgres", "with_replicas"]
