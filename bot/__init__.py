"""slack-summarizer: a shared link in, a faithful summary in the link's thread out."""

import logging

__version__ = "0.1.0"

logging.getLogger(__name__).addHandler(logging.NullHandler())
