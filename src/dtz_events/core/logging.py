"""JSON logs, one object a line, each carrying the request id of the request (or job) it belongs to.

The id comes in as `X-Request-ID` (or is made up), goes back out on the response, rides along in every
job the request causes (Dramatiq message options; the in-process queue) and is set again around the job in
the worker, so one grep follows a request into its emails."""

from __future__ import annotations

import json
import logging
import os
import re
import sys
import traceback
import uuid
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

REQUEST_ID_HEADER = "x-request-id"
_VALID_ID = re.compile(r"^[A-Za-z0-9._:@/+=-]{1,128}$")

request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)


def current_request_id() -> str | None:
    return request_id_var.get()


def new_request_id() -> str:
    return uuid.uuid4().hex


def accept_request_id(value: str | None) -> str:
    """The caller's id when it is a sane token (a proxy's or a client's), else a new one: a header value
    goes into every log line, so nothing that could break a line or flood the log is taken."""
    if value and _VALID_ID.match(value):
        return value
    return new_request_id()


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = request_id_var.get()
        return True


# The record's own attributes, and uvicorn's ANSI-coloured copy of the message.
_STANDARD = set(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {
    "message",
    "request_id",
    "color_message",
}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
            "process": record.process,
        }
        request_id = getattr(record, "request_id", None) or request_id_var.get()
        if request_id:
            entry["request_id"] = request_id
        for key, value in record.__dict__.items():
            if key not in _STANDARD and not key.startswith("_"):
                entry[key] = value if isinstance(value, str | int | float | bool | None) else repr(value)
        if record.exc_info:
            entry["exception"] = "".join(traceback.format_exception(*record.exc_info)).rstrip()
        return json.dumps(entry, ensure_ascii=False)


def log_format() -> str:
    """`json` (the default) or `text` (for a developer's terminal): DTZ_LOG_FORMAT."""
    return os.environ.get("DTZ_LOG_FORMAT", "json").lower()


def configure_logging(level: str | None = None) -> None:
    """Give every handler of the root logger the JSON format and the request id. Called by each process
    after its framework (uvicorn, Dramatiq) has set up its own handlers, so their streams are kept."""
    root = logging.getLogger()
    if level:
        root.setLevel(level.upper())
    if not root.handlers:
        root.addHandler(logging.StreamHandler(sys.stderr))
    for handler in root.handlers:
        handler.addFilter(RequestIdFilter())
        if log_format() == "json":
            handler.setFormatter(JsonFormatter())


def uvicorn_log_config(level: str) -> dict[str, Any]:
    """uvicorn's logging (its own loggers, the access log) in the same format."""
    formatter = (
        {"()": "dtz_events.core.logging.JsonFormatter"}
        if log_format() == "json"
        else {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"}
    )
    handler = {
        "class": "logging.StreamHandler",
        "formatter": "default",
        "filters": ["request_id"],
        "stream": "ext://sys.stderr",
    }
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": "dtz_events.core.logging.RequestIdFilter"}},
        "formatters": {"default": formatter},
        "handlers": {"default": handler},
        "root": {"handlers": ["default"], "level": level.upper()},
        "loggers": {
            "uvicorn": {"level": level.upper()},
            "uvicorn.error": {"level": level.upper()},
            "uvicorn.access": {"level": level.upper()},
        },
    }
