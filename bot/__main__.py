"""`python -m bot` and the `slack-summarizer` command.

`serve` runs several processes (the HTTP server, its queue worker child): their metrics are added up through
files in PROMETHEUS_MULTIPROC_DIR, which must be set before anything imports prometheus_client (it picks
its mode at import). So it is set here, first: a fresh directory unless the operator chose one, which
is emptied (stale files from an earlier run would count twice). Child processes inherit it.
"""

import os
import shutil
import sys
import tempfile
from pathlib import Path

MULTIPROC = "PROMETHEUS_MULTIPROC_DIR"


def _metrics_directory(argv: list[str]) -> str | None:
    """The directory this `serve` made for its metrics (removed when it ends), or None."""
    if "serve" not in argv[:1]:
        return None
    if os.environ.get(MULTIPROC):
        directory = Path(os.environ[MULTIPROC])
        directory.mkdir(parents=True, exist_ok=True)
        for stale in directory.glob("*.db"):
            stale.unlink()
        return None
    os.environ[MULTIPROC] = tempfile.mkdtemp(prefix="summarizer-metrics-")
    return os.environ[MULTIPROC]


def main() -> int:
    made, parent = _metrics_directory(sys.argv[1:]), os.getpid()
    from bot.cli import main as cli_main

    try:
        return cli_main()
    finally:
        if made and os.getpid() == parent:  # only the process that made it removes it
            shutil.rmtree(made, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
