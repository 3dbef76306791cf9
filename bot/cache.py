"""The summary cache: the same article, spec and model are summarized once, then served from the store.

The key is the normalized URL (tracking parameters removed), a hash of the extracted text (so an
edited article is summarized again), the spec, and the backend and model.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, replace
from datetime import timedelta

from bot.extract import Article
from bot.links import normalize_url
from bot.spec import SummarySpec
from bot.store import Store
from bot.summarizers import Summary, Usage


class SummaryCache:
    def __init__(self, store: Store, ttl: timedelta) -> None:
        self.store = store
        self.ttl = ttl

    @staticmethod
    def key(article: Article, spec: SummarySpec, backend: str, model: str | None) -> str:
        content = hashlib.sha256(article.text.encode()).hexdigest()
        parts = [_url(article.url), content, json.dumps(asdict(spec), sort_keys=True), backend, model or ""]
        return hashlib.sha256("\n".join(parts).encode()).hexdigest()

    def get(self, key: str) -> Summary | None:
        """A cached summary costs nothing: its usage is zero."""
        payload = self.store.cache_get(key, self.ttl)
        return replace(summary_from_dict(payload), usage=Usage()) if payload else None

    def put(self, key: str, summary: Summary) -> None:
        self.store.cache_put(key, _url(summary.article.url), summary_to_dict(summary))


def summary_to_dict(summary: Summary) -> dict:
    return asdict(summary)


def summary_from_dict(data: dict) -> Summary:
    article = Article(
        **{
            **data["article"],
            "paragraphs": tuple(data["article"]["paragraphs"]),
            "warnings": tuple(data["article"].get("warnings", ())),
        }
    )
    return Summary(
        article=article,
        paragraphs=tuple(data["paragraphs"]),
        spec=SummarySpec(**data["spec"]),
        backend=data["backend"],
        model=data.get("model"),
        warnings=tuple(data.get("warnings", ())),
        usage=Usage(**data.get("usage", {})),
    )


def _url(url: str | None) -> str:
    if not url:
        return ""
    try:
        return normalize_url(url)
    except ValueError:
        return url
