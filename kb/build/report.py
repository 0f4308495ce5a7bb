"""What a build did: counts, what changed, time per stage, and a one-line summary."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

# progress(done, total, stage) lets the app draw its own bar; the CLI uses tqdm
Progress = Callable[[int, int, str], None]


@dataclass
class BuildReport:
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

    def summary(self) -> str:
        total = sum(self.seconds.values())
        state = "published" if self.published else "unchanged, nothing published"
        return (
            f"version {self.version} ({state}): {self.articles} articles, {self.sections} sections, "
            f"{self.chunks} chunks; encoded {self.encoded}, reused {self.reused} from cache; "
            f"added {len(self.added)}, changed {len(self.changed)}, removed {len(self.removed)}; "
            f"{total:.2f}s"
        )
