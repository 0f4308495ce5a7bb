"""The manifest: how an index version was built and the sha256 of every file in it.

Written as `manifest.json` in each version folder (txtai's habit of recording an index's metadata
next to its data): search refuses a version built by another encoder or format, a rebuild compares
settings and article content hashes with it, and loading checks the files against it.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import MISSING, dataclass, field, fields
from pathlib import Path, PurePosixPath

from ..errors import CorruptIndexError
from ..faults import fault_point
from ..options import TextSettings
from .layout import (
    ARTICLES_FILE,
    BM25_DIR,
    CHUNK_DOCS_FILE,
    CHUNKS_FILE,
    FORMAT_VERSION,
    MANIFEST,
    PARTITIONS,
    SECTIONS_FILE,
    SEGMENTS_DIR,
    TARGETS_FILE,
    TMP_PREFIX,
    VECTOR_ROWS_FILE,
    VECTORS_FILE,
)

BUILD_SETTINGS = ("encoder", "text", "chunking", "vectors")


@dataclass(frozen=True)
class Manifest:
    """One version's record. Dict fields are stored as JSON objects with the same keys:

    encoder: {"id": str, "dim": int}; text, chunking, vectors: the settings dataclasses as dicts;
    articles: slug -> content hash (16 hex); counts: partition -> {"articles", "sections",
    "chunks"}; build: {"encoded", "reused", "added", "changed", "removed", "locations"};
    files: path relative to the version folder -> sha256 hex; synonyms: {"file", "sha256",
    "text"} of the synonyms list, {} without one; segments: partition -> [{"name", "docs",
    "vectors"}] in order (kb/index/segfiles.py), {} for a version written before segments."""

    version: str
    created_at: str  # ISO 8601, UTC, seconds
    encoder: dict
    text: dict
    chunking: dict
    vectors: dict
    articles: dict[str, str] = field(default_factory=dict)
    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    build: dict = field(default_factory=dict)
    files: dict[str, str] = field(default_factory=dict)
    # the articles folder's synonyms.txt as built (kb/ingest/synonyms.py manifest_entry): {} for
    # none; kept in the manifest so a rollback restores the list the version was built with
    synonyms: dict = field(default_factory=dict)
    # partition -> its segment names in order (kb/index/segfiles.py); {} for a version written
    # before segments (one bm25/ folder and vectors.faiss per partition)
    segments: dict = field(default_factory=dict)
    format: int = FORMAT_VERSION

    @property
    def encoder_id(self) -> str:
        """`Encoder.id` of the encoder that built the version."""
        return self.encoder["id"]

    @property
    def text_settings(self) -> TextSettings:
        """How queries must be tokenised to match this version's BM25 index. A setting added after
        the version was built (absent from its manifest) was off when it was built."""
        added_later = {"char_unigrams": False, "canonical_numbers": False}
        return TextSettings(**{**added_later, **self.text})

    @property
    def language_neutral(self) -> bool:
        """Whether the vectors had the language direction projected out (then each partition
        holds language_direction.npy and queries are projected alike)."""
        return bool(self.vectors.get("language_neutral"))

    @property
    def title_vectors(self) -> bool:
        """Whether each article with chunks has one title vector after the chunk vectors."""
        return bool(self.vectors.get("title_vectors"))

    @property
    def query_side_titles(self) -> bool:
        """Whether title vectors were encoded on the query side (VectorSettings); False for a
        version built before the setting existed (their titles are passages)."""
        return bool(self.vectors.get("query_side_titles", False))

    def build_settings(self) -> dict:
        """Everything that, when changed, makes the previous version's vectors or tokens unusable."""
        return {name: getattr(self, name) for name in BUILD_SETTINGS}

    def to_json(self) -> str:
        """JSON with one field a line, `format` first, non-ASCII kept; `from_json` reads it back."""
        # shallow: asdict deep-copies every field, 7 s for the article hashes of 100k articles
        data = {f.name: getattr(self, f.name) for f in fields(self)}
        ordered = {"format": data.pop("format"), **data}
        # each value compact: json's C encoder (indent= falls back to pure Python, ~1 CPU s for
        # the article hashes and file checksums of 100k articles; issue 16)
        lines = (
            f"  {json.dumps(k)}: {json.dumps(v, ensure_ascii=False)}" for k, v in ordered.items()
        )
        return "{\n" + ",\n".join(lines) + "\n}"

    @classmethod
    def from_json(cls, text: str, where: Path) -> Manifest:
        """Raises CorruptIndexError when the JSON is not a manifest of this program's format."""
        try:
            data = json.loads(text)
        except (ValueError, RecursionError) as exc:
            raise CorruptIndexError(
                f"{where} is unreadable ({str(exc)[:200]}); roll back (python -m kb rollback) or "
                "rebuild"
            ) from exc
        fmt = data.get("format") if isinstance(data, dict) else None
        if fmt != FORMAT_VERSION:
            shown = fmt if isinstance(fmt, int) and not isinstance(fmt, bool) else "unknown"
            raise CorruptIndexError(
                f"{where.parent} has index format {shown}, this program reads "
                f"format {FORMAT_VERSION}; rebuild with: python -m kb build"
            )
        problem = _field_problem(data)
        if problem:
            raise CorruptIndexError(f"{where} is not a complete manifest ({problem}); rebuild")
        return cls(**data)


