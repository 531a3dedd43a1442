"""Who may see a finished match's report: the one policy every report route asks.

A report (and everything derived from it: the replay, the exports, the recordings) is visible to

- its participants (the humans seated in the match, by ``user_id``);
- the coach of a cohort a participant shares with: an injected check
  ``coach_sees(viewer_id, owner_id) -> bool`` (the accounts/cohorts code provides it; None: no coaches);
- anyone holding a share link a participant made, until the participant revokes it.

Everyone else, including a request without a token, gets the same answer as for a room that never
existed (404), so a room id tells nothing. Speaker notes are the owner's alone: :attr:`Access.notes_of`
is the viewer's own id only when the viewer is a participant.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Awaitable, Callable

#: ``(viewer_id, owner_id) -> True`` when ``viewer_id`` coaches a cohort that ``owner_id`` shares with.
CoachSees = Callable[[str, str], Awaitable[bool]]

PARTICIPANT, COACH, SHARE = "participant", "coach", "share"


@dataclass(frozen=True)
class Access:
    """A granted view of one match.

    Attributes:
        match_id / room_id: the match.
        viewer_id: the token's ``user_id``, or None (a share-link holder without a token).
        via: ``"participant"`` | ``"coach"`` | ``"share"``: why the viewer may see it.
        subject_id: whose match this view is about by default (the viewer as a participant, the
            coached candidate, the share link's owner); the replay shows their answers.
        humans: the human participants' ids.
    """

    match_id: int
    room_id: str
    viewer_id: str | None
    via: str
    subject_id: str
    humans: tuple[str, ...]

    @property
    def notes_of(self) -> str | None:
        """The participant whose speaker notes this viewer may read: themselves, as a participant."""
        return self.viewer_id if self.via == PARTICIPANT else None


async def report_access(store, room_id: str, viewer_id: str | None, share_token: str | None,
                        coach_sees: CoachSees | None = None) -> Access | None:
    """The viewer's access to the match played in ``room_id``, or None (answer 404).

    Args:
        store: a :class:`server.store.history.HistoryStore`.
        viewer_id: the verified token's ``user_id``, or None.
        share_token: a share link's token (``?share=``), or None.
        coach_sees: see :data:`CoachSees`.

    Precedence: participant, then coach, then share link (a participant who opens a link to their
    own match still sees their notes).
    """
    m = await store.match_humans(room_id)
    if m is None:
        return None
    match_id, humans = m
    if viewer_id and viewer_id in humans:
        return Access(match_id, room_id, viewer_id, PARTICIPANT, viewer_id, humans)
    if viewer_id and coach_sees is not None:
        for owner in humans:
            if await coach_sees(viewer_id, owner):
                return Access(match_id, room_id, viewer_id, COACH, owner, humans)
    if share_token:
        owner = await store.share_owner(match_id, share_token)
        if owner is not None:
            return Access(match_id, room_id, viewer_id, SHARE, owner, humans)
    return None
