"""Hidden information: what each viewer may see of a participant's answer, in each phase.

After boardgame.io's ``playerView``: one pure rule, :func:`can_see`, decides for every item of
hidden information (a draft, an answer's text, its score, a speaker note) whether a viewer may
see it. The room asks it, and nothing else, when it builds

- a ``room_state`` snapshot for one viewer (``Room.snapshot``; the operator snapshot in Redis,
  with no viewer, is the public view),
- a broadcast event: everyone in the room gets it, spectators included, so an event may carry
  only what :func:`public` allows (``answer_stream``, ``answer_submitted`` vs ``answer_locked``,
  ``score_update``, a follow-up's question, an AI candidate's context),
- an ``evaluation_request`` answer (``Room.evaluation``), and
- the match record behind the stored report (``Room.match_record``).

The rule (``turn_mode`` is the room's):

=============  ==========================  =====================================================
item           owner                       anyone else (another player, the host, a spectator)
=============  ==========================  =====================================================
``draft``      always                      round robin: always (the answer is given live, in
                                           turn, before the panel); simultaneous: never
``answer``     always                      round robin: always; simultaneous: from the reveal
``score``      from the reveal             from the reveal
``note``       always                      never (private memos; stored, never in the report)
=============  ==========================  =====================================================

The host is a candidate too and sees exactly what another player sees. "From the reveal" means
the phase of the item's question is ``reveal`` or later (``finished``); for a question the match
left before its reveal, the caller passes the phase the question stopped in, so it stays sealed.
"""

from __future__ import annotations

from .phases import Phase

DRAFT, ANSWER, SCORE, NOTE = "draft", "answer", "score", "note"
ITEMS = (DRAFT, ANSWER, SCORE, NOTE)

OWNER, PLAYER, HOST, SPECTATOR = "owner", "player", "host", "spectator"
VIEWERS = (OWNER, PLAYER, HOST, SPECTATOR)
"""A viewer, relative to the item's owner: the owner themself, another seated player (an AI
candidate reading earlier answers counts as one), the host (when not the owner), or a spectator
(also anyone outside the room: the operator snapshot, a reader of the report)."""

REVEALED = frozenset({Phase.REVEAL, Phase.FINISHED})
SEALED_MODES = frozenset({"simultaneous"})      # turn modes whose answers stay hidden until the reveal


def can_see(item: str, viewer: str, phase: str, turn_mode: str) -> bool:
    """May ``viewer`` see ``item`` of someone's answer to a question in ``phase``?

    Args:
        item: one of :data:`ITEMS`.
        viewer: one of :data:`VIEWERS` (see :func:`viewer_of`).
        phase: the phase the item's question is in (a :class:`rooms.phases.Phase` value).
        turn_mode: ``"round_robin"`` or ``"simultaneous"``.

    Raises:
        ValueError: an unknown item or viewer.
    """
    if item not in ITEMS or viewer not in VIEWERS:
        raise ValueError(f"unknown item {item!r} or viewer {viewer!r}")
    revealed = phase in REVEALED
    if item == SCORE:
        return revealed
    if viewer == OWNER:
        return True
    if item == NOTE:
        return False
    return revealed or turn_mode not in SEALED_MODES


def public(item: str, phase: str, turn_mode: str) -> bool:
    """May a broadcast (to everyone in the room, spectators included) carry ``item``?"""
    return can_see(item, SPECTATOR, phase, turn_mode)


def viewer_of(viewer_id: str | None, owner_id: str, *, is_player: bool, host_id: str) -> str:
    """The relation of ``viewer_id`` to the owner of an item: :data:`OWNER`, :data:`HOST`,
    :data:`PLAYER` or :data:`SPECTATOR`.

    Args:
        viewer_id: the viewer's user id, or None for no one in particular (the public view).
        owner_id: the participant whose draft / answer / score / note it is.
        is_player: the viewer holds a seat (a human player, or an AI candidate).
        host_id: the room's host.
    """
    if viewer_id is not None and viewer_id == owner_id:
        return OWNER
    if viewer_id is not None and is_player:
        return HOST if viewer_id == host_id else PLAYER
    return SPECTATOR
