"""`.env.example`, written from :class:`bot.config.Settings`, so it can never miss or misstate a setting.

    python -m bot.env_example > .env.example      # after adding or changing a setting (a test checks)

Each setting appears with its default, after the comments written above or beside it in bot/config.py.
Every assignment is commented out: a copy of the file as `.env` changes nothing until a line is uncommented.
"""

from __future__ import annotations

import ast
import inspect
import io
import textwrap
import tokenize
from enum import Enum
from pathlib import Path

from pydantic import SecretStr

from bot.config import Settings

HEADER = """\
# slack-summarizer settings. Copy to .env (never commit it) and uncomment what you set; the environment wins
# over .env. Socket Mode (`python -m bot run`) needs SLACK_BOT_TOKEN and SLACK_APP_TOKEN; HTTP (`serve`)
# needs SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET; OPENAI_API_KEY switches to the OpenAI summarizer.
# Generated from bot/config.py by `python -m bot.env_example > .env.example`: edit there, not here."""


def render() -> str:
    notes = _comments_by_field()
    out = [HEADER]
    for name, field in Settings.model_fields.items():
        above, beside = notes.get(name, ([], None))
        if above:
            out.append("")
        description = field.description or beside
        out += [f"# {line}" if line else "#" for line in [*above, *([description] if description else [])]]
        out.append(f"# {name.upper()}={_as_env(field.get_default(call_default_factory=True))}")
    return "\n".join(out) + "\n"


def _comments_by_field() -> dict[str, tuple[list[str], str | None]]:
    """For each field of Settings: the comment lines just above it, and the comment at its line's end."""
    source = textwrap.dedent(inspect.getsource(Settings))
    lines = source.splitlines()
    comments = {
        token.start[0]: token.string.lstrip("#").strip()
        for token in tokenize.generate_tokens(io.StringIO(source).readline)
        if token.type == tokenize.COMMENT
    }
    found = {}
    (cls,) = ast.parse(source).body
    for node in cls.body:
        if not (isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name)):
            continue
        above, number = [], node.lineno - 1
        while number >= 1 and lines[number - 1].lstrip().startswith("#"):
            above.insert(0, comments[number])
            number -= 1
        beside = next((comments[n] for n in range(node.lineno, node.end_lineno + 1) if n in comments), None)
        found[node.target.id] = (above, beside)
    return found


def _as_env(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, SecretStr):
        return ""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, list | tuple | set | frozenset):
        return ",".join(_as_env(item) for item in value)
    if isinstance(value, Enum):
        return str(value.value)
    if isinstance(value, Path):
        return value.as_posix()
    return str(value)


if __name__ == "__main__":
    print(render(), end="")
