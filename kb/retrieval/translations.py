"""The versions of one article in other languages (its language group, linked at ingest by the
`translation_of` field: kb/ingest/translations.py), for front ends that prefer the reader's
language."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

from ..index.catalog import ArticleCatalog


def language_versions(catalog: ArticleCatalog, slug: str) -> dict[str, str]:
    """language code -> slug of every version of `slug` this catalog holds (the article itself
    included); {} for an unknown slug. Its original and the original's other translations are
    found by one vectorised scan of the `translation_of` column (absent in versions built before
    the field existed: then only the article itself)."""
    row = catalog.row_of(slug)
    if row is None:
        return {}
    view = catalog.views([row])[0]
    original = view.translation_of or slug
    found = {view.language: slug}
    if "translation_of" not in catalog.table.column_names:
        return found
    column = catalog.table.column("translation_of")
    rows = pc.indices_nonzero(pc.equal(column, pa.scalar(original, pa.string()))).to_pylist()
    origin = catalog.row_of(original)
    rows += [origin] if origin is not None else []
    for other in catalog.views(rows):
        found.setdefault(other.language, other.slug)
    return found


def preferred_version(catalog: ArticleCatalog, slug: str, language: str) -> str:
    """The slug of `slug`'s version in `language` when the catalog holds one, else `slug`."""
    return language_versions(catalog, slug).get(language, slug)
