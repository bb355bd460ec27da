"""Who may do what: one table of every act that changes what the bot will do, read by every
surface (Slack and the command line) and printed in the README (a test keeps the two equal).

Three kinds of people, from phoenix.yaml's ``slack:`` section:

- *approvers* — the user ids in ``slack.approvers.users`` and the members of the user groups in
  ``slack.approvers.groups``;
- *responders* — the same for ``slack.responders``, and every approver besides: they may ask for
  a plan and hold automatic proposals back, never decide on one;
- *everyone* — whoever can type ``/phoenix`` or open the App Home: read-only answers.

A group's members are known only through Slack's directory (``GroupDirectory``). When it cannot
answer, a member of a group cannot be confirmed, so only the user ids listed in the file count;
the refusal says so. Nobody is ever let in because the directory failed.

Every attempt at an act of the table is audited, allowed or refused alike: an allowed one by the
event of what it did (``audited``), a refused one by the act's ``refused`` action with the
reason, each with the surface it came through.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from engine.config import Approvers, Slack
from engine.errors import DirectoryUnavailable
from engine.records import AuditAction


class GroupDirectory(Protocol):
    def members(self, group_id: str) -> frozenset[str]:
        """The user ids in the group; ``DirectoryUnavailable`` if it cannot tell."""
        ...


class Who(StrEnum):
    """Who may do an act."""

    APPROVERS = "approvers"
    RESPONDERS = "responders and approvers"
    EVERYONE = "everyone"


class Act(StrEnum):
    """Everything a person asks the bot to do, by its domain name."""

    REQUEST_FAILOVER = "request_failover"
    REQUEST_FAILBACK = "request_failback"
    SILENCE = "silence"
    UNSILENCE = "unsilence"
    APPROVE = "approve"
    DECLINE = "decline"
    SNOOZE = "snooze"
    RETRY = "retry"
    SKIP = "skip"
    ABORT = "abort"
    DRILL_RUN = "drill_run"
    DRILL_SKIP = "drill_skip"
    DRILL_POSTPONE = "drill_postpone"
    READ = "read"


@dataclass(frozen=True)
class Rule:
    act: Act
    what: str
    """The act as a person says it."""
    who: Who
    also: str = ""
    """What else must hold, besides who the person is."""
    audited: str = ""
    """The audit action(s) an allowed attempt is recorded under."""
    refused: AuditAction | None = None
    """The audit action a refused attempt is recorded under; None for read-only acts."""


RULES: tuple[Rule, ...] = (
    Rule(
        Act.REQUEST_FAILOVER,
        "ask for a failover plan",
        Who.RESPONDERS,
        "the proposal needs its level's approvals, and never the asker's own",
        "proposal.open",
        AuditAction.FAILOVER_REFUSED,
    ),
    Rule(
        Act.REQUEST_FAILBACK,
        "ask for a failback",
        Who.RESPONDERS,
        "as a failover: the DR level's approvals, never the asker's own",
        "proposal.open",
        AuditAction.FAILBACK_REFUSED,
    ),
    Rule(
        Act.SILENCE,
        "silence automatic proposals",
        Who.RESPONDERS,
        "for at most 7 days; announced in the channel; a level-3 loss confirmed by quorum is "
        "still proposed",
        "silence.add",
        AuditAction.SILENCE_REFUSED,
    ),
    Rule(
        Act.UNSILENCE,
        "end the active silences",
        Who.RESPONDERS,
        "",
        "silence.remove",
        AuditAction.UNSILENCE_REFUSED,
    ),
    Rule(
        Act.APPROVE,
        "approve a proposal",
        Who.APPROVERS,
        "while it waits (`approval_ttl`); not the person who asked for it; as many different "
        "approvers as its level's policy says (level 3: two)",
        "approval.grant",
        AuditAction.APPROVE_REFUSED,
    ),
    Rule(
        Act.DECLINE,
        "decline a proposal",
        Who.APPROVERS,
        "while it waits; a reason is asked for",
        "proposal.decline",
        AuditAction.DECLINE_REFUSED,
    ),
    Rule(
        Act.SNOOZE,
        "snooze a proposal",
        Who.APPROVERS,
        "while it waits; no automatic proposal for an hour",
        "proposal.snooze",
        AuditAction.SNOOZE_REFUSED,
    ),
    Rule(
        Act.RETRY,
        "retry the failed stage of a paused run",
        Who.APPROVERS,
        "",
        "run.retry",
        AuditAction.RETRY_REFUSED,
    ),
    Rule(
        Act.SKIP,
        "skip the failed stage of a paused run",
        Who.APPROVERS,
        "",
        "run.skip",
        AuditAction.SKIP_REFUSED,
    ),
    Rule(
        Act.ABORT,
        "abort a paused run, or a proposal still waiting",
        Who.APPROVERS,
        "",
        "run.abort",
        AuditAction.ABORT_REFUSED,
    ),
    Rule(
        Act.DRILL_RUN,
        "run a drill now",
        Who.APPROVERS,
        "",
        "drill.run",
        AuditAction.DRILL_RUN_REFUSED,
    ),
    Rule(
        Act.DRILL_SKIP,
        "skip a drill's next occurrence",
        Who.APPROVERS,
        "before it starts",
        "drill.skip",
        AuditAction.DRILL_SKIP_REFUSED,
    ),
    Rule(
        Act.DRILL_POSTPONE,
        "postpone a drill by an hour or a day",
        Who.APPROVERS,
        "before it starts; once per announcement",
        "drill.postpone",
        AuditAction.DRILL_POSTPONE_REFUSED,
    ),
    Rule(
        Act.READ,
        "read the status, history, help, drills and readiness",
        Who.EVERYONE,
    ),
)

RULE_OF: dict[Act, Rule] = {rule.act: rule for rule in RULES}


def refused_action(act: Act) -> AuditAction:
    """The audit action of a refused attempt at ``act`` (which changes something)."""
    refused = RULE_OF[act].refused
    if refused is None:
        raise ValueError(f"{act} is read-only: nothing is refused")
    return refused


@dataclass(frozen=True)
class Permission:
    allowed: bool
    reason: str = ""
    """Why not, for the person who asked (and the audit log); empty when allowed."""


ALLOWED = Permission(True)


class Authority:
    """The table applied to people: ``may(act, user)``."""

    def __init__(self, slack: Slack, groups: GroupDirectory) -> None:
        self.slack = slack
        self.groups = groups

    def may(self, act: Act, user: str) -> Permission:
        rule = RULE_OF[act]
        if rule.who is Who.EVERYONE:
            return ALLOWED
        lists = [("slack.approvers", self.slack.approvers)]
        if rule.who is Who.RESPONDERS:
            lists.insert(0, ("slack.responders", self.slack.responders))
        if any(user in people.users for _, people in lists):
            return ALLOWED
        unreachable: list[str] = []
        for _, people in lists:
            try:
                if _in_a_group(user, people, self.groups):
                    return ALLOWED
            except DirectoryUnavailable as exc:
                unreachable.append(str(exc))
        where = " and ".join(name for name, _ in lists)
        kind = "approvers" if rule.who is Who.APPROVERS else "responders and approvers"
        if unreachable:
            return Permission(
                False,
                f"Only configured {kind} may {rule.what}. Slack's directory cannot be reached "
                f"to confirm membership of the user groups in {where} "
                f"({'; '.join(unreachable)}), so until it answers only the user ids listed in "
                f"{where} count, and you are not one of them.",
            )
        return Permission(
            False, f"Only configured {kind} may {rule.what}, and you are not one of them ({where})."
        )

    def is_approver(self, user: str) -> bool:
        """Whether ``user`` is an approver; ``DirectoryUnavailable`` when only a group could
        tell and the directory cannot answer."""
        if user in self.slack.approvers.users:
            return True
        return _in_a_group(user, self.slack.approvers, self.groups)


def _in_a_group(user: str, people: Approvers, groups: GroupDirectory) -> bool:
    """Whether ``user`` is in one of ``people``'s groups; ``DirectoryUnavailable`` only when no
    group that answered has them and one could not answer."""
    failure: DirectoryUnavailable | None = None
    for group in people.groups:
        try:
            if user in groups.members(group):
                return True
        except DirectoryUnavailable as exc:
            failure = failure or exc
    if failure is not None:
        raise failure
    return False
