"""Rebuild methods.json from the full Slack method references in a checkout of the shared specs.

    python tests/data/slack/reduce_methods.py /path/to/shared/specs/slack > tests/data/slack/methods.json

Keeps what a call validator needs and nothing else: each method's accepted arguments and the required
ones. Sources (both MIT, licences in licenses/): the docs.slack.dev per-method data of slack-ruby/slack-api-ref
and Slack's 2020 OpenAPI spec from slackapi/slack-api-specs. A method or argument known to either is accepted;
required-ness follows the current docs when they know the method (the 2020 spec is stale there).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def reduce(specs: Path) -> dict:
    methods: dict[str, dict[str, set[str]]] = {}
    openapi = json.loads((specs / "web-api.openapi.json").read_text(encoding="utf-8"))
    for path, operations in openapi["paths"].items():
        entry = methods.setdefault(path.lstrip("/"), {"args": set(), "required": set()})
        for operation in operations.values():
            for parameter in operation.get("parameters", []) if isinstance(operation, dict) else []:
                entry["args"].add(parameter["name"])
                if parameter.get("required"):
                    entry["required"].add(parameter["name"])
    for file in sorted((specs / "slack-api-ref" / "docs.slack.dev" / "methods").glob("*.json")):
        data = json.loads(file.read_text(encoding="utf-8"))
        if not isinstance(data, dict):  # methods.json there is the index, not a method
            continue
        args = data.get("args") or {}
        entry = methods.setdefault(file.stem, {"args": set(), "required": set()})
        entry["args"] |= set(args.get("properties") or {})
        entry["required"] = set(args.get("required") or [])
    return {
        "_about": "Slack Web API methods: accepted and required arguments. Built by reduce_methods.py; "
        "provenance in README.md.",
        "methods": {
            name: {"args": sorted(entry["args"]), "required": sorted(entry["required"])}
            for name, entry in sorted(methods.items())
        },
    }


if __name__ == "__main__":
    json.dump(reduce(Path(sys.argv[1])), sys.stdout, indent=1, sort_keys=False)
    sys.stdout.write("\n")
