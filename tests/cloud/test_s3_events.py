"""S3 Event Notifications read from SQS (engine/adapters/aws/s3_events.py), against moto's
server delivering a bucket's notifications to a queue; and S3's clock, read from its Date."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from engine.adapters.aws.clients import AwsTarget
from engine.adapters.aws.s3_events import S3EventQueue
from engine.cloud_ports import ChangeNotice, ObjectChange
from engine.errors import CloudNotFound
from tests.support.object_fixtures import OPENED, REGION, make_bucket, s3_store
from tests.support.stand_ins import Moto

pytestmark = pytest.mark.integration


def events_queue(moto_url: str, *buckets: str) -> tuple[Any, str]:
    """A queue that receives every bucket's ObjectCreated and ObjectRemoved notifications."""
    import boto3

    sqs = boto3.session.Session().client("sqs", region_name=REGION, endpoint_url=moto_url)
    OPENED.append(sqs)
    url = sqs.create_queue(QueueName="object-events")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    for bucket in buckets:
        make_bucket(moto_url, bucket).put_bucket_notification_configuration(
            Bucket=bucket,
            NotificationConfiguration={
                "QueueConfigurations": [
                    {"QueueArn": arn, "Events": ["s3:ObjectCreated:*", "s3:ObjectRemoved:*"]}
                ]
            },
        )
    return sqs, url


def feed(moto_url: str, url: str, bucket: str = "primary") -> S3EventQueue:
    queue = S3EventQueue(url, bucket, AwsTarget(region=REGION, endpoint_url=moto_url))
    OPENED.append(queue)
    return queue


def changes(notices: list[ChangeNotice]) -> list[ObjectChange]:
    return [change for notice in notices for change in notice.changes]


def test_writes_and_deletes_arrive_as_changes_with_their_keys_decoded(moto: Moto) -> None:
    _, url = events_queue(moto.url, "primary")
    client = make_bucket(moto.url, "unwatched")
    client.put_object(Bucket="primary", Key="data/red flower+1.jpg", Body=b"x")
    client.put_object(Bucket="primary", Key="data/b.bin", Body=b"y")
    client.delete_object(Bucket="primary", Key="data/b.bin")
    client.put_object(Bucket="unwatched", Key="elsewhere", Body=b"z")

    notices = feed(moto.url, url).receive(100)

    etag = client.head_object(Bucket="primary", Key="data/red flower+1.jpg")["ETag"]
    assert [(c.key, c.removed) for c in changes(notices)] == [
        ("data/red flower+1.jpg", False),
        ("data/b.bin", False),
        ("data/b.bin", True),
    ]
    first = changes(notices)[0]
    assert (first.etag, first.size) == (etag.strip('"'), 1)
    # S3's test message, sent when the notification was configured, names nothing.
    assert any(not n.changes and not n.problem for n in notices)


def test_a_queue_serving_two_buckets_gives_each_feed_only_its_own(moto: Moto) -> None:
    _, url = events_queue(moto.url, "primary", "other")
    client = make_bucket(moto.url, "scratch")
    client.put_object(Bucket="other", Key="theirs", Body=b"x")
    client.put_object(Bucket="primary", Key="ours", Body=b"y")

    assert [c.key for c in changes(feed(moto.url, url).receive(100))] == ["ours"]


def test_acknowledged_notices_are_gone_and_unacknowledged_ones_come_back(moto: Moto) -> None:
    sqs, url = events_queue(moto.url, "primary")
    client = make_bucket(moto.url, "scratch")
    for i in range(12):
        client.put_object(Bucket="primary", Key=f"k{i:02d}", Body=b"x")
    sqs.purge_queue(QueueUrl=url)  # forget the test message
    for i in range(12, 15):
        client.put_object(Bucket="primary", Key=f"k{i:02d}", Body=b"x")
    target = AwsTarget(region=REGION, endpoint_url=moto.url)
    quick = S3EventQueue(url, "primary", target, visibility=4)
    OPENED.append(quick)

    first = quick.receive(2)
    assert len(first) == 2
    assert quick.acknowledge(first) == 0
    rest = quick.receive(100)
    assert {c.key for c in changes(rest)} == {"k12", "k13", "k14"} - {c.key for c in changes(first)}
    assert quick.receive(100) == []  # hidden while their visibility lasts

    again = _wait_for(lambda: quick.receive(100))
    assert {c.key for c in changes(again)} == {c.key for c in changes(rest)}


def test_notices_through_an_sns_topic_and_unreadable_ones(moto: Moto) -> None:
    sqs, url = events_queue(moto.url, "primary")
    sqs.purge_queue(QueueUrl=url)
    record = {
        "eventSource": "aws:s3",
        "eventName": "ObjectCreated:CompleteMultipartUpload",
        "s3": {"bucket": {"name": "primary"}, "object": {"key": "big%2Fpart%C3%A9.bin"}},
    }
    envelope = {"Type": "Notification", "Message": json.dumps({"Records": [record]})}
    sqs.send_message(QueueUrl=url, MessageBody=json.dumps(envelope))
    sqs.send_message(QueueUrl=url, MessageBody="<not json>")

    notices = feed(moto.url, url).receive(10)

    assert changes(notices) == [ObjectChange("big/parté.bin")]
    problems = [n.problem for n in notices if n.problem]
    assert len(problems) == 1
    assert "not an S3 event notification" in problems[0]


def test_a_missing_queue_is_named(moto: Moto) -> None:
    missing = f"{moto.url}/123456789012/no-such-queue"

    with pytest.raises(CloudNotFound, match="no-such-queue"):
        feed(moto.url, missing).receive(10)


def test_a_notice_says_when_its_change_happened_and_whether_it_came_before(moto: Moto) -> None:
    sqs, url = events_queue(moto.url, "primary")
    sqs.purge_queue(QueueUrl=url)
    client = make_bucket(moto.url, "scratch")
    before = datetime.now(UTC) - timedelta(seconds=1)
    client.put_object(Bucket="primary", Key="k", Body=b"x")
    target = AwsTarget(region=REGION, endpoint_url=moto.url)
    visible_again = S3EventQueue(url, "primary", target, visibility=0)
    OPENED.append(visible_again)

    first = visible_again.receive(1)
    second = visible_again.receive(1)

    assert [n.redelivered for n in first + second] == [False, True]
    at = changes(first)[0].at
    assert at is not None
    assert before <= at <= datetime.now(UTC)


def test_only_a_confirmed_receive_waits_to_show_the_feed_is_dry(moto: Moto) -> None:
    import time

    sqs, url = events_queue(moto.url, "primary")
    sqs.purge_queue(QueueUrl=url)
    queue = feed(moto.url, url)

    started = time.monotonic()
    assert queue.receive(10) == []
    # The long poll's wait (a second) passed: every server was asked.
    assert time.monotonic() - started >= 0.9
    assert queue.receive(10, confirm=False) == []


def test_s3s_clock_is_read_from_its_date(moto: Moto) -> None:
    make_bucket(moto.url, "primary")
    before = datetime.now(UTC).replace(microsecond=0)

    read = s3_store(moto.url, "primary").store_time()

    assert before - timedelta(seconds=1) <= read <= datetime.now(UTC)
    assert read.tzinfo is not None


def _wait_for(receive: Any, seconds: float = 10.0) -> list[ChangeNotice]:
    import time

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        got: list[ChangeNotice] = receive()
        if got:
            return got
    raise AssertionError("nothing came back")
