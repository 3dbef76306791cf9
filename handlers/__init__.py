"""One module per Slack surface. Each exposes ``register(app, ctx)`` and stays thin: read the payload,
build SummaryRequests, ack, hand off to the queue. None of them knows how summaries are made."""
