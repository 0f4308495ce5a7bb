"""The manifest: how an index version was built and the sha256 of every file in it.

Written as `manifest.json` in each version folder (txtai's habit of recording an index's metadata
next to its data): search refuses a version built by another encoder or format, a rebuild compares
settings and article content hashes with it, and loading checks the files against it.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

from ..errors import CorruptIndexError
from ..options import TextSettings
from .layout import FORMAT_VERSION, MANIFEST

BUILD_SETTINGS = ("encoder", "text", "chunking", "vectors")


@dataclass(frozen=True)
class Manifest:
    """One version's record. Dict fields are stored as JSON objects with the same keys:

    encoder: {"id": str, "dim": int}; text, chunking, vectors: the settings dataclasses as dicts;
    articles: slug -> content hash (16 hex); counts: partition -> {"articles", "sections",
    "chunks"}; build: {"encoded", "reused", "added", "changed", "removed"};
    files: path relative to the version folder -> sha256 hex."""

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
    format: int = FORMAT_VERSION

    @property
    def encoder_id(self) -> str:
        """`Encoder.id` of the encoder that built the version."""
        return self.encoder["id"]

    @property
    def text_settings(self) -> TextSettings:
        """How queries must be tokenised to match this version's BM25 index."""
        return TextSettings(**self.text)

    @property
    def language_neutral(self) -> bool:
        """Whether the vectors had the language direction projected out (then each partition
        holds language_direction.npy and queries are projected alike)."""
        return bool(self.vectors.get("language_neutral"))

    @property
    def title_vectors(self) -> bool:
        """Whether each article with chunks has one title vector after the chunk vectors."""
        return bool(self.vectors.get("title_vectors"))

    def build_settings(self) -> dict:
        """Everything that, when changed, makes the previous version's vectors or tokens unusable."""
        return {name: getattr(self, name) for name in BUILD_SETTINGS}

    def to_json(self) -> str:
        """Indented JSON, `format` first, non-ASCII kept; `from_json` reads it back."""
        data = asdict(self)
        ordered = {"format": data.pop("format"), **data}
        return json.dumps(ordered, ensure_ascii=False, indent=2)

    @classmethod
    def from_json(cls, text: str, where: Path) -> Manifest:
        """Raises CorruptIndexError when the JSON is not a manifest of this program's format."""
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise CorruptIndexError(
                f"{where} is unreadable ({exc}); roll back (python -m kb rollback) or rebuild"
            ) from exc
        fmt = data.get("format") if isinstance(data, dict) else None
        if fmt != FORMAT_VERSION:
            raise CorruptIndexError(
                f"{where.parent} has index format {fmt!r}, this program reads "
                f"format {FORMAT_VERSION}; rebuild with: python -m kb build"
            )
        try:
            return cls(**data)
        except TypeError as exc:
            raise CorruptIndexError(f"{where} is not a complete manifest ({exc}); rebuild") from exc


def read_manifest(version_dir: Path) -> Manifest:
    """The manifest of a version folder. Raises CorruptIndexError (unreadable, other format)."""
    path = version_dir / MANIFEST
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise CorruptIndexError(
            f"{path} is unreadable ({exc}); roll back (python -m kb rollback) or rebuild"
        ) from exc
    return Manifest.from_json(text, path)


def sha256_file(path: Path) -> str:
    """Hex sha256 of the file's bytes, read in 1 MiB blocks. Raises OSError."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def checksums(root: Path) -> dict[str, str]:
    """sha256 (hex) of every file under `root` except manifest.json, by path relative to `root`,
    in sorted order."""
    return {
        str(p.relative_to(root)): sha256_file(p)
        for p in sorted(root.rglob("*"))
        if p.is_file() and p.name != MANIFEST
    }


def verify_files(version_dir: Path, manifest: Manifest, prefix: str = "") -> None:
    """Compare files against the manifest's checksums (only those under `prefix`).

    Raises CorruptIndexError naming the first missing or changed file."""
    for rel, expected in manifest.files.items():
        if not rel.startswith(prefix):
            continue
        path = version_dir / rel
        if not path.exists():
            raise CorruptIndexError(f"{path} is missing from index version {version_dir.name}")
        if sha256_file(path) != expected:
            raise CorruptIndexError(
                f"{path} does not match its checksum in {MANIFEST}: the index "
                "file was changed or damaged"
            )
