"""Participant links: random tokens, stored as digests, each for one purpose, revocable."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from dtz_events.core.clock import utcnow
from dtz_events.core.security import new_token, token_digest
from dtz_events.registrations.tables import LinkToken


class LinkPurpose(StrEnum):
    rsvp = "rsvp"
    person_feed = "person_feed"
    partner_feed = "partner_feed"
    survey = "survey"
    matchmaking = "matchmaking"  # a network meeting participant's profile, requests and agenda
    board = "board"  # a board member's or deputy's way to the members-only board pages


async def create_link(
    purpose: LinkPurpose,
    *,
    person_id: int | None = None,
    organisation_id: int | None = None,
    registration_id: int | None = None,
) -> str:
    token = new_token(purpose.value.replace("_", ""))
    await LinkToken.insert(
        LinkToken(
            purpose=purpose.value,
            digest=token_digest(token),
            person=person_id,
            organisation=organisation_id,
            registration=registration_id,
        )
    )
    return token


async def create_links(purpose: LinkPurpose, owners: list[tuple[int | None, int | None]]) -> list[str]:
    """One link per (registration_id, person_id), written with one INSERT; the tokens in the same order."""
    if not owners:
        return []
    prefix = purpose.value.replace("_", "")
    tokens = [new_token(prefix) for _ in owners]
    now = utcnow()
    values, params = [], []
    for token, (registration_id, person_id) in zip(tokens, owners, strict=True):
        values.append("({}, {}, {}, {}, {})")
        params += [purpose.value, token_digest(token), person_id, registration_id, now]
    for start in range(0, len(values), 5000):  # at most 32767 parameters a statement
        await LinkToken.raw(
            "INSERT INTO link_token (purpose, digest, person, registration, created_at) VALUES "
            + ", ".join(values[start : start + 5000]),
            *params[start * 5 : (start + 5000) * 5],
        )
    return tokens


async def resolve_link(purpose: LinkPurpose, token: str) -> dict[str, Any] | None:
    """The link's row, or None for an unknown, revoked or other-purpose token."""
    if len(token) > 200:
        return None
    return (
        await LinkToken.select()
        .where(
            (LinkToken.digest == token_digest(token))
            & (LinkToken.purpose == purpose.value)
            & LinkToken.revoked_at.is_null()
        )
        .first()
    )


async def revoke_links(
    purpose: LinkPurpose, *, person_id: int | None = None, organisation_id: int | None = None
) -> int:
    where = [LinkToken.purpose == purpose.value, LinkToken.revoked_at.is_null()]
    if person_id is not None:
        where.append(LinkToken.person == person_id)
    if organisation_id is not None:
        where.append(LinkToken.organisation == organisation_id)
    rows = await LinkToken.update({LinkToken.revoked_at: utcnow()}).where(*where).returning(LinkToken.id)
    return len(rows)
