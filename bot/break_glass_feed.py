"""What was decided from the command line (break-glass), shown in Slack once it answers: the
run's proposal edited to where it stands (who approved, and that they did it from the command
line) and a note in its thread saying who did what, when and why.

A note is shown once. Where it was posted is kept in the Store (``MessageLocations``, under the
notes' own subject), so a note still unposted — Slack down, or the replica that posted it gone
before it recorded where — is shown again at the next sweep, by whichever replica leads then.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from engine.incidents.breakglass import SUBJECT
from engine.incidents.desk import IncidentDesk
from handlers import blocks
from handlers.context import ProposalBoard
from handlers.roles import PROPOSAL, break_glass

log = logging.getLogger("bot.break_glass")


class BreakGlassFeed:
    def __init__(
        self,
        desk: IncidentDesk,
        board: ProposalBoard,
        channel: str,
        *,
        leading: Callable[[], bool],
    ) -> None:
        self.desk = desk
        self.board = board
        self.channel = channel
        self._leading = leading

    def catch_up(self) -> int:
        """Show every note not shown yet (only on the leader); how many were handed to the
        board. The board posts them as Slack allows: while Slack is down they wait there."""
        if not self._leading():
            return 0
        shown = self.desk.messages.of(SUBJECT)
        handed = 0
        for taken in self.desk.break_glass.notes():
            role = break_glass(taken.seq)
            if role in shown:
                continue
            parent: tuple[str, str] | None = None
            proposal = self.desk.register.proposal(taken.note.run_id)
            if proposal is not None:
                self.board.publish(proposal)
                parent = (proposal.run_id, PROPOSAL)
            message = blocks.break_glass_message(taken)
            self.board.show(SUBJECT, role, message, channel=self.channel, parent=parent)
            handed += 1
        if handed:
            log.info("%d break-glass decision(s) handed to Slack", handed)
        return handed
