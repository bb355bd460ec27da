"""A bucket's change feed: S3 Event Notifications delivered to an SQS queue (boto3).

What S3 puts in a message is documented in the Amazon S3 User Guide ("Event message
structure"): ``Records``, each with an ``eventName`` such as ``ObjectCreated:Put`` or
``ObjectRemoved:Delete``, the bucket's name and the object's key, URL-encoded as in a form
(``red flower.jpg`` arrives as ``red+flower.jpg``). When a notification is configured, S3
first sends an ``s3:TestEvent`` message with no records. Through an SNS topic without raw
delivery, the same JSON arrives as the ``Message`` string of an SNS envelope. Delivery is at
least once, usually within seconds, not in order: a notice is a hint to look at a key again.

Each record names when the change happened (``eventTime``, S3's clock) and, for writes and
deletions, a ``sequencer``: "the event notification with the greater sequencer hexadecimal
value is the event that occurred later", comparable between events of one key only, the
shorter value right-padded with zeros first (same guide, "Event message structure").

Receiving drains the queue ten messages at a time with short polls, which answer at once;
when one comes back empty, a long poll (``WaitTimeSeconds``) confirms it: a short poll
samples only some of SQS's servers and may answer empty while messages wait, a long poll
asks them all and comes back empty only once its wait has passed (SQS Developer Guide,
"Amazon SQS short and long polling"). So only a long poll that comes back empty shows the
feed ran dry. SQS counts the deliveries of each message (``ApproximateReceiveCount``, "the
number of times a message has been received across all queues but not deleted"): more than
one means a receiver before may have handled it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import Any, Final
from urllib.parse import unquote_plus

import boto3

from engine.adapters.aws.clients import AwsTarget, aws_client
from engine.adapters.aws.errors import aws_error
from engine.cloud_ports import ChangeNotice, ObjectChange

BATCH: Final = 10
"""The most messages SQS hands out, or deletes, in one call."""
_CREATED: Final = "ObjectCreated:"
_REMOVED: Final = ("ObjectRemoved:", "LifecycleExpiration:")


class S3EventQueue:
    """The SQS queue that receives one bucket's S3 Event Notifications, as a ``ChangeFeed``.

    ``visibility`` is how long a received message stays hidden from other receivers: longer
    than a pass takes, or its messages come back while it still handles them (harmless, as
    they are hints, but work done twice)."""

    def __init__(
        self,
        queue_url: str,
        bucket: str,
        target: AwsTarget | None = None,
        *,
        visibility: int = 600,
        wait_seconds: int = 1,
        session: boto3.session.Session | None = None,
    ) -> None:
        self._url = queue_url
        self._bucket = bucket
        self._visibility = visibility
        self._wait = wait_seconds
        self._sqs: Any = aws_client("sqs", target or AwsTarget(), session)

    @property
    def name(self) -> str:
        return f"sqs {self._url} (events of s3://{self._bucket})"

    def receive(self, limit: int, *, confirm: bool = True) -> list[ChangeNotice]:
        notices: list[ChangeNotice] = []
        wait = 0
        while len(notices) < limit:
            messages = self._receive(min(BATCH, limit - len(notices)), wait)
            if messages:
                notices += (self._notice(m) for m in messages)
                wait = 0
            elif wait or not confirm:
                break
            else:
                wait = self._wait
        return notices

    def _receive(self, count: int, wait: int) -> list[Any]:
        try:
            answer = self._sqs.receive_message(
                QueueUrl=self._url,
                MaxNumberOfMessages=count,
                VisibilityTimeout=self._visibility,
                WaitTimeSeconds=wait,
                MessageSystemAttributeNames=["ApproximateReceiveCount"],
            )
        except Exception as exc:
            raise aws_error(exc, resource=self._url, action="sqs:ReceiveMessage") from exc
        messages: list[Any] = answer.get("Messages", [])
        return messages

    def acknowledge(self, notices: Sequence[ChangeNotice]) -> int:
        missed = 0
        for start in range(0, len(notices), BATCH):
            entries = [
                {"Id": str(n), "ReceiptHandle": notice.receipt}
                for n, notice in enumerate(notices[start : start + BATCH])
            ]
            try:
                answer = self._sqs.delete_message_batch(QueueUrl=self._url, Entries=entries)
            except Exception as exc:
                raise aws_error(exc, resource=self._url, action="sqs:DeleteMessage") from exc
            missed += len(answer.get("Failed", []))
        return missed

    def close(self) -> None:
        self._sqs.close()

    def _notice(self, message: Any) -> ChangeNotice:
        receipt = message["ReceiptHandle"]
        received = message.get("Attributes", {}).get("ApproximateReceiveCount", "1")
        redelivered = not received.isdigit() or int(received) > 1
        try:
            changes = tuple(self._changes(json.loads(message.get("Body", ""))))
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            problem = f"not an S3 event notification ({exc!r})"
            return ChangeNotice(receipt, problem=problem, redelivered=redelivered)
        return ChangeNotice(receipt, changes, redelivered=redelivered)

    def _changes(self, body: Any) -> Iterator[ObjectChange]:
        if body.get("Type") == "Notification" and "Message" in body:
            body = json.loads(body["Message"])  # S3 -> SNS -> SQS, without raw delivery
        for record in body.get("Records", []):
            if record.get("eventSource") != "aws:s3":
                continue
            s3 = record["s3"]
            if s3["bucket"]["name"] != self._bucket:
                continue  # one queue may serve several buckets
            event: str = record["eventName"]
            found = s3["object"]
            key = unquote_plus(found["key"])
            at = _event_time(record.get("eventTime"))
            sequencer = str(found.get("sequencer", ""))
            if event.startswith(_CREATED):
                etag, size = found.get("eTag", ""), found.get("size", 0)
                yield ObjectChange(key, etag=etag, size=size, at=at, sequencer=sequencer)
            elif event.startswith(_REMOVED):
                yield ObjectChange(key, removed=True, at=at, sequencer=sequencer)


def _event_time(stamp: Any) -> datetime | None:
    """``eventTime`` (ISO 8601, e.g. ``1970-01-01T00:00:00.000Z``); None if absent or unreadable."""
    if not isinstance(stamp, str):
        return None
    try:
        when = datetime.fromisoformat(stamp)
    except ValueError:
        return None
    return when if when.tzinfo else when.replace(tzinfo=UTC)
