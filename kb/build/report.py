"""What a build did: counts, what changed, time per stage, and a one-line summary."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

# progress(done, total, stage) lets the app draw its own bar; the CLI uses tqdm
Progress = Callable[[int, int, str], None]


@dataclass
class BuildReport:
    """What `build_index` did.

    `version`: the live version afterwards (the unchanged previous one when nothing was
    published); `articles`, `sections`, `chunks`: counts over every article (the `all` partition);
    `encoded`: distinct texts (chunks and titles) this build sent to the encoder, cache misses
    only; `reused`: vectors of the new version not encoded by this build (copied from the live
    version or found in the embedding cache); `added`, `changed`, `removed`: sorted slugs against
    the live version; `seconds`: wall-clock seconds per stage that ran (load, reuse, chunk, encode,
    tokenize, bm25, faiss, write). `held`: the new version was written and kept but not made live
    (a gated build; `version` is then the new, not the live, version). `moved`: an article's
    file or lines changed (a file renamed, rows moved), or the live version did not record them."""

    version: str
    published: bool
    articles: int
    sections: int
    chunks: int
    encoded: int
    reused: int
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)
    held: bool = False
    moved: bool = False

    def summary(self) -> str:
        """One line for logs and the CLI: version, published or not, counts, encoded and reused,
        how many added / changed / removed, and the total of `seconds`."""
        total = sum(self.seconds.values())
        state = "published" if self.published else "unchanged, nothing published"
        if self.published and self.held:
            state = "built and kept, not live"
        return (
            f"version {self.version} ({state}): {self.articles} articles, {self.sections} sections, "
            f"{self.chunks} chunks; encoded {self.encoded}, reused {self.reused} from cache; "
            f"added {len(self.added)}, changed {len(self.changed)}, removed {len(self.removed)}"
            f"{'; files or lines moved' if self.moved else ''}; {total:.2f}s"
        )
