"""The picture of a finished drill or failover: a PNG drawn with matplotlib (the Agg renderer,
no display) from the engine's neutral ``RunTimeline``. The words it carries (title, figures,
labels) live in ``words`` and are plain Python, so the Slack message that carries the picture
and the PNG's own metadata say what the picture says.

matplotlib is imported only when a picture is drawn (``png`` imports ``figure``), so the bot's
start and every command that draws nothing never pay for it.

Colours are the Okabe-Ito palette, which people with the common colour-vision deficiencies
tell apart; nothing is told by colour alone: failed attempts are hatched and labelled, waits for
people are hatched, a figure over its objective says so in words.
"""

from __future__ import annotations

from engine.drills.timeline import RunTimeline


def png(timeline: RunTimeline) -> bytes:
    """The picture of ``timeline`` as PNG bytes, with its title and figures as PNG text."""
    from handlers.pictures.figure import render

    return render(timeline)
