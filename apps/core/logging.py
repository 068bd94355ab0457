"""Logging filters: private-link tokens are credentials and never reach a log line."""

import logging
import re

TOKEN_PATH = re.compile(r"(/me/(?:referee/)?|/privacy/choice/|/confirm/)(?!resend/)[^/\s\"']+")


class RedactPrivateLinks(logging.Filter):
    """Rewrites /me/<token>/… (and /me/referee/<token>/…, /privacy/choice/<token>/, /confirm/<token>/) to
    …/[token]/… in every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = TOKEN_PATH.sub(r"\1[token]", message)
        if redacted != message:
            record.msg, record.args = redacted, ()
        return True
