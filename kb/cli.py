"""`python -m kb build | search | eval | stats | rollback | validate | serve`.

Every user-caused error (a `KBError`) prints one clear message (no traceback) and exits non-zero:
1 for invalid input (articles, query files, options), 2 for index problems (missing, damaged,
locked, wrong encoder). Anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import time

from .build import build_index
from .cli_args import parser
from .config import encoder_spec, load_config
from .curation import GateSettings, gated_build
from .curation.ids import id_warnings
from .errors import ConfigError, IndexStateError, KBError, ValidationError
from .evaluation import evaluate, format_table, load_queries, some_queries, unknown_slugs
from .index import describe_index, open_store
from .ingest import load_report
from .ingest.synonyms import read_synonyms
from .options import Role
from .retrieval import load_searcher
from .text import clean_text


def cmd_build(args) -> int:
    """`build`: validate, build and publish; prints the report's summary and, when there are at
    most 20, the added, changed and removed slugs, and a `warning: ...` per FAQ id changed for the
    same question (kb/curation/ids.py). With --gate the gate's
    report follows. Returns 0, or 3 when the gate kept the new version unpublished (errors are
    raised to `main`)."""
    gate = None
    renamed = id_warnings(args.articles, args.index)  # against the version live before this build
    if args.gate:
        report, gate = gated_build(
            args.articles,
            args.index,
            args.queries,
            encoder=args.encoder,
            settings=GateSettings(tolerance=args.tolerance),
            force_publish=args.force_publish,
            force=args.force,
        )
    else:
        report = build_index(args.articles, args.index, encoder=args.encoder, force=args.force)
    print(report.summary())
    for label, slugs in (
        ("added", report.added),
        ("changed", report.changed),
        ("removed", report.removed),
    ):
        if slugs and len(slugs) <= 20:
            print(f"  {label}: {', '.join(slugs)}")
    for warning in renamed:  # FAQ ids changed for the same question (issue 13 item 4)
        print(f"warning: {warning}")
    if gate is not None:
        print("\n".join(gate.lines()))
        if report.held:
            print(
                f"the live version is unchanged; preview {report.version} on the editor page, or "
                "rerun with --force-publish to publish it anyway"
            )
    return 3 if report.held else 0


def cmd_search(args) -> int:
    """`search`: the live index's answers, one numbered block each (title › section, category,
    language, score, snippet with `**` marks, link), after a "no good match" line when none seems
    to answer (`Searcher.good_match`), or with --json the service's search object
    (docs/SERVICE.md): {"query", "version", "good_match", "answers": `Answer.to_dict()` list}, so
    a script can tell an honest "no good match" from an answer. Returns 0. Raises ConfigError
    (exit 1) for a query with no visible character (empty, spaces, zero-width characters)."""
    if not clean_text(args.query).strip():
        raise ConfigError(
            f"the query {args.query!r} is empty: give a question, e.g. python -m kb search 提现手续费"
        )
    searcher = load_searcher(args.index, args.role, encoder=args.encoder)
    answers = searcher.search(
        args.query, top_k=args.top_k, category=args.category, language=args.language, mode=args.mode
    )
    if args.json:
        result = {
            "query": args.query,
            "version": searcher.version,
            "good_match": searcher.good_match(answers, args.query),
            "answers": [a.to_dict() for a in answers],
        }
        print(json.dumps(result, ensure_ascii=False, indent=2))
        return 0
    if not answers:
        print("no results")
    elif not searcher.good_match(answers, args.query):  # as the service's `good_match` says
        print("no good match: the nearest answers follow, but none seems to answer the question")
    for rank, a in enumerate(answers, start=1):
        tag = " [internal]" if a.visibility != "public" else ""
        print(f"{rank}. {a.title} › {a.section}{tag}  ({a.category}, {a.language}, {a.score:.4f})")
        print(f"   {a.snippet}")
        print(f"   {a.url}")
    return 0


def _internal_hint(args, version: str, queries, known: set[str]) -> str:
    """ "" or, for the public role, which of the slugs it does not know are internal articles
    (in the version, searched only by `--role agent`)."""
    if args.role != Role.PUBLIC.value:
        return ""
    catalog = open_store(args.index).catalog(version)
    missing = {s for q in queries for s in q.relevant if s not in known}
    internal = sorted(s for s in missing if catalog.row_of(s) is not None)
    if not internal:
        return ""
    what = "is an internal article" if len(internal) == 1 else "are internal articles"
    return f" ({', '.join(internal[:5])} {what}: evaluate them with --role agent)"


def cmd_eval(args) -> int:
    """`eval`: metrics of the query file against the live index (with --compare, BM25 and dense
    alone too), as a table or JSON. Returns 0."""
    queries = some_queries(load_queries(args.queries), args.queries)
    searcher = load_searcher(args.index, args.role, encoder=args.encoder)
    known = set(searcher.index.chunks.column("slug").to_pylist())
    unknown = unknown_slugs(queries, known, args.queries)
    if unknown:  # on stderr: --json output stays valid JSON
        print(
            f"warning: {unknown}{_internal_hint(args, searcher.version, queries, known)}",
            file=sys.stderr,
        )
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
    versions with why any of them cannot serve (the live one checked against its checksums, the
    others too with --verify); with --json `IndexDescription.to_dict()`, or `{"version": null,
    "error": ...}` when nothing is live or its manifest is unreadable (IndexStateError, raised
    after it: exit 2). Returns 0, or 2 when the live version is damaged (searches then fall
    back to an older one)."""
    try:
        description = describe_index(args.index, checksums="all" if args.verify else "live")
    except IndexStateError as exc:  # nothing live, or its manifest unreadable
        if args.json:  # a script reading stdout still gets an object, saying why
            print(json.dumps({"version": None, "error": str(exc)}, ensure_ascii=False, indent=2))
        raise
    live = description.live
    broken = next((v.damaged for v in description.versions if v.live and v.damaged), "")
    if args.json:
        print(json.dumps(description.to_dict(), ensure_ascii=False, indent=2))
        return 2 if broken else 0
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
    if broken:
        print(
            f"error: the live version {live.version} is damaged; a search that needs the damaged "
            "files falls back to an older intact version, if any, until you run `kb build --force`",
            file=sys.stderr,
        )
        return 2
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
    """`validate`: every problem in the articles on stderr, each notice (`note: ...`), each FAQ
    id changed against the live version of --index (`warning: ...`) and the count of problems on
    stdout; builds nothing. Returns 1 when there are problems, else 0."""
    report = load_report(args.articles)
    renamed = id_warnings(args.articles, args.index)
    found = report.problems + read_synonyms(args.articles)[1]  # the build checks both
    problems = sorted(found, key=lambda p: (p.path, p.line, p.message))
    for problem in problems:
        print(problem, file=sys.stderr)
    for notice in report.notices:  # drafts and files skipped, merged cells filled, ... (issue 13)
        print(f"note: {notice}")
    for warning in renamed:  # FAQ ids changed for the same question against the live version
        print(f"warning: {warning}")
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


