"""How a queue message is written: JSON holding one delivery id, never pickle.

huey's default serializer is pickle, so whoever could write to the Redis or the SQLite queue file could run
code in every worker. A message here is `{"id", "name", "eta", "delivery_id"}` and nothing else; anything
that is not exactly that (pickle, another task, extra fields, a delivery id GitHub would not send) is refused
with `RefusedMessage`. Refusing loses nothing: the inbox row is the truth and the sweeper enqueues it again.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

from huey.registry import Message
from huey.serializer import Serializer

MAX_MESSAGE_BYTES = 1024
_DELIVERY_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")  # the inbox accepts GitHub's GUIDs and test ids like these
_TASK_ID = re.compile(r"[0-9a-f-]{1,64}")
_KEYS = {"id", "name", "eta", "delivery_id"}


class RefusedMessage(ValueError):
    """A queue message that is not one of ours; `reason` says why (it never quotes the message)."""


class DeliveryIdSerializer(Serializer):  # type: ignore[misc]
    """huey's serializer seam: `Message` <-> JSON bytes for the one task the App enqueues."""

    def __init__(self) -> None:
        super().__init__()
        self.task_name = ""  # set by the queue once its task is registered

    def _serialize(self, data: Any) -> bytes:
        if not isinstance(data, Message) or data.name != self.task_name or len(data.args or ()) != 1:
            raise RefusedMessage("only a delivery id is ever enqueued")
        delivery_id = data.args[0]
        if not isinstance(delivery_id, str) or not _DELIVERY_ID.fullmatch(delivery_id):
            raise RefusedMessage("not a delivery id")
        eta = data.eta.isoformat() if isinstance(data.eta, dt.datetime) else None
        body = {"id": data.id, "name": data.name, "eta": eta, "delivery_id": delivery_id}
        return json.dumps(body, separators=(",", ":")).encode()

    def _deserialize(self, data: bytes) -> Message:
        return Message(*decode(data, self.task_name))


def decode(data: bytes, task_name: str) -> tuple[Any, ...]:
    """The fields of a `Message` for one delivery id, or `RefusedMessage`."""
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
    return (task_id, name, when, None, None, None, (delivery_id,), {})
