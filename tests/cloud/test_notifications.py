"""The signed webhook sender and the Jenkins adapter, against a local receiver and a local
Jenkins fake."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from engine.adapters.http.jenkins import JenkinsServer
from engine.adapters.http.webhook import SignedWebhook
from engine.errors import CloudAccessDenied, CloudNotFound, CloudRejected, CloudUnavailable
from tests.cloud.jenkins_fake import JenkinsFake
from tests.cloud.webhook_receiver import WebhookReceiver
from tests.support.http_fake import Fault

pytestmark = pytest.mark.integration

SECRET = b"webhook-shared-secret"
JENKINS_TOKEN = "jenkins-api-token"
JENKINS_PASSWORD = "jenkins-password"


@pytest.fixture(scope="session")
def _receiver() -> Iterator[WebhookReceiver]:
    receiver = WebhookReceiver(SECRET)
    yield receiver
    receiver.stop()


@pytest.fixture
def receiver(_receiver: WebhookReceiver) -> WebhookReceiver:
    _receiver.reset()
    return _receiver


@pytest.fixture
def webhook(receiver: WebhookReceiver) -> Iterator[SignedWebhook]:
    sender = SignedWebhook(f"{receiver.url}/webhook/phoenix?token=path-secret", SECRET, timeout=5)
    yield sender
    sender.close()


@pytest.fixture(scope="session")
def _jenkins() -> Iterator[JenkinsFake]:
    fake = JenkinsFake("phoenix", JENKINS_TOKEN, password=JENKINS_PASSWORD)
    yield fake
    fake.stop()


@pytest.fixture
def jenkins_fake(_jenkins: JenkinsFake) -> JenkinsFake:
    _jenkins.reset()
    _jenkins.add_job("deploy/dr-smoke", ["PHOENIX_KEY", "TARGET"])
    return _jenkins


@pytest.fixture
def jenkins(jenkins_fake: JenkinsFake) -> Iterator[JenkinsServer]:
    server = JenkinsServer(jenkins_fake.url, "phoenix", JENKINS_TOKEN, timeout=5)
    yield server
    server.close()


# ----------------------------------------------------------------------------- webhook


def test_a_signed_notification_is_accepted(
    receiver: WebhookReceiver, webhook: SignedWebhook
) -> None:
    delivery = str(uuid.uuid4())

    sent = webhook.send("failover.completed", {"run": "r-1", "rto_s": 412}, delivery_id=delivery)

    assert sent.status == 202
    [accepted] = receiver.accepted
    assert accepted["event"] == "failover.completed"
    assert accepted["payload"] == {"run": "r-1", "rto_s": 412}
    assert accepted["delivery_id"] == delivery


def test_a_retried_delivery_is_dropped_by_the_receiver(
    receiver: WebhookReceiver, webhook: SignedWebhook
) -> None:
    delivery = str(uuid.uuid5(uuid.NAMESPACE_URL, "run-7:notify"))
    webhook.send("failover.completed", {"run": "run-7"}, delivery_id=delivery)

    again = webhook.send("failover.completed", {"run": "run-7"}, delivery_id=delivery)

    assert again.status == 200
    assert len(receiver.accepted) == 1
    assert receiver.duplicates == [delivery]


def test_a_wrong_secret_is_refused_without_leaking_it(receiver: WebhookReceiver) -> None:
    sender = SignedWebhook(f"{receiver.url}/webhook/phoenix?token=path-secret", b"wrong-secret")
    try:
        with pytest.raises(CloudAccessDenied) as raised:
            sender.send("failover.completed", {}, delivery_id=str(uuid.uuid4()))
    finally:
        sender.close()
    message = str(raised.value)
    assert "/webhook/phoenix" in message
    assert "wrong-secret" not in message
    assert "path-secret" not in message
    assert "path-secret" not in repr(sender)
    assert receiver.rejected == 1


def test_a_receiver_outage_is_retryable(receiver: WebhookReceiver, webhook: SignedWebhook) -> None:
    receiver.faults.add(Fault(503, b"busy", method="POST"))

    with pytest.raises(CloudUnavailable, match="503"):
        webhook.send("failover.completed", {}, delivery_id=str(uuid.uuid4()))


def test_an_unreachable_receiver_is_retryable() -> None:
    sender = SignedWebhook("http://127.0.0.1:9/webhook", SECRET, timeout=2)
    try:
        with pytest.raises(CloudUnavailable, match="cannot reach"):
            sender.send("x", {}, delivery_id="d")
    finally:
        sender.close()


def test_a_missing_webhook_is_fatal(receiver: WebhookReceiver, webhook: SignedWebhook) -> None:
    receiver.faults.add(Fault(404, b"no such webhook", method="POST"))

    with pytest.raises(CloudNotFound, match="/webhook/phoenix"):
        webhook.send("x", {}, delivery_id="d")


# ----------------------------------------------------------------------------- Jenkins


def test_a_triggered_job_is_followed_from_queue_to_result(
    jenkins_fake: JenkinsFake, jenkins: JenkinsServer
) -> None:
    queued = jenkins.trigger("deploy/dr-smoke", {"PHOENIX_KEY": "run-1:smoke", "TARGET": "azure"})
    assert jenkins.build_of(queued) is None

    number = jenkins_fake.start_next()
    running = jenkins.build_of(queued)
    assert running is not None
    assert (running.number, running.building, running.succeeded) == (number, True, False)

    jenkins_fake.finish("deploy/dr-smoke", number, "SUCCESS")
    done = jenkins.build("deploy/dr-smoke", number)
    assert (done.building, done.result, done.succeeded) == (False, "SUCCESS", True)


def test_a_failed_build_reports_failure(jenkins_fake: JenkinsFake, jenkins: JenkinsServer) -> None:
    queued = jenkins.trigger("deploy/dr-smoke", {"PHOENIX_KEY": "run-2:smoke"})
    number = jenkins_fake.start_next()
    jenkins_fake.finish("deploy/dr-smoke", number, "FAILURE")

    build = jenkins.build_of(queued)

    assert build is not None
    assert (build.result, build.succeeded) == ("FAILURE", False)


def test_a_retried_stage_finds_its_build_instead_of_triggering_again(
    jenkins_fake: JenkinsFake, jenkins: JenkinsServer
) -> None:
    jenkins.trigger("deploy/dr-smoke", {"PHOENIX_KEY": "run-3:smoke"})
    jenkins.trigger("deploy/dr-smoke", {"PHOENIX_KEY": "other"})
    jenkins_fake.start_next()
    jenkins_fake.start_next()

    found = jenkins.find_build("deploy/dr-smoke", {"PHOENIX_KEY": "run-3:smoke"})

    assert found is not None
    assert found.number == 1
    assert jenkins.find_build("deploy/dr-smoke", {"PHOENIX_KEY": "never"}) is None
    assert jenkins_fake.triggers == 2


def test_a_parameter_the_job_does_not_declare_is_dropped_and_named(
    jenkins_fake: JenkinsFake, jenkins: JenkinsServer
) -> None:
    jenkins.trigger("deploy/dr-smoke", {"PHOENIX_KEY": "run-5:smoke", "PHOENIX_RUN": "run-5"})
    jenkins_fake.start_next()

    # Jenkins kept the declared parameter only: the build cannot be found by the other.
    assert jenkins.find_build("deploy/dr-smoke", {"PHOENIX_RUN": "run-5"}) is None
    assert jenkins.find_build("deploy/dr-smoke", {"PHOENIX_KEY": "run-5:smoke"}) is not None
    assert jenkins.undeclared_parameters("deploy/dr-smoke", ["PHOENIX_RUN", "TARGET"]) == [
        "PHOENIX_RUN"
    ]


def test_a_request_still_in_the_queue_is_found_by_its_parameters(
    jenkins_fake: JenkinsFake, jenkins: JenkinsServer
) -> None:
    jenkins_fake.add_job("deploy/other", ["PHOENIX_KEY"])
    jenkins.trigger("deploy/other", {"PHOENIX_KEY": "run-6:smoke"})
    queued = jenkins.trigger("deploy/dr-smoke", {"PHOENIX_KEY": "run-6:smoke"})

    found = jenkins.find_queued("deploy/dr-smoke", {"PHOENIX_KEY": "run-6:smoke"})

    assert found == queued
    assert jenkins.find_queued("deploy/dr-smoke", {"PHOENIX_KEY": "run-7:smoke"}) is None
    jenkins_fake.start_next()
    jenkins_fake.start_next()
    assert jenkins.find_queued("deploy/dr-smoke", {"PHOENIX_KEY": "run-6:smoke"}) is None


def test_a_password_login_triggers_with_a_crumb_of_its_session_and_a_fresh_one_later(
    jenkins_fake: JenkinsFake,
) -> None:
    server = JenkinsServer(jenkins_fake.url, "phoenix", JENKINS_PASSWORD, timeout=5)
    try:
        server.trigger("deploy/dr-smoke", {"PHOENIX_KEY": "run-8:smoke"})
        # A restart ends the session the crumb was bound to: the next trigger gets a new one.
        jenkins_fake.restart()
        server.trigger("deploy/dr-smoke", {"PHOENIX_KEY": "run-9:smoke"})
    finally:
        server.close()
    assert jenkins_fake.triggers == 2


def test_a_cancelled_queue_item_is_fatal(jenkins_fake: JenkinsFake, jenkins: JenkinsServer) -> None:
    queued = jenkins.trigger("deploy/dr-smoke", {"PHOENIX_KEY": "run-4:smoke"})
    jenkins_fake.cancel_next()

    with pytest.raises(CloudRejected, match="cancelled"):
        jenkins.build_of(queued)


def test_a_missing_job_is_fatal_and_named(jenkins: JenkinsServer) -> None:
    with pytest.raises(CloudNotFound, match="Jenkins job deploy/ghost"):
        jenkins.trigger("deploy/ghost", {})


def test_a_bad_token_is_access_denied_without_the_token(jenkins_fake: JenkinsFake) -> None:
    server = JenkinsServer(jenkins_fake.url, "phoenix", "wrong-token")
    try:
        with pytest.raises(CloudAccessDenied, match="Jenkins") as raised:
            server.trigger("deploy/dr-smoke", {})
    finally:
        server.close()
    assert "wrong-token" not in str(raised.value)


def test_a_jenkins_outage_is_retryable(jenkins_fake: JenkinsFake, jenkins: JenkinsServer) -> None:
    jenkins_fake.faults.add(Fault(502, b"bad gateway", method="POST"))

    with pytest.raises(CloudUnavailable, match="502"):
        jenkins.trigger("deploy/dr-smoke", {})
