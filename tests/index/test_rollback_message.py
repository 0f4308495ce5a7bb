"""Rolling back from the oldest version says so, and how to undo a change instead (issue 14,
item 13: it used to say "no index in index")."""

from __future__ import annotations

import pytest

from kb import IndexNotFoundError, build_index, open_store
from kb.cli import main
from kb.errors import NothingToRollBackError
from kb.testing import TINY, write_articles


def test_rollback_from_the_only_version_says_there_is_nothing_to_roll_back_to(tmp_path, capsys):
    index = tmp_path / "index"
    build_index(write_articles(tmp_path / "a", TINY), index, encoder="hash:64")
    live = open_store(index).live_version()
    with pytest.raises(NothingToRollBackError) as info:
        open_store(index).rollback()
    assert isinstance(info.value, IndexNotFoundError)  # callers catching the old class still work
    message = str(info.value)
    assert message.startswith(f"nothing to roll back to in {index}") and live in message
    assert "no index in" not in message and "python -m kb build --index" in message
    assert main(["rollback", "--index", str(index)]) == 2
    err = capsys.readouterr().err
    assert "nothing to roll back to" in err and "Traceback" not in err
