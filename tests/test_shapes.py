"""Shapes in the spec: paragraphs (the default), bullets (a TL;DR line then points) and tldr, from every door."""

from __future__ import annotations

import subprocess
import sys

import pytest

from bot.extract import extract_text
from bot.pipeline import summarize_source
from bot.spec import SummarySpec, check, parts_wanted, repair
from bot.summarizers import make_summarizer
from handlers.common import parse_ask
from tests.fixtures.web import SAMPLE_ARTICLE


@pytest.fixture(scope="module")
def article_text() -> str:
    return extract_text(SAMPLE_ARTICLE.read_text(encoding="utf-8"))


@pytest.mark.parametrize(("shape", "parts"), [("paragraphs", 6), ("bullets", 7), ("tldr", 1)])
def test_each_shape_has_its_number_of_parts(shape, parts):
    assert parts_wanted(SummarySpec(shape=shape)) == parts


@pytest.mark.parametrize("shape", ["paragraphs", "bullets", "tldr"])
def test_the_extractive_summarizer_writes_every_shape_and_it_passes_the_check(settings, article_text, shape):
    summary = summarize_source(str(SAMPLE_ARTICLE), SummarySpec(shape=shape), make_summarizer(settings, "extractive"),
                               settings)
    assert summary.spec.shape == shape
    assert check(summary.paragraphs, article_text, summary.spec).ok


@pytest.mark.parametrize("shape", ["bullets", "tldr"])
def test_repair_reaches_the_parts_of_every_shape(article_text, shape):
    spec = SummarySpec(shape=shape, max_words=200, paragraphs=3)
    fixed, _ = repair([article_text], article_text, spec)
    assert len(fixed) == parts_wanted(spec)


def test_a_tldr_is_short(settings):
    summary = summarize_source(str(SAMPLE_ARTICLE), SummarySpec(shape="tldr"), make_summarizer(settings, "extractive"),
                               settings)
    assert len(summary.paragraphs) == 1 and summary.word_count <= 60


def test_shape_is_an_option_of_the_command_and_mention():
    ask = parse_ask("<https://example.com/a> shape=bullets", SummarySpec(), limit=1)
    assert ask.spec.shape == "bullets"


def test_an_unknown_shape_is_refused_in_plain_words():
    from bot.errors import InputError

    with pytest.raises(InputError, match="shape"):
        parse_ask("<https://example.com/a> shape=poem", SummarySpec(), limit=1)


def test_the_cli_takes_a_shape(tmp_path):
    run = subprocess.run([sys.executable, "-m", "bot", "summarize", str(SAMPLE_ARTICLE), "--shape", "bullets",
                          "--backend", "extractive", "--format", "json"], capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    assert len(__import__("json").loads(run.stdout)["paragraphs"]) == 7  # the TL;DR line and six points


def test_a_shape_saved_for_a_channel_shapes_its_next_summary(slack_app, slack_api, web_site):
    from tests.fixtures.app import post_link, wait_until_finished
    from tests.fixtures.conversation import last_summary, paragraphs_of
    from tests.test_slack_settings import open_channel_settings, submit

    submit(slack_app, open_channel_settings(slack_app, slack_api), shape="bullets")
    event = post_link(slack_app, slack_api, web_site.url("/news/plain-article"))
    wait_until_finished(slack_api, event["channel"], event["ts"])
    tldr, points = paragraphs_of(last_summary(slack_api))
    assert tldr.startswith("TL;DR: ") and points.startswith("\u2022 ")


def test_the_cli_prints_bullets_as_a_tldr_line_then_points():
    run = subprocess.run([sys.executable, "-m", "bot", "summarize", str(SAMPLE_ARTICLE), "--shape", "bullets",
                          "--backend", "extractive"], capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    body = run.stdout.split("\n\n", 1)[1]
    assert body.startswith("TL;DR: ") and "\n\u2022 " in body
