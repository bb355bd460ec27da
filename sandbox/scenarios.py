"""Scripted stories for ``phoenix sandbox --scenario NAME --headless``.

A scenario only does what a person could: inject faults from the panel, type slash commands
and press buttons as one of the sandbox's users. What the bot does follows from the signals it
collects; the scenario then checks what a person would see in the channel. Each check is
recorded as an expectation; the exit status says whether all of them held.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.adapters.sim import AWS, AZURE
from engine.runs import Run, RunState
from handlers.ids import ActionId, InputId
from sandbox.config import ENVIRONMENT
from sandbox.runtime import Sandbox
from sandbox.slack import Message
from sandbox.transcript import channel_transcript, ephemeral_transcript

CHANNEL = "#incidents"
ALICE, BOB, CAROL = "UALICE", "UBOB", "UCAROL"
NAMES = {ALICE: "alice", BOB: "bob", CAROL: "carol"}


class ScenarioFailed(Exception):
    """A step could not go on (what it waited for never came)."""


@dataclass
class Player:
    sandbox: Sandbox
    timeout: float = 30.0
    log: list[str] = field(default_factory=list)
    checks: list[tuple[str, bool]] = field(default_factory=list)
    _started: float = field(default_factory=time.monotonic)

    @property
    def slack(self) -> Any:
        return self.sandbox.slack

    @property
    def phoenix(self) -> Any:
        phoenix = self.sandbox.phoenix
        assert phoenix is not None
        return phoenix

    def say(self, line: str) -> None:
        self.log.append(f"[{time.monotonic() - self._started:6.1f}s] {line}")

    def expect(self, what: str, held: bool) -> bool:
        self.checks.append((what, bool(held)))
        self.say(f"{'✔' if held else '✘'} {what}")
        return bool(held)

    # ------------------------------------------------------------------ acting

    def inject(self, fault: str) -> None:
        self.say(f"fault panel: {self.sandbox.inject(fault)}")

    def command(self, user: str, text: str) -> None:
        self.say(f"{NAMES[user]} types /phoenix {text}")
        delivery = self.slack.run_slash_command("/phoenix", text, user=user, channel=CHANNEL)
        if not delivery.on_time:
            self.say(f"  the bot did not ack in time: {delivery.error}")

    def approve(self, user: str, message: Message) -> None:
        """Approve as a person would: through the modal at level 3, else the confirm dialog."""
        slack = self.slack
        current = slack.message(message.ts)
        if ActionId.APPROVE_TYPED in current.action_ids:
            told = len(slack.ephemeral(user))
            self.say(f"{NAMES[user]} presses Approve…")
            slack.click(ActionId.APPROVE_TYPED, user=user, message_ts=message.ts)
            self._wait(
                lambda: slack.open_views(user) or len(slack.ephemeral(user)) > told or None,
                "the approval modal (or a refusal)",
            )
            if slack.open_views(user):
                self.say(f"{NAMES[user]} types {ENVIRONMENT!r} in the modal and submits")
                slack.submit_view(user=user, values={InputId.ENVIRONMENT: ENVIRONMENT})
            else:
                self.say(f"{NAMES[user]} is told: {slack.ephemeral(user)[-1].text}")
        elif ActionId.APPROVE in current.action_ids:
            self.say(f"{NAMES[user]} presses Approve and confirms")
            slack.click(ActionId.APPROVE, user=user, message_ts=message.ts)
        else:
            self.say(f"{NAMES[user]} finds no Approve button")

    # ------------------------------------------------------------------ waiting

    def _wait(self, found: Callable[[], Any], what: str, timeout: float | None = None) -> Any:
        try:
            return self.slack.wait_for(found, timeout or self.timeout, what)
        except TimeoutError:
            self.say(f"gave up waiting for {what}")
            raise ScenarioFailed(what) from None

    def proposal(self, heading: str, *, after: int = 0) -> Message:
        """The first top-level message (from index ``after``) whose text starts with
        ``heading``, e.g. ``Level 3``."""

        def found() -> Message | None:
            for message in self.slack.messages(CHANNEL)[after:]:
                if message.text.startswith(heading):
                    return message
            return None

        message: Message = self._wait(found, f"a {heading!r} message")
        self.say(f"the bot posts: {message.text}")
        return message

    def run_of(self, message: Message) -> Run | None:
        for run in self.phoenix.store.list_runs(limit=50):
            if run.run_id in message.text or any(run.run_id in str(b) for b in message.blocks):
                return run  # type: ignore[no-any-return]
        return None

    def finished(self, message: Message, timeout: float | None = None) -> Run:
        def done() -> Run | None:
            run = self.run_of(self.slack.message(message.ts))
            return run if run is not None and run.state.terminal else None

        run: Run = self._wait(done, "the run to finish", timeout)
        self.phoenix.reporter.flush(15)
        self.say(f"the run ends: {run.state.value}")
        return run

    def evaluations(self, count: int) -> None:
        evaluator = self.phoenix.evaluator
        target = evaluator.evaluations + count
        self._wait(
            lambda: evaluator.evaluations >= target or None,
            f"{count} evaluations",
            timeout=count * self.sandbox.options.interval * 3 + 10,
        )

    def until(self, predicate: Callable[[], bool], what: str, timeout: float | None = None) -> bool:
        try:
            self.slack.wait_for(lambda: predicate() or None, timeout or self.timeout, what)
        except TimeoutError:
            return False
        return True

    def latest_reason(self) -> str:
        history = self.phoenix.store.score_history(limit=1)
        return str(history[-1].reason) if history else ""

    def thread_texts(self, message: Message) -> list[str]:
        return [r.text for r in self.slack.replies(CHANNEL, message.ts)]

    def keep_picture(self, file_id: str) -> Path | None:
        """Save an image the bot shared under the sandbox's folder (``pictures/``), to look at
        after the story (``--workdir`` keeps the folder)."""
        found = self.slack.file(file_id)
        if found.content is None:
            return None
        folder = self.sandbox.workdir / "pictures"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / found.filename
        path.write_bytes(found.content)
        self.say(f"the picture is saved: {path}")
        return path

    def transcript(self) -> str:
        parts = [channel_transcript(self.slack, CHANNEL)]
        for user in (ALICE, BOB, CAROL):
            ephemeral = ephemeral_transcript(self.slack, user)
            if ephemeral:
                parts.append(ephemeral)
        return "\n\n".join(parts)


# ----------------------------------------------------------------------------- the stories


def _dr_failover(p: Player) -> Message:
    p.inject("regional-outage")
    message = p.proposal("Level 3")
    p.expect("a level-3 DR failover is proposed", "DR failover" in message.text)
    p.approve(CAROL, message)
    p.expect(
        "carol, not an approver, is refused",
        p.until(lambda: bool(p.slack.ephemeral(CAROL)), "carol's refusal"),
    )
    p.approve(ALICE, message)
    p.expect(
        "one approval is not enough for DR",
        p.until(
            lambda: "1 of 2" in str(p.slack.message(message.ts).blocks), "alice's approval shown"
        ),
    )
    p.approve(BOB, message)
    run = p.finished(message)
    p.expect("the DR run succeeds after two approvals", run.state is RunState.SUCCEEDED)
    replies = p.thread_texts(message)
    stages = [t for t in replies if t.startswith("Stage ")]
    p.expect(
        f"every stage reported in the thread ({len(stages)} of {len(run.stages)})",
        len(stages) == len(run.stages) and all("succeeded" in t for t in stages),
    )
    p.expect("traffic is on Azure", p.sandbox.world.serving_side() == AZURE)
    return message


def regional_outage(p: Player) -> None:
    """AWS us-east-1 goes dark; the bot proposes DR to Azure; two approvers agree."""
    _dr_failover(p)
    p.expect(
        "the public endpoint answers again, from Azure",
        p.until(p.sandbox.world.azure_serves, "the DR side to serve"),
    )


def observer_partition(p: Player) -> None:
    """Only the bot loses sight of AWS; Route 53's checkers still see it healthy."""
    p.inject("partition")
    p.evaluations(6)
    p.command(ALICE, "status")
    p.until(lambda: bool(p.slack.ephemeral(ALICE)), "the status answer")
    p.expect(
        "the evaluation names the partition",
        "observer partition" in p.latest_reason() or "observer blind" in p.latest_reason(),
    )
    proposals = [m for m in p.slack.messages(CHANNEL) if m.text.startswith("Level")]
    p.expect("no failover is proposed", not proposals)


