# The Slack app over HTTP (`python -m bot serve`, port 3000). Build: docker build -t slack-summarizer .
# Run alone (SQLite queue and store in /data): docker run --env-file .env -p 3000:3000 -v data:/data slack-summarizer
# With Redis, PostgreSQL and separate workers: compose.yaml.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DATA_DIR=/data

WORKDIR /app
COPY pyproject.toml README.md LICENSE ./
COPY bot ./bot
COPY handlers ./handlers
RUN pip install ".[deploy]"

RUN useradd --system --uid 10001 --no-create-home summarizer \
    && mkdir -p /data && chown summarizer /data
USER summarizer
WORKDIR /data
VOLUME /data

EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:3000/healthz', timeout=4)"]
CMD ["python", "-m", "bot", "serve"]
