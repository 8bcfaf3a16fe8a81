"""Log records never carry a patient's link secret.

The links a patient follows (intake, aftercare, follow-up) hold their secret in the path, and
Django logs paths: "Not Found: /intake/<token>/" for a used-up link, the development server every
request line. Anyone who can read the server's log could open the patient's page with it. This
filter, on every handler (settings.LOGGING), writes the secret as "[secret]".
"""

from __future__ import annotations

import logging
import re

from gunicorn.glogging import Logger

# intake/<token>/, aftercare/<token>/, follow-up/<link id>/<secret>/ (web.urls)
_SECRET_IN_PATH = re.compile(r"(/(?:intake|aftercare)/|/follow-up/[0-9a-fA-F-]{36}/)[^/\s?\"']+")


def redact(text: str) -> str:
    return _SECRET_IN_PATH.sub(r"\1[secret]", text)


class RedactLinkSecrets(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = redact(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        return True


class AccessLogWithoutSecrets(Logger):
    """gunicorn's logger with the link secrets written as "[secret]" in the access log
    (``--logger-class needlechart.web.logging.AccessLogWithoutSecrets``)."""

    def atoms(self, resp, req, environ, request_time):  # gunicorn's signature
        atoms = super().atoms(resp, req, environ, request_time)
        for key in ("r", "U", "{raw_uri}e"):
            if isinstance(atoms.get(key), str):
                atoms[key] = redact(atoms[key])
        return atoms
