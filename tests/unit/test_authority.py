"""Who may do what: the one table, applied to people listed by id, to members of user groups,
and to everyone when Slack's directory cannot say who is in a group."""

from __future__ import annotations

import pytest

from engine.config import Approvers, Responders, Slack
from engine.drills.schedule import NoteKind
from engine.errors import DirectoryUnavailable
from engine.incidents.authority import RULE_OF, RULES, Act, Authority, Who, refused_action
from engine.records import AuditAction
from tests.support.directory import Groups

SLACK = Slack(
    approvers=Approvers(users=["UALICE"], groups=["SOPS"]),
    responders=Responders(users=["UCAROL"], groups=["SONCALL"]),
)
GROUPS = Groups({"SOPS": frozenset({"UBOB"}), "SONCALL": frozenset({"UERIN"})})
PROTECTED = [rule.act for rule in RULES if rule.who is not Who.EVERYONE]


def test_approvers_are_users_or_group_members() -> None:
    authority = Authority(SLACK, GROUPS)
    assert authority.is_approver("UALICE")
    assert authority.is_approver("UBOB")
    assert not authority.is_approver("UCAROL")


def test_a_broken_directory_never_authorises() -> None:
    authority = Authority(SLACK, Groups({}, broken=True))
    assert authority.is_approver("UALICE")
    with pytest.raises(DirectoryUnavailable):
        authority.is_approver("UBOB")


def test_every_act_that_changes_something_is_someones_and_audited_when_refused() -> None:
    assert {rule.act for rule in RULES} == set(Act), "every act has its one rule"
    for rule in RULES:
        if rule.who is Who.EVERYONE:
            assert rule.refused is None
            with pytest.raises(ValueError, match="read-only"):
                refused_action(rule.act)
        else:
            assert isinstance(refused_action(rule.act), AuditAction)
            assert rule.audited in {*AuditAction, *NoteKind}, "an allowed attempt is audited"


@pytest.mark.parametrize("act", PROTECTED)
def test_approvers_may_do_everything(act: Act) -> None:
    authority = Authority(SLACK, GROUPS)
    for user in ("UALICE", "UBOB"):
        assert authority.may(act, user).allowed, (act, user)


@pytest.mark.parametrize("act", PROTECTED)
def test_responders_may_ask_and_silence_but_never_decide(act: Act) -> None:
    authority = Authority(SLACK, GROUPS)
    responders_may = RULE_OF[act].who is Who.RESPONDERS
    for user in ("UCAROL", "UERIN"):
        assert authority.may(act, user).allowed is responders_may, (act, user)


@pytest.mark.parametrize("act", PROTECTED)
def test_anyone_else_is_refused_with_the_rule_in_words(act: Act) -> None:
    permission = Authority(SLACK, GROUPS).may(act, "UMALLORY")
    assert not permission.allowed
    assert RULE_OF[act].what in permission.reason
    assert "not one of them" in permission.reason
    assert "slack.approvers" in permission.reason
    assert ("slack.responders" in permission.reason) is (RULE_OF[act].who is Who.RESPONDERS)


def test_everyone_may_read() -> None:
    assert Authority(SLACK, Groups({}, broken=True)).may(Act.READ, "UMALLORY").allowed


def test_a_listed_user_needs_no_directory() -> None:
    groups = Groups({}, broken=True)
    authority = Authority(SLACK, groups)
    assert authority.may(Act.APPROVE, "UALICE").allowed
    assert authority.may(Act.SILENCE, "UCAROL").allowed
    assert groups.asked == []


def test_without_the_directory_a_group_member_cannot_be_confirmed_and_is_told_so() -> None:
    authority = Authority(SLACK, Groups({}, broken=True))
    for act, user in ((Act.APPROVE, "UBOB"), (Act.SILENCE, "UERIN")):
        permission = authority.may(act, user)
        assert not permission.allowed
        assert "directory cannot be reached" in permission.reason
        assert "connection refused" in permission.reason
        assert "only the user ids listed" in permission.reason


def test_one_group_that_answers_is_enough_when_another_cannot() -> None:
    class HalfBroken(Groups):
        def members(self, group_id: str) -> frozenset[str]:
            if group_id == "SONCALL":
                raise DirectoryUnavailable("no_such_subteam")
            return frozenset({"UBOB"})

    authority = Authority(SLACK, HalfBroken({}))
    assert authority.may(Act.SILENCE, "UBOB").allowed
    assert not authority.may(Act.SILENCE, "UERIN").allowed


def test_no_groups_configured_asks_no_directory() -> None:
    groups = Groups({}, broken=True)
    permission = Authority(Slack(approvers=Approvers(users=["UALICE"])), groups).may(
        Act.APPROVE, "UBOB"
    )
    assert not permission.allowed
    assert "directory" not in permission.reason
    assert groups.asked == []
