"""The switch history of an index folder: which version was live before which.

Every switch of CURRENT, a build's publish or a rollback, is recorded as one JSON line in
`<index>/HISTORY` (`{"at": ISO time, "action": "publish" | "rollback", "from": version | null,
"to": version}`), written after the switch by rewriting the file under a temporary name and renaming
it (the way CURRENT is written), so a reader sees the old or the new history, never half a line.

Rollback reads it as an undo stack (`stack`): a publish pushes its version, a rollback pops back to
the version it restored. Rolling back therefore returns to the version that was live before the
current one, never to a version that was rolled back from (a rollback is undone by a build, not by
another rollback), and repeated rollbacks walk further back. The history is advisory: CURRENT stays
the truth, and a missing, damaged or out-of-date history is reconciled with it (`stack`).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from ..atomic import atomic_write_text
from .layout import HISTORY, VERSION_NAME

log = logging.getLogger(__name__)

ACTIONS = ("publish", "rollback")
MAX_EVENTS = 1000  # older lines are dropped when the file is rewritten; 5 versions are kept
MAX_BYTES = 1 << 20  # a longer file is read from its last MAX_BYTES only


@dataclass(frozen=True)
class Switch:
    """One switch of CURRENT: `action` ("publish" or "rollback") made `new` live in place of
    `old` (None when nothing was live) at `at` (ISO 8601 UTC)."""

    at: str
    action: str
    old: str | None
    new: str
    note: str = ""  # why, when it is worth saying: e.g. a publish forced past the eval gate

    def to_json(self) -> str:
        """The switch as one JSON line (no newline); "note" only when there is one."""
        data = {"at": self.at, "action": self.action, "from": self.old, "to": self.new}
        if self.note:
            data["note"] = self.note
        return json.dumps(data, ensure_ascii=False)


def _parse(line: str) -> Switch | None:
    """The switch on one line, or None for a line that is not one (damaged, hand-edited)."""
    try:
        data = json.loads(line)
    except (ValueError, RecursionError):
        return None
    if not isinstance(data, dict) or data.get("action") not in ACTIONS:
        return None
    new, old, at = data.get("to"), data.get("from"), data.get("at", "")
    if not isinstance(new, str) or not VERSION_NAME.fullmatch(new) or not isinstance(at, str):
        return None
    if old is not None and not (isinstance(old, str) and VERSION_NAME.fullmatch(old)):
        return None
    note = data.get("note", "")
    return Switch(at, data["action"], old, new, note if isinstance(note, str) else "")


def read(index_dir: Path) -> list[Switch]:
    """Every readable switch in `<index_dir>/HISTORY`, oldest first; [] when there is none.
    Never raises: an unreadable file counts as no history, a damaged line is skipped (logged)."""
    path = index_dir / HISTORY
    try:
        with open(path, "rb") as f:
            f.seek(max(0, os.fstat(f.fileno()).st_size - MAX_BYTES))
            text = f.read(MAX_BYTES).decode("utf-8", errors="replace")
    except FileNotFoundError:
        return []
    except OSError as exc:
        log.warning("ignoring the switch history %s (%s)", path, exc.strerror or exc)
        return []
    events, bad = [], 0
    for line in text.splitlines():
        event = _parse(line) if line.strip() else None
        if event is None and line.strip():
            bad += 1
        elif event is not None:
            events.append(event)
    if bad:
        log.warning("skipped %d damaged line(s) of the switch history %s", bad, path)
    return events


def record(
    index_dir: Path,
    action: str,
    old: str | None,
    new: str,
    seed: Sequence[str] = (),
    note: str = "",
) -> None:
    """Append the switch `old` -> `new` by `action` to HISTORY (write-then-rename, fsynced), keeping
    the last MAX_EVENTS lines. When there is no history yet, `seed` (the versions that were live
    before, oldest first: what `stack` assumes without a history) is recorded first, so a folder
    built before histories existed keeps its rollback order. Raises OSError (e.g. disk full);
    CURRENT has already switched then, and `stack` reconciles a missing line with it. `note`
    (e.g. "forced past the eval gate: ...") is kept on the line."""
    events = read(index_dir)
    if not events:
        events = [Switch("", "publish", None, name) for name in seed]
    now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    events.append(Switch(now, action, old, new, note))
    atomic_write_text(
        index_dir / HISTORY, "".join(e.to_json() + "\n" for e in events[-MAX_EVENTS:])
    )


def stack(events: Iterable[Switch], live: str | None, existing: Sequence[str]) -> list[str]:
    """The versions that were live, oldest first, the live one last: the undo stack rollback walks.

    A publish pushes its version; a rollback to B pops back to B (B alone when the history no
    longer holds it). The result is then reconciled with `live` (what CURRENT names, None when it
    is damaged): popped back to it when it is on the stack, pushed when it is not (a crash between
    the switch and its record). Without any history, the versions in `existing` older than the live
    one, by name (= build time), stand in for it. Names may include versions since deleted; callers
    skip those."""
    order: list[str] = []
    for event in events:
        if event.action == "publish":
            order = [v for v in order if v != event.new] + [event.new]
        elif event.new in order:
            del order[order.index(event.new) + 1 :]
        else:
            order = [event.new]
    if not order:
        order = sorted(v for v in existing if live is None or v < live)
    if live is not None:
        if live in order:
            del order[order.index(live) + 1 :]
        else:
            order.append(live)
    return order
