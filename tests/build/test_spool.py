"""A large build's vectors on disk (issue 16): the spool gives back what was appended, memory-
mapped, and `ivfbuild.release` hands its resident pages back to the kernel."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from kb.build.fresh import _Spool
from kb.index.ivfbuild import release

MB = 2**20


def rss_file() -> int:
    """Bytes of file-backed memory this process has resident (Linux)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("RssFile:"):
            return int(line.split()[1]) * 1024
    pytest.skip("no RssFile in /proc/self/status")


def test_spool_returns_what_was_appended(tmp_path):
    rng = np.random.default_rng(3)
    batches = [rng.standard_normal((n, 8)).astype(np.float32) for n in (5, 0, 11)]
    spool = _Spool(tmp_path / "cache", 8)
    for batch in batches:
        spool.append(batch)
    array = spool.array()
    assert np.array_equal(array, np.concatenate(batches)) and not array.flags.writeable
    assert not list((tmp_path / "cache").iterdir())  # the file has no name to leave behind
    empty = _Spool(tmp_path, 8).array()
    assert empty.shape == (0, 8)


@pytest.mark.parametrize("view", [lambda a: a, lambda a: a[100:200], lambda a: a.reshape(-1)])
def test_release_drops_the_resident_pages_of_a_spooled_array(tmp_path, view):
    spool = _Spool(tmp_path, 256)
    for _ in range(8):
        spool.append(np.ones((4096, 256), dtype=np.float32))  # 32 MB in all
    array = spool.array()
    before = rss_file()
    assert float(array.sum(dtype=np.float64)) == 8 * 4096 * 256  # reads every page
    touched = rss_file()
    release(view(array))
    assert touched - before > 24 * MB and rss_file() - before < 4 * MB
    assert float(array[-1].sum()) == 256  # still readable: the pages come back from the file
