"""What a crashed-and-resumed run must look like afterwards, read from the store, the ledger
of side effects and the workers' journals."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Collection, Sequence
from pathlib import Path
from typing import Any

from engine.runs import EventKind, RunState, run_lease_name
from engine.store import Store
from tests.crash.stages import RECORDING, STAGES
from tests.unit.runner_support import ledger


def assert_done_once(
    store: Store, run_id: str, ledger_path: Path, recording: Collection[str] = RECORDING
) -> None:
    """Succeeded; every side effect once; every stage succeeded once; nothing lost."""
    run = store.get_run(run_id)
    assert run is not None
    assert run.state is RunState.SUCCEEDED, run.reason
    effects = Counter({k: n for k, n in ledger(ledger_path).items() if k.startswith(run_id)})
    assert effects == Counter({f"{run_id}:{s}": 1 for s in recording})
    records = {r.stage: r for r in store.get_stages(run_id)}
    assert sorted(records) == sorted(STAGES)
    assert all(r.state.done for r in records.values())
    events = store.list_events(run_id)
    assert [e.seq for e in events] == list(range(1, len(events) + 1))
    succeeded = Counter(e.stage for e in events if e.kind is EventKind.STAGE_SUCCEEDED)
    assert succeeded == Counter(STAGES), "a stage's success was recorded twice, or never"
    assert [e.kind for e in events].count(EventKind.RUN_FINISHED) == 1


def assert_fenced(store: Store, run_id: str, journal: Sequence[dict[str, Any]]) -> list[int]:
    """Every stored event was written under a token that was current: along the event order
    the tokens never go back (a holder that lost its lease never wrote after its successor),
    each token has one owner, and each stage record carries the token its success was
    written under. Returns the tokens in the order they wrote."""
    journal = [e for e in journal if e.get("lease") == run_lease_name(run_id)]
    owners: dict[int, set[str]] = defaultdict(set)
    for entry in journal:
        if entry["op"] == "acquire":
            owners[entry["token"]].add(entry["owner"])
    assert all(len(o) == 1 for o in owners.values()), f"a token with two owners: {owners}"

    token_of: dict[int, int] = {}
    for entry in journal:
        if entry["op"] == "record":
            assert entry["token"] in owners, f"a write under a token never acquired: {entry}"
            for seq in entry["seqs"]:
                assert seq not in token_of, f"event {seq} stored twice"
                token_of[seq] = entry["token"]
    events = store.list_events(run_id)
    assert sorted(token_of) == [e.seq for e in events], "stored events the journals do not know"
    tokens = [token_of[e.seq] for e in events]
    assert tokens == sorted(tokens), f"a stale holder wrote after its successor: {tokens}"

    records = {r.stage: r for r in store.get_stages(run_id)}
    for event in events:
        if event.kind is EventKind.STAGE_SUCCEEDED:
            assert event.stage is not None
            assert records[event.stage].token == token_of[event.seq], event.stage
    return list(dict.fromkeys(tokens))


def owner_of(journal: Sequence[dict[str, Any]], token: int) -> str:
    """The owner of ``token`` of the (one) run the journal is about."""
    return next(e["owner"] for e in journal if e["op"] == "acquire" and e["token"] == token)