def flapping_service(p: Player) -> None:
    """Service B goes down and up at every evaluation: one notice, no proposals."""
    for index in range(10):
        p.inject("service-b-down" if index % 2 == 0 else "restore")
        p.evaluations(1)
    p.inject("restore")
    p.evaluations(2)
    p.phoenix.reporter.flush(10)
    notices = [m for m in p.slack.messages(CHANNEL) if "is flapping" in str(m.blocks) + m.text]
    p.expect(f"one flapping notice ({len(notices)} posted)", len(notices) == 1)
    proposals = [m for m in p.slack.messages(CHANNEL) if m.text.startswith("Level")]
    p.expect("no proposal while it flaps", not proposals)


def self_healing(p: Player) -> None:
    """Service B stays down: level 1 restarts it by itself, and the incident resolves."""
    p.inject("service-b-down")
    message = p.proposal("Level 1")
    run = p.finished(message)
    p.expect("self-healing ran without approvals", run.state is RunState.SUCCEEDED)
    services = p.sandbox.services
    assert services is not None
    p.expect("Service B answers again", p.until(services.b.healthy, "Service B to answer"))
    p.expect(
        "the incident resolves once the score stays low",
        p.until(
            lambda: not p.phoenix.store.list_incidents(open_only=True), "the incident to resolve"
        ),
    )


