"""Tokens and keys are stored as digests only: the database holds no API key, link token or password."""

from __future__ import annotations

import hashlib

import pytest

from dtz_events.accounts.tables import ApiKey
from dtz_events.registrations.links import LinkPurpose, create_link
from dtz_events.registrations.tables import LinkToken
from dtz_events.tables import all_tables

pytestmark = pytest.mark.sqlite


async def _everything_stored() -> str:
    """Every row of every table, as text."""
    dump = []
    for table in all_tables():
        dump.append(repr(await table.select()))
    return "\n".join(dump)


async def test_api_keys_links_and_passwords_are_not_stored(client, world):
    h = world.actors["admin"].headers
    r = await client.post("/api/api-keys", json={"name": "integratie"}, headers=h)
    assert r.status_code == 201, r.text
    key = r.json()["key"]
    r = await client.post(
        "/api/accounts",
        json={
            "email": "nieuw@dutchtechzone.nl",
            "name": "Nieuw",
            "role": "organiser",
            "password": "een lang wachtwoord",
        },
        headers=h,
    )
    assert r.status_code == 201, r.text
    link = await create_link(LinkPurpose.person_feed, person_id=world.people["a1"])
    stored = await _everything_stored()
    for secret in (
        key,
        link,
        "een lang wachtwoord",
        *(a.headers.get("Authorization", "")[7:] for a in world.actors.values() if a.headers),
    ):
        assert secret not in stored
    row = await ApiKey.select().where(ApiKey.digest == hashlib.sha256(key.encode()).hexdigest()).first()
    assert row is not None
    assert key.startswith(row["prefix"])
    assert await LinkToken.exists().where(LinkToken.digest == hashlib.sha256(link.encode()).hexdigest())
    # The key works, so what is stored is enough to check it.
    assert (await client.get("/api/auth/me", headers={"Authorization": f"Bearer {key}"})).status_code == 200
