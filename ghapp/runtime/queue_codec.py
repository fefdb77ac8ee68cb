"""How a queue message is written: JSON holding one delivery id, never pickle (the huey glue is in queue.py).

huey's default serializer is pickle, so whoever could write to the Redis or the SQLite queue file could run
code in every worker. A message here is `{"id", "name", "eta", "delivery_id"}` and nothing else; anything
that is not exactly that (pickle, another task, extra fields, a delivery id GitHub would not send) is refused
with `RefusedMessage`. Refusing loses nothing: the inbox row is the truth and the sweeper enqueues it again.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass

from ghapp.runtime.jobs import JobError

MAX_MESSAGE_BYTES = 1024
_DELIVERY_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")  # what the webhook endpoint accepts as a delivery id
_TASK_ID = re.compile(r"[0-9a-f-]{1,64}")
_KEYS = {"id", "name", "eta", "delivery_id"}


class RefusedMessage(JobError, ValueError):
    """A queue message that is not one of ours; the text says why (it never quotes the message)."""


@dataclass(frozen=True)
class DeliveryMessage:
    task_id: str
    name: str
    eta: dt.datetime | None  # naive UTC, as huey keeps it
    delivery_id: str


def encode(message: DeliveryMessage) -> bytes:
    if not _DELIVERY_ID.fullmatch(message.delivery_id):
        raise RefusedMessage("not a delivery id")
    eta = message.eta.isoformat() if message.eta is not None else None
    body = {"id": message.task_id, "name": message.name, "eta": eta, "delivery_id": message.delivery_id}
    return json.dumps(body, separators=(",", ":")).encode()


def decode(data: bytes, task_name: str) -> DeliveryMessage:
    """The message for one delivery id of task `task_name`, or `RefusedMessage`."""
    if not isinstance(data, bytes | bytearray) or len(data) > MAX_MESSAGE_BYTES:
        raise RefusedMessage("not a message of ours (too large)")
    if not data.startswith(b"{"):
        raise RefusedMessage("not JSON (a pickle or another format)")
    try:
        body = json.loads(data)
    except ValueError as exc:
        raise RefusedMessage("not valid JSON") from exc
    if not isinstance(body, dict) or set(body) != _KEYS:
        raise RefusedMessage("not the fields of a delivery message")
    task_id, name, eta, delivery_id = body["id"], body["name"], body["eta"], body["delivery_id"]
    if name != task_name:
        raise RefusedMessage("not the delivery task")
    if not isinstance(task_id, str) or not _TASK_ID.fullmatch(task_id):
        raise RefusedMessage("bad task id")
    if not isinstance(delivery_id, str) or not _DELIVERY_ID.fullmatch(delivery_id):
        raise RefusedMessage("not a delivery id")
    when = None
    if eta is not None:
        try:
            when = dt.datetime.fromisoformat(eta) if isinstance(eta, str) and len(eta) <= 40 else None
        except ValueError:
            when = None
        if when is None or when.tzinfo is not None:
            raise RefusedMessage("bad eta")
    return DeliveryMessage(task_id, name, when, delivery_id)
