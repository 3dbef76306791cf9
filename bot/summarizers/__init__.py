"""Summarizer backends behind one registry: built-ins and test fakes register the same way.

summarizer = make_summarizer(settings)                 # backend from SUMMARIZER_BACKEND
summarizer = make_summarizer(settings, "extractive")   # or named
"""

from __future__ import annotations

from collections.abc import Callable

from bot.config import Settings
from bot.errors import InputError
from bot.summarizers.base import Grounding, Summarizer, Summary, Usage

__all__ = ["Grounding", "Summarizer", "Summary", "Usage", "make_summarizer", "register"]

Factory = Callable[[Settings], Summarizer]
_FACTORIES: dict[str, Factory] = {}


def register(name: str) -> Callable[[Factory], Factory]:
    """Register a factory ``settings -> Summarizer`` under a backend name. Usable as a decorator."""

    def add(factory: Factory) -> Factory:
        _FACTORIES[name] = factory
        return factory

    return add


def make_summarizer(settings: Settings, backend: str | None = None) -> Summarizer:
    name = backend if backend and backend != "auto" else settings.resolved_backend
    if name == "openai" and not settings.openai_api_key:
        raise InputError("The OpenAI backend needs OPENAI_API_KEY (or use --backend extractive).")
    _load_builtins()
    try:
        factory = _FACTORIES[name]
    except KeyError:
        raise InputError(f"Unknown summarizer backend {name!r}; known: {', '.join(sorted(_FACTORIES))}.") from None
    return factory(settings)


def _load_builtins() -> None:
    """Import the built-in backends lazily, so the offline path never imports openai."""
    if "extractive" not in _FACTORIES:
        from bot.summarizers import extractive  # noqa: F401
    if "openai" not in _FACTORIES:
        from bot.summarizers import openai  # noqa: F401
