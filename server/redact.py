"""Secret values never reach the store, a log line or a screen.

An agent may echo its API key, a tool may print the environment, an error
may quote a command line. So every text the app keeps of a task (output
events, notes, errors, state reasons) passes through ``Redactor``, which
replaces the values of secret-looking env entries with ``[redacted]``.
Base URLs and model names are not secrets.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any

REDACTED = "[redacted]"
SECRET_WORDS = ("KEY", "TOKEN", "SECRET", "PASSWORD")
# Shorter values would redact ordinary words ("true", "1234").
MIN_SECRET_CHARS = 8


def is_secret(name: str, extra_names: Iterable[str] = ()) -> bool:
    upper = name.upper()
    if upper.endswith("_BASE_URL"):
        return False
    return any(word in upper for word in SECRET_WORDS) or name in set(extra_names)


class Redactor:
    def __init__(self, env: dict[str, str], extra_names: Iterable[str] = ()) -> None:
        names = tuple(extra_names)
        values = {
            value
            for name, value in env.items()
            if is_secret(name, names) and len(value) >= MIN_SECRET_CHARS
        }
        # As the value appears raw, and inside a JSON string (a CLI's stream-json).
        forms = values | {json.dumps(v)[1:-1] for v in values}
        forms |= {form.replace("/", "\\/") for form in forms}  # JSON may escape "/"
        ordered = sorted(forms, key=len, reverse=True)
        self._pattern = re.compile("|".join(map(re.escape, ordered))) if ordered else None

    def text(self, value: str) -> str:
        return self._pattern.sub(REDACTED, value) if self._pattern else value

    def json(self, data: Any) -> str:
        """JSON-like data as JSON text, redacted. One search of the text finds any
        secret (its JSON forms are among the patterns); only then is the data
        walked, as a match on the text alone could run across a quote."""
        text = json.dumps(data)
        if self._pattern is None or not self._pattern.search(text):
            return text
        return json.dumps(self.value(data))

    def value(self, data: Any) -> Any:
        """Strings anywhere in JSON-like data (dicts, lists), redacted."""
        if self._pattern is None:
            return data
        if isinstance(data, str):
            return self.text(data)
        if isinstance(data, dict):
            return {key: self.value(item) for key, item in data.items()}
        if isinstance(data, list):
            return [self.value(item) for item in data]
        return data
