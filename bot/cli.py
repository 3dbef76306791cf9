"""The command line: `python -m bot summarize SOURCE`, and the commands that start the Slack app.

The CLI is the first user of the pipeline: `summarize` runs exactly what the Slack doors run.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from dataclasses import asdict

from pydantic import ValidationError

from bot import __version__, logs
from bot.config import Settings, settings_problems
from bot.errors import BotError
from bot.evidence import evidence_record
from bot.pipeline import summarize_source
from bot.render import grounding_line, shaped_paragraphs
from bot.spec import SHAPES, SummarySpec
from bot.summarizers import Summary, make_summarizer

log = logging.getLogger("bot")


def positive_int(value: str) -> int:
    number = int(value)
    if number < 1:
        raise argparse.ArgumentTypeError(f"must be a positive whole number, got {value}")
    return number


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bot", description="Summarize links, in Slack or here.")
    parser.add_argument("--version", action="version", version=f"slack-summarizer {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)

    summarize = commands.add_parser("summarize", help="summarize a URL, a local .html/.txt/.pdf file or - (stdin)")
    summarize.add_argument("source", help="http(s) URL, path to a .html/.txt/.md/.pdf file, or - for stdin")
    summarize.add_argument("--words", type=positive_int, help="at most this many words (default 2000)")
    summarize.add_argument("--paragraphs", type=positive_int, help="exactly this many paragraphs (default 6)")
    summarize.add_argument("--language", help="write the summary in this language (default: the article's)")
    summarize.add_argument("--shape", choices=list(SHAPES), default="paragraphs",
                           help="paragraphs (default), bullets (a TL;DR line then points) or tldr")
    summarize.add_argument("--backend", choices=["auto", "openai", "extractive"], default=None)
    summarize.add_argument("--format", choices=["text", "json"], default="text")
    summarize.add_argument(
        "--evidence", action="store_true", help="show the article sentences that support each summary sentence"
    )
    summarize.add_argument("-v", "--verbose", action="store_true", help="debug logs and tracebacks")
    summarize.set_defaults(handler=cmd_summarize)

    for name, help_text in (
        ("run", "run the Slack app in Socket Mode with in-process workers (one machine)"),
        ("serve", "serve Slack's HTTP requests (events, commands, interactivity) with waitress"),
        ("worker", "run queue workers only (scale-out)"),
    ):
        sub = commands.add_parser(name, help=help_text)
        sub.add_argument("-v", "--verbose", action="store_true")
        if name == "serve":
            sub.add_argument("--host", default="0.0.0.0")
            sub.add_argument("--port", type=int, default=3000)
            sub.add_argument("--threads", type=int, default=8, help="threads that run Slack's requests")
            sub.add_argument("--workers", type=int, default=1, help=argparse.SUPPRESS)  # gunicorn's; ignored
            sub.add_argument(
                "--no-queue-workers",
                action="store_true",
                help="only ack and enqueue; `python -m bot worker` processes run the queue (scale-out)",
            )
        if name == "worker":
            sub.add_argument(
                "--check",
                action="store_true",
                help="liveness probe: exit 0 if a worker on this host wrote its heartbeat lately, 1 if not",
            )
        sub.set_defaults(handler=cmd_app)

    doctor = commands.add_parser("doctor", help="check settings, Slack, database, Redis, model; exit 1 on a failure")
    doctor.set_defaults(handler=cmd_doctor, verbose=False)
    purge = commands.add_parser("purge", help="delete stored requests, articles and summaries past RETENTION_DAYS")
    purge.set_defaults(handler=cmd_purge, verbose=False)
    return parser


def spec_from(args: argparse.Namespace, settings: Settings) -> SummarySpec:
    return SummarySpec(
        max_words=args.words or settings.summary_max_words,
        paragraphs=args.paragraphs or settings.summary_paragraphs,
        language=args.language or settings.summary_language,
        source_ratio=settings.summary_source_ratio,
        shape=getattr(args, "shape", None) or "paragraphs",
    )


def cmd_summarize(args: argparse.Namespace, settings: Settings) -> int:
    summarizer = make_summarizer(settings, args.backend)
    progress = (
        (lambda message: print(f"... {message}", file=sys.stderr)) if sys.stderr.isatty() or args.verbose else None
    )
    summary = summarize_source(args.source, spec_from(args, settings), summarizer, settings, progress=progress)
    evidence = evidence_record(summary) if args.evidence else None
    print(format_json(summary, evidence) if args.format == "json" else format_text(summary, evidence))
    if args.format == "text":
        if summary.grounding:
            print(grounding_line(summary.grounding), file=sys.stderr)
        for warning in summary.warnings:
            print(f"warning: {warning}", file=sys.stderr)
    return 0


def format_text(summary: Summary, evidence: dict | None = None) -> str:
    article = summary.article
    source = article.url or ""  # what was fetched: a page may claim any canonical URL
    header = [article.title or "(untitled)", source]
    text = "\n".join(line for line in header if line) + "\n\n" + "\n\n".join(shaped_paragraphs(summary))
    return text + ("\n\n" + format_evidence(evidence) if evidence else "")


def format_evidence(evidence: dict) -> str:
    """Each summary sentence, then its supporting quotes ("> ") or why it is unsupported ("! ")."""
    lines = ["Evidence (each summary sentence, then the article sentences that support it):"]
    for number, item in enumerate(evidence["sentences"], 1):
        lines.append(f"\n{number}. {item['sentence']}")
        if item["supported"]:
            lines += [f"   > {quote}" for quote in item["quotes"]]
        else:
            missing = f" (not found: {', '.join(item['missing'])})" if item["missing"] else ""
            lines.append(f"   ! not supported by the article{missing}")
            lines += [f"   ? nearest: {quote}" for quote in item["quotes"][:1]]
    return "\n".join(lines)


def format_json(summary: Summary, evidence: dict | None = None) -> str:
    article = summary.article
    return json.dumps(
        {
            "title": article.title,
            "url": article.url,
            "canonical_url": article.canonical_url,
            "site": article.site,
            "byline": article.byline,
            "date": article.date,
            "language": article.language,
            "paragraphs": list(summary.paragraphs),
            "word_count": summary.word_count,
            "source_word_count": article.word_count,
            "max_words": summary.spec.max_words,
            "backend": summary.backend,
            "model": summary.model,
            "warnings": list(summary.warnings),
            "usage": {
                "prompt_tokens": summary.usage.prompt_tokens,
                "completion_tokens": summary.usage.completion_tokens,
            },
            "grounding": asdict(summary.grounding) if summary.grounding else None,
        }
        | ({"evidence": evidence["sentences"]} if evidence else {}),
        ensure_ascii=False,
        indent=2,
    )


def cmd_doctor(args: argparse.Namespace, settings: Settings) -> int:
    from bot import doctor

    checks = doctor.run(settings)
    print(doctor.table(checks))
    return 1 if any(check.failed for check in checks) else 0


def cmd_purge(args: argparse.Namespace, settings: Settings) -> int:
    from bot import retention

    deleted = retention.purge(settings)
    for table, count in deleted.items():
        print(f"{table}: {count} deleted")
    print(f"kept everything newer than {settings.retention_days:g} days (RETENTION_DAYS)")
    return 0


def cmd_app(args: argparse.Namespace, settings: Settings) -> int:
    from bot import app

    return app.main(args.command, args, settings)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = Settings()
    except ValidationError as exc:  # one line a setting, naming the variable: `JOB_LEASE: not a number ('abc')`
        if args.command == "doctor":
            from bot import doctor

            print(doctor.table(doctor.Check("settings", doctor.FAIL, line) for line in settings_problems(exc)))
            return 1
        for line in settings_problems(exc):
            print(f"error: {line}", file=sys.stderr)
        return 2
    logs.setup(verbose=args.verbose, log_format=settings.log_format)
    try:
        return args.handler(args, settings)
    except BotError as exc:
        log.debug("failed", exc_info=True)
        print(f"error: {exc.message}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # the last line of defence: one line, not a traceback
        if args.verbose:
            raise
        print(
            f"error: unexpected failure ({type(exc).__name__}); run again with --verbose for details", file=sys.stderr
        )
        return 1