class _Notices(logging.Formatter):
    """Log records worded as the CLI's own messages: `note: ...` for the articles' notices (the
    kb.ingest warnings, as `kb validate` prints them), `warning: ...`, `error: ...`; with
    --verbose, `info <logger>: ...`."""

    def format(self, record: logging.LogRecord) -> str:
        """`<level>: <message>`, never a traceback (a user of the CLI sees none)."""
        level = record.levelname.lower()
        if record.name == "kb.ingest" and record.levelno == logging.WARNING:
            level = "note"
        elif record.levelno < logging.WARNING:
            level = f"{level} {record.name}"
        return f"{level}: {record.getMessage()}"


def main(argv: list[str] | None = None) -> int:
    """Run one command (`argv`, default sys.argv[1:]) and return the exit code: 0 on success, 1
    for invalid input (article problems, listed on stderr; a query file, an option or a setting),
    2 for index problems (IndexStateError: missing, damaged, locked, another encoder), 130 after
    Ctrl-C, 141 when the reader of its output closed the pipe (`| head`), both without a
    traceback. Other exceptions propagate with their traceback; a usage error exits 1
    (kb/cli_args.py).
    `build --gate` exits 3 when the gate kept the new version unpublished."""
    try:
        config = load_config()
    except KBError as exc:  # a bad KB_* setting
        print(f"error: {exc}", file=sys.stderr)
        return 1
    cli = parser(config)
    args, extra = cli.parse_known_args(argv)
    if extra:  # named by the subcommand's usage, not the top level's (`kb stats --bogus`)
        cli.subcommands[args.command].error(f"unrecognized arguments: {' '.join(extra)}")
    if getattr(args, "force_publish", False) and not args.gate:  # a usage error: exits 1
        cli.error("--force-publish only overrides the eval gate: add --gate (and --queries FILE)")
    handler = logging.StreamHandler()
    handler.setFormatter(_Notices())
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, handlers=[handler])
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
        code = COMMANDS[args.command](args)
        sys.stdout.flush()  # inside the try: a reader that closed the pipe shows here
        return code
    except KeyboardInterrupt:
        print("interrupted; the live index is the last complete version", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `kb search ... | head`: the reader has what it wanted
        # Python's docs ("Note on SIGPIPE"): point stdout at devnull so the exit flush is quiet
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
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
