"""Logging filters for the server's log."""

import logging
import threading
import time


class RepeatFilter(logging.Filter):
    """Pass each message at most once per `seconds`, and count the repeats dropped.

    A message is its logger's name and its unformatted text, so different
    errors logged with the same text share one slot. The next time a message
    passes, the count of repeats dropped since it last passed is added. The
    counts are kept per process, so each app server worker logs the message
    once per `seconds`. Used where every request could log the same error,
    such as an unreachable cache.
    """

    def __init__(self, seconds: float = 60):
        super().__init__()
        self.seconds = seconds
        self._lock = threading.Lock()
        self._passed_at: dict[tuple[str, str], float] = {}
        self._dropped: dict[tuple[str, str], int] = {}

    def filter(self, record: logging.LogRecord) -> bool:
        key = (record.name, str(record.msg))
        now = time.monotonic()
        with self._lock:
            passed_at = self._passed_at.get(key)
            if passed_at is not None and now - passed_at < self.seconds:
                self._dropped[key] = self._dropped.get(key, 0) + 1
                return False
            self._passed_at[key] = now
            dropped = self._dropped.pop(key, 0)
        if dropped:
            record.msg = (
                f"{record.msg} (and {dropped} more times since this was last logged)"
            )
        return True

    def reset(self) -> None:
        with self._lock:
            self._passed_at.clear()
            self._dropped.clear()