def _is_relative_file(name: object) -> bool:
    """Whether a manifest file name stays inside its version folder: relative, no `..`."""
    if not isinstance(name, str) or not name or "\\" in name or "\x00" in name:
        return False
    path = PurePosixPath(name)
    return not path.is_absolute() and ".." not in path.parts and "." not in path.parts


def _field_problem(data: dict) -> str:
    """What is wrong with the fields of a manifest of this format, or "" (shapes as Manifest's
    docstring says; file names relative to the version folder)."""
    known = {f.name: f for f in fields(Manifest)}
    unknown = sorted(set(data) - set(known))
    required = [n for n, f in known.items() if f.default is MISSING is f.default_factory]
    missing = [n for n in required if n not in data]
    if unknown or missing:
        return f"unknown fields {unknown}" if unknown else f"missing fields {missing}"
    for name in known:
        kind = str if name in ("version", "created_at") else int if name == "format" else dict
        if name in data and not isinstance(data[name], kind):
            return f"{name} is not a {kind.__name__}"
    encoder = data["encoder"]
    if not isinstance(encoder.get("id"), str) or not isinstance(encoder.get("dim"), int):
        return "encoder needs an id and a dim"
    counts = data.get("counts", {}).values()
    if not all(isinstance(c, dict) and all(isinstance(n, int) for n in c.values()) for c in counts):
        return "counts are not numbers per partition"
    files = data.get("files", {})
    if not all(_is_relative_file(k) and isinstance(v, str) for k, v in files.items()):
        return "a file name leaves the version folder or a checksum is not text"
    return ""


def read_manifest(version_dir: Path) -> Manifest:
    """The manifest of a version folder. Raises CorruptIndexError (unreadable, not UTF-8, a
    symbolic link, other format, fields of the wrong shape)."""
    path = version_dir / MANIFEST
    try:
        if path.is_symlink():
            raise CorruptIndexError(f"{path} is a symbolic link; rebuild")
        text = path.read_text(encoding="utf-8")
    except (OSError, ValueError) as exc:  # UnicodeDecodeError is a ValueError
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)[:200]
        raise CorruptIndexError(
            f"{path} is unreadable ({reason}); roll back (python -m kb rollback) or rebuild"
        ) from exc
    manifest = Manifest.from_json(text, path)
    if manifest.version and manifest.version != version_dir.name.removeprefix(TMP_PREFIX):
        raise CorruptIndexError(
            f"{path} describes version {manifest.version!r}, not {version_dir.name}: a manifest "
            "copied from another version; rebuild"
        )
    return manifest


def write_manifest(version_dir: Path, manifest: Manifest) -> None:
    """Write `manifest.json` into a version folder being built, then check that it reads back as
    the bytes written: the same check as parsing it again, without parsing 100,000 article
    hashes a second time (0.05-0.1 s of a one-article rebuild at 100k; `to_json` only writes
    what `from_json` reads back equal, tests/build/test_shared_segments.py). Raises OSError
    (disk full) or CorruptIndexError (not read back as written)."""
    path = version_dir / MANIFEST
    data = manifest.to_json().encode("utf-8")
    path.write_bytes(data)
    fault_point("before-verify")
    try:
        same = not path.is_symlink() and path.read_bytes() == data
    except OSError as exc:
        raise CorruptIndexError(f"{path} cannot be read back ({exc.strerror}); rebuild") from exc
    if not same:
        raise CorruptIndexError(f"{path} does not read back as written; rebuild")