def failback(p: Player) -> None:
    """After a DR failover and AWS's return, carol asks to fail back; two approvers agree."""
    _dr_failover(p)
    p.inject("restore")
    p.evaluations(2)
    before = len(p.slack.messages(CHANNEL))
    p.command(CAROL, "failback")
    message = p.proposal("Level 3", after=before)
    p.approve(ALICE, message)
    p.approve(BOB, message)
    run = p.finished(message)
    p.expect("the failback run succeeds", run.state is RunState.SUCCEEDED)
    p.expect("traffic is back on AWS", p.sandbox.world.serving_side() == AWS)


def drill(p: Player) -> None:
    """A DR drill run by hand: the rehearsal acts only where the plan allows, and reports."""
    before = len(p.slack.messages(CHANNEL))
    p.command(ALICE, "drill run weekly-dr")

    def report() -> Message | None:
        for message in p.slack.messages(CHANNEL)[before:]:
            run = p.run_of(message)
            if run is not None and run.state.terminal:
                return message
        return None

    message = p._wait(report, "the drill to finish", 60)
    p.phoenix.reporter.flush(15)
    run = p.run_of(message)
    p.say(f"the drill ends: {run.state.value if run else '?'}")
    p.expect("the drill succeeds", run is not None and run.state is RunState.SUCCEEDED)
    p.expect("traffic never left AWS", p.sandbox.world.serving_side() == AWS)
    body = " ".join([message.text, str(message.blocks), *p.thread_texts(message)])
    p.expect("the drill reports its RTO", "RTO" in body)
    pictures = [r for r in p.slack.replies(CHANNEL, message.ts) if r.files]
    p.expect("the drill's picture is in its thread", len(pictures) == 1)
    for reply in pictures:
        p.keep_picture(reply.files[0]["id"])


def dr_not_ready(p: Player) -> None:
    """The DR endpoint is disabled: one readiness notice; then AWS goes dark, the DR proposal
    shows the failing check, and the approved failover runs anyway."""
    p.inject("dr-endpoint-disabled")
    notice = p.proposal("DR readiness changed")
    p.expect("the notice names the Traffic Manager check", "traffic-manager" in notice.text)
    p.inject("regional-outage")
    message = p.proposal("Level 3")
    body = str(message.blocks)
    p.expect(
        "the DR proposal shows readiness with the failing check",
        "DR readiness" in body and "traffic-manager" in body and "If we failed over now" in body,
    )
    p.approve(ALICE, message)
    p.approve(BOB, message)
    run = p.finished(message)
    p.expect("the approved failover runs anyway and succeeds", run.state is RunState.SUCCEEDED)
    p.expect("traffic is on Azure", p.sandbox.world.serving_side() == AZURE)
    # A notice lists what stopped being ready before what is ready again.
    stopped = [
        m
        for m in p.slack.messages(CHANNEL)
        if m.text.startswith("DR readiness changed")
        and "traffic-manager" in str(m.blocks).split("ready again")[0]
        and "stopped being ready" in str(m.blocks)
    ]
    p.expect(f"one notice, not one a sweep ({len(stopped)} posted)", len(stopped) == 1)


@dataclass(frozen=True)
class Scenario:
    name: str
    play: Callable[[Player], None]

    @property
    def summary(self) -> str:
        return (self.play.__doc__ or "").strip()


SCENARIOS: dict[str, Scenario] = {
    s.name: s
    for s in (
        Scenario("regional-outage", regional_outage),
        Scenario("observer-partition", observer_partition),
        Scenario("flapping-service", flapping_service),
        Scenario("self-healing", self_healing),
        Scenario("failback", failback),
        Scenario("drill", drill),
        Scenario("dr-not-ready", dr_not_ready),
    )
}


@dataclass(frozen=True)
class Outcome:
    scenario: str
    passed: bool
    checks: list[tuple[str, bool]]
    log: list[str]
    transcript: str

    def report(self) -> str:
        verdict = "PASSED" if self.passed else "FAILED"
        return "\n".join(
            [
                f"### scenario {self.scenario}",
                *self.log,
                "",
                self.transcript,
                "",
                f"### {self.scenario}: {verdict} "
                f"({sum(ok for _, ok in self.checks)} of {len(self.checks)} expectations held)",
            ]
        )


def play(scenario: Scenario, sandbox: Sandbox, *, timeout: float = 30.0) -> Outcome:
    player = Player(sandbox, timeout=timeout)
    player.say(f"scenario {scenario.name}: {scenario.summary}")
    player.evaluations(1)
    failed = False
    try:
        scenario.play(player)
    except ScenarioFailed as exc:
        player.expect(f"the story went on (stuck waiting for {exc})", False)
        failed = True
    if sandbox.phoenix is not None:
        sandbox.phoenix.reporter.flush(15)
    passed = not failed and bool(player.checks) and all(ok for _, ok in player.checks)
    return Outcome(scenario.name, passed, player.checks, player.log, player.transcript())
