"""`python -m bot summarize`: the pipeline's first user, offline and with the OpenAI backend."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import threading

import pytest


def paragraphs_of(text_output: str) -> list[str]:
    """The text format: title, source URL, blank line, then paragraphs separated by blank lines."""
    return text_output.strip().split("\n\n")[1:]


def test_summarize_prints_title_source_and_six_paragraphs(cli, web_site):
    code, out, _ = cli("summarize", web_site.url("/news/plain-article"))
    assert code == 0
    title, source = out.splitlines()[:2]
    assert title and source.startswith("http://127.0.0.1")
    assert len(paragraphs_of(out)) == 6


def test_json_format_carries_the_documented_fields(cli, web_site):
    code, out, _ = cli("summarize", web_site.url("/news/plain-article"), "--format", "json")
    data = json.loads(out)
    assert code == 0
    for field in ("title", "url", "site", "paragraphs", "word_count", "source_word_count", "backend", "model"):
        assert field in data
    assert data["backend"] == "extractive" and data["warnings"] == []
    assert len(data["paragraphs"]) == 6
    assert data["word_count"] <= data["source_word_count"] / 2 + 1


def test_the_grounding_check_is_reported_on_stderr_and_in_json(cli, web_site):
    _, _, err = cli("summarize", web_site.url("/news/plain-article"))
    _, out, _ = cli("summarize", web_site.url("/news/plain-article"), "--format", "json")
    grounding = json.loads(out)["grounding"]
    assert grounding["found"] and grounding["missing"] == [] and grounding["removed"] == []
    assert f"\u2713 {len(grounding['found'])} numbers and names found in the article" in err


def test_evidence_prints_each_summary_sentence_with_its_quotes(cli, web_site):
    code, out, _ = cli("summarize", web_site.url("/news/plain-article"), "--evidence")
    evidence = out.split("Evidence (each summary sentence, then the article sentences that support it):")[1]
    assert code == 0 and evidence.count("\n   > ") >= evidence.count("\n1. ") > 0
    assert "   ! not supported" not in evidence  # an extractive summary quotes the article itself


def test_evidence_in_json_lists_each_sentence_with_its_quotes(cli, web_site):
    _, out, _ = cli("summarize", web_site.url("/news/plain-article"), "--format", "json", "--evidence")
    evidence = json.loads(out)["evidence"]
    assert evidence and all(item["supported"] and item["quotes"] for item in evidence)


def test_words_and_paragraphs_options_shape_the_summary(cli, web_site):
    _, out, _ = cli(
        "summarize", web_site.url("/news/long-article"), "--words", "300", "--paragraphs", "3", "--format", "json"
    )
    data = json.loads(out)
    assert len(data["paragraphs"]) == 3
    assert data["word_count"] <= 300


def test_a_long_article_is_summarized_within_the_default_budget(cli, web_site):
    _, out, _ = cli("summarize", web_site.url("/news/long-article"), "--format", "json")
    data = json.loads(out)
    assert data["source_word_count"] > 20_000 / 2
    assert len(data["paragraphs"]) == 6 and data["word_count"] <= 2000


def test_a_short_article_gets_a_short_summary(cli, web_site):
    _, out, _ = cli("summarize", web_site.url("/news/short-article"), "--format", "json")
    data = json.loads(out)
    assert data["word_count"] <= data["source_word_count"] / 2 + 1


def test_local_html_file_and_stdin_are_accepted(cli, web_site, tmp_path, monkeypatch):
    import requests

    html = requests.get(web_site.url("/news/plain-article"), timeout=5).content
    path = tmp_path / "article.html"
    path.write_bytes(html)
    code, out, _ = cli("summarize", str(path))
    assert code == 0 and len(paragraphs_of(out)) == 6

    monkeypatch.setattr(sys, "stdin", open(path, encoding="utf-8"))  # noqa: SIM115 - closed by pytest
    code, out, _ = cli("summarize", "-")
    assert code == 0 and len(paragraphs_of(out)) == 6


@pytest.mark.parametrize(
    ("source", "exit_code"),
    [
        ("not a url", 2),
        ("ftp://127.0.0.1/file.html", 2),
        ("missing-file.html", 2),
    ],
)
def test_bad_input_exits_2_with_one_line(cli, source, exit_code):
    code, out, err = cli("summarize", source)
    assert code == exit_code
    assert out == "" and err.startswith("error: ") and len(err.strip().splitlines()) == 1


@pytest.mark.parametrize("path", ["/status/404", "/binary/pdf", "/news/empty-article", "/redirect/metadata"])
def test_fetch_and_extract_failures_exit_3_with_one_line(cli, web_site, path):
    code, _, err = cli("summarize", web_site.url(path))
    assert code == 3
    assert err.startswith("error: ") and "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_loopback_is_blocked_unless_allowed(cli, web_site, monkeypatch):
    monkeypatch.delenv("FETCH_ALLOW_HOSTS")
    code, _, err = cli("summarize", web_site.url("/news/plain-article"))
    assert code == 3 and "error: " in err


def test_openai_backend_without_a_key_is_bad_input(cli, web_site):
    code, _, err = cli("summarize", web_site.url("/news/plain-article"), "--backend", "openai")
    assert code == 2 and "OPENAI_API_KEY" in err


@pytest.fixture
def openai_env(monkeypatch, openai_server):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-a-real-key")
    monkeypatch.setenv("OPENAI_BASE_URL", openai_server.base_url)
    monkeypatch.setenv("OPENAI_MODEL", openai_server.model)
    monkeypatch.setenv("OPENAI_MAX_RETRIES", "0")
    return openai_server


def test_a_key_selects_the_openai_backend(cli, web_site, openai_env):
    code, out, _ = cli("summarize", web_site.url("/news/plain-article"), "--format", "json")
    data = json.loads(out)
    assert code == 0 and data["backend"] == "openai" and data["model"] == openai_env.model
    assert len(data["paragraphs"]) == 6
    assert openai_env.requests, "the fake OpenAI server was called"


def test_summarizer_failure_exits_4(cli, web_site, openai_env):
    from tests.fixtures.openai_server import bad_key

    openai_env.script(bad_key())
    code, _, err = cli("summarize", web_site.url("/news/plain-article"))
    assert code == 4 and err.startswith("error: ") and "sk-test" not in err


def test_the_installed_entry_point_prints_no_traceback(web_site):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "FETCH_"))}
    result = subprocess.run(
        [sys.executable, "-m", "bot", "summarize", web_site.url("/status/404")],
        capture_output=True,
        text=True,
        env={**env, "FETCH_ALLOW_HOSTS": "127.0.0.1"},
        timeout=60,
    )
    assert result.returncode == 3
    assert "Traceback" not in result.stderr and result.stderr.startswith("error: ")


def test_an_unreadable_allow_list_entry_stops_startup_with_one_line_naming_it(cli, monkeypatch):
    monkeypatch.setenv("FETCH_ALLOW_HOSTS", "127.0.0.1,wiki.internal:http")
    code, out, err = cli("summarize", "article.html")
    assert code == 2 and out == ""
    assert err.startswith("error: FETCH_ALLOW_HOSTS entry 'wiki.internal:http'") and len(err.strip().splitlines()) == 1


def test_a_local_file_over_the_size_cap_exits_3_with_the_words_of_a_fetch(cli, tmp_path, monkeypatch):
    monkeypatch.setenv("FETCH_MAX_BYTES", "100000")
    path = tmp_path / "huge.txt"
    path.write_text("All work and no play makes a dull summary. " * 3000, encoding="utf-8")
    code, out, err = cli("summarize", str(path))
    assert code == 3 and out == ""
    assert err == "error: That page is too large to summarize (over 0.1 MB).\n"


@pytest.mark.parametrize("name", ["notes.txt", "page.html"])
def test_a_binary_local_file_is_refused_as_a_fetched_binary_would_be(cli, tmp_path, name):
    path = tmp_path / name
    path.write_bytes(bytes(range(256)) * 64)
    code, out, err = cli("summarize", str(path))
    assert code == 3 and out == ""
    assert err == "error: That link points to a file (application/octet-stream), not a web page.\n"


def run_on_stdin(megabytes: int) -> tuple[int, str, int]:
    """``python -m bot summarize -`` fed ``megabytes`` MB of plain text: (exit code, stderr, peak RSS in kB)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "FETCH_"))}
    child = subprocess.Popen(
        [sys.executable, "-m", "bot", "summarize", "-"],
        stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env,
    )  # fmt: skip

    def feed() -> None:
        megabyte = b"A sentence of plain words that goes on and on. " * 21_000
        try:
            for _ in range(megabytes):
                child.stdin.write(megabyte)
        except BrokenPipeError:
            pass  # the child stopped reading, as it should
        finally:
            with contextlib.suppress(BrokenPipeError):
                child.stdin.close()

    writer = threading.Thread(target=feed)
    writer.start()
    err = child.stderr.read().decode()
    _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    writer.join(timeout=60)
    return child.returncode, err, usage.ru_maxrss


def test_sixty_megabytes_on_stdin_exit_3_without_being_read_into_memory():
    """Read in chunks, stopping past FETCH_MAX_BYTES (5 MB): the peak memory is that of a 6 MB input."""
    code, err, peak = run_on_stdin(60)
    assert code == 3 and err == "error: That page is too large to summarize (over 5 MB).\n"
    _, _, baseline_peak = run_on_stdin(6)
    assert peak < baseline_peak + 20_000, f"peak RSS {peak} kB with 60 MB, {baseline_peak} kB with 6 MB"