def sha256_file(path: Path) -> str:
    """Hex sha256 of the file's bytes, read in 1 MiB blocks. Raises OSError."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def checksums(root: Path, skip: set[str] = frozenset()) -> dict[str, str]:
    """sha256 (hex) of every file under `root` except manifest.json and the relative paths in
    `skip` (files whose checksum is already known), by path relative to `root`, in sorted order."""
    return {
        str(p.relative_to(root)): sha256_file(p)
        for p in sorted(root.rglob("*"))
        if p.is_file() and p.name != MANIFEST and str(p.relative_to(root)) not in skip
    }


def required_files(partition: str) -> list[str]:
    """Files every partition's manifest entry must list (relative to the version folder); the
    BM25 folder must list at least one file too (`verify_files` checks it)."""
    names = (ARTICLES_FILE, SECTIONS_FILE, CHUNKS_FILE, VECTORS_FILE, TARGETS_FILE)
    return [f"{partition}/{name}" for name in names]


def _check_listed(version_dir: Path, manifest: Manifest, partitions: list[str]) -> None:
    """Raises CorruptIndexError when the manifest leaves out a file the partitions need."""
    for part in partitions:
        needed = required_files(part)
        folder = f"{part}/{BM25_DIR}/"
        if manifest.segments.get(part) is not None:  # segmented: no vectors.faiss at the top
            needed = [n for n in needed if n != f"{part}/{VECTORS_FILE}"]
            needed += [f"{part}/{name}" for name in (CHUNK_DOCS_FILE, VECTOR_ROWS_FILE)]
            folder = f"{part}/{SEGMENTS_DIR}/"
        missing = [n for n in needed if n not in manifest.files]
        if not any(n.startswith(folder) for n in manifest.files) and (
            manifest.segments.get(part) is None or manifest.segments[part]
        ):
            missing.append(folder)
        if missing:
            raise CorruptIndexError(
                f"{version_dir / MANIFEST} does not list {missing[0]}: the manifest is incomplete"
            )


def _inside(version_dir: Path, path: Path) -> bool:
    """Whether `path`, with every symbolic link resolved, is inside `version_dir`."""
    root = os.path.realpath(version_dir)
    return os.path.commonpath([root, os.path.realpath(path)]) == root and not path.is_symlink()


def verify_files(version_dir: Path, manifest: Manifest, prefix: str = "") -> None:
    """Compare files against the manifest's checksums (only those under `prefix`, e.g. "public/";
    the partitions it covers must list their required files). A file reached through a symbolic
    link, or outside the version folder, counts as changed.

    Raises CorruptIndexError naming the first missing, unlisted or changed file."""
    covered = [p for p in PARTITIONS if f"{p}/".startswith(prefix) or prefix.startswith(f"{p}/")]
    _check_listed(version_dir, manifest, covered)
    for rel, expected in manifest.files.items():
        if not rel.startswith(prefix):
            continue
        path = version_dir / rel
        if not path.exists():
            raise CorruptIndexError(f"{path} is missing from index version {version_dir.name}")
        if not _inside(version_dir, path):
            raise CorruptIndexError(f"{path} is a link out of index version {version_dir.name}")
        if not path.is_file() or sha256_file(path) != expected:
            raise CorruptIndexError(
                f"{path} does not match its checksum in {MANIFEST}: the index "
                "file was changed or damaged"
            )


def verify_version(version_dir: Path) -> Manifest:
    """The manifest of a version folder after checking every file of both partitions against it
    (what a rollback requires of its target). Raises CorruptIndexError naming the problem; an
    unreadable file counts as damaged."""
    manifest = read_manifest(version_dir)
    try:
        verify_files(version_dir, manifest)
    except OSError as exc:
        raise CorruptIndexError(f"cannot read index version {version_dir.name} ({exc})") from exc
    return manifest
