"""The programme and theme pages (add, rename; the slug checked as the API checks it) and the admins' accounts
page (add an organiser, a partner coordinator with their organisation), posted as a browser posts them."""

from __future__ import annotations

import httpx

from dtz_events.accounts.services import login, set_password
from dtz_events.accounts.tables import Account
from dtz_events.partners.tables import Programme, Theme
from tests.integration.pages.test_web_interface import log_in, partner_with_password, post_form
from tests.support.fixtures import World
from tests.support.pages import PASSWORD, organiser_with_password


async def admin_with_password(world: World) -> str:
    principal = world.actors["admin"].principal
    assert principal is not None
    await set_password(principal.account_id, PASSWORD)
    return principal.email


async def test_an_organiser_adds_and_renames_programmes_and_themes(
    client: httpx.AsyncClient, world: World
) -> None:
    await log_in(client, await organiser_with_password(world))
    page = await client.get("/organiser/programmes")
    assert page.status_code == 200
    assert "smart-industry-hub" in page.text
    assert 'href="/organiser/themes"' in page.text  # in the navigation
    assert 'href="/organiser/accounts"' not in page.text  # admins only

    form = {"slug": "drenthe-digitaal", "name_nl": "Drenthe Digitaal", "name_en": "Digital Drenthe"}
    r = await post_form(client, "/organiser/programmes", "/organiser/programmes", form)
    assert r.status_code == 303
    assert r.headers["location"] == "/organiser/programmes"
    row = await Programme.select().where(Programme.slug == "drenthe-digitaal").first()
    assert row is not None
    assert row["name_en"] == "Digital Drenthe"

    # The same slug again, a slug the API refuses, and an empty name: each error next to its field.
    r = await post_form(client, "/organiser/programmes", "/organiser/programmes", form)
    assert r.status_code == 400
    assert 'id="slug-error"' in r.text
    bad = {"slug": "Drenthe Digitaal!", "name_nl": "", "name_en": "X"}
    r = await post_form(client, "/organiser/programmes", "/organiser/programmes", bad)
    assert r.status_code == 400
    assert 'id="slug-error"' in r.text
    assert 'value="Drenthe Digitaal!"' in r.text  # what was typed stays
    assert "Gebruik alleen kleine letters, cijfers en losse streepjes" in r.text
    assert await Programme.count().where(Programme.slug == "Drenthe Digitaal!") == 0

    edit = await client.get("/organiser/programmes/drenthe-digitaal")
    assert edit.status_code == 200
    assert 'value="Drenthe Digitaal"' in edit.text
    rename = {"name_nl": "Drenthe Digitaal 2030", "name_en": "Digital Drenthe 2030", "slug": "other"}
    r = await post_form(
        client, "/organiser/programmes/drenthe-digitaal", "/organiser/programmes/drenthe-digitaal", rename
    )
    assert r.status_code == 303
    row = await Programme.select().where(Programme.slug == "drenthe-digitaal").first()
    assert row is not None
    assert row["name_nl"] == "Drenthe Digitaal 2030"
    r = await post_form(
        client,
        "/organiser/programmes/drenthe-digitaal",
        "/organiser/programmes/drenthe-digitaal",
        {"name_nl": " ", "name_en": "Digital Drenthe"},
    )
    assert r.status_code == 400
    assert 'id="name_nl-error"' in r.text
    assert (await client.get("/organiser/programmes/no-such-thing")).status_code == 404

    theme = {"slug": "digitalisering", "name_nl": "Digitalisering", "name_en": "Digitalisation"}
    r = await post_form(client, "/organiser/themes", "/organiser/themes", theme)
    assert r.status_code == 303
    r = await post_form(
        client,
        "/organiser/themes/energietransitie",
        "/organiser/themes/energietransitie",
        {"name_nl": "Energietransitie", "name_en": "The energy transition"},
    )
    assert r.status_code == 303
    names = {r["slug"]: r["name_en"] for r in await Theme.select()}
    assert names == {"digitalisering": "Digitalisation", "energietransitie": "The energy transition"}
    # The API sees the same tags.
    listed = (await client.get("/api/themes", headers=world.actors["organiser"].headers)).json()
    assert {t["slug"] for t in listed} == {"digitalisering", "energietransitie"}


async def test_an_admin_adds_accounts_and_others_do_not_see_the_page(
    client: httpx.AsyncClient, world: World
) -> None:
    await log_in(client, await admin_with_password(world))
    page = await client.get("/organiser/accounts")
    assert page.status_code == 200
    assert "beheer@dutchtechzone.nl" in page.text
    assert 'href="/organiser/accounts"' in page.text

    organiser = {
        "name": "Sanne de Vries",
        "email": "S.deVries@dutchtechzone.example",
        "role": "organiser",
        "organisation_id": "",
        "language": "en",
        "password": "een lang genoeg wachtwoord",
    }
    r = await post_form(client, "/organiser/accounts", "/organiser/accounts", organiser)
    assert r.status_code == 303, r.text
    principal = await login("s.devries@dutchtechzone.example", "een lang genoeg wachtwoord")
    assert principal.role.value == "organiser"
    assert principal.language == "en"

    # A partner coordinator needs an organisation; a short password and a taken address are refused.
    coordinator = {
        "name": "Henk Bakker",
        "email": "h.bakker@drenthecollege.example",
        "role": "partner_coordinator",
        "organisation_id": "",
        "language": "nl",
        "password": "",
    }
    r = await post_form(client, "/organiser/accounts", "/organiser/accounts", coordinator)
    assert r.status_code == 400
    assert 'id="organisation_id-error"' in r.text
    r = await post_form(
        client, "/organiser/accounts", "/organiser/accounts", {**coordinator, "password": "kort"}
    )
    assert r.status_code == 400
    assert 'id="password-error"' in r.text
    assert "kort" not in r.text.split('id="password"')[1][:200]  # the password is not sent back
    r = await post_form(
        client,
        "/organiser/accounts",
        "/organiser/accounts",
        {**organiser, "email": "s.devries@dutchtechzone.example"},
    )
    assert r.status_code == 400
    assert 'id="email-error"' in r.text
    org_c = world.organisations["c"]
    r = await post_form(
        client, "/organiser/accounts", "/organiser/accounts", {**coordinator, "organisation_id": str(org_c)}
    )
    assert r.status_code == 303, r.text
    row = await Account.select().where(Account.email == "h.bakker@drenthecollege.example").first()
    assert row is not None
    assert row["organisation"] == org_c
    assert row["password_hash"] is None
    page = await client.get("/organiser/accounts")
    assert "Henk Bakker" in page.text
    assert "Partnercoördinator" in page.text

    # An organiser and a partner coordinator get "not found"; the anonymous go to the login page.
    other = httpx.AsyncClient(transport=client._transport, base_url=str(client.base_url))
    async with other:
        assert (await other.get("/organiser/accounts")).status_code == 303
        await log_in(other, await organiser_with_password(world))
        assert (await other.get("/organiser/accounts")).status_code == 404
        r = await post_form(other, "/organiser", "/organiser/accounts", {**organiser, "email": "x@y.example"})
        assert r.status_code == 404
    partner = httpx.AsyncClient(transport=client._transport, base_url=str(client.base_url))
    async with partner:
        await log_in(partner, await partner_with_password(world))
        assert (await partner.get("/organiser/accounts")).status_code == 404
        assert (await partner.get("/organiser/programmes")).status_code == 404
    assert await Account.count().where(Account.email == "x@y.example") == 0


async def test_form_fields_carry_their_input_hints_as_attributes(
    client: httpx.AsyncClient, world: World
) -> None:
    """A phone shows the number pad for the KvK number: the hint reaches the browser as an attribute, not as
    escaped text inside the tag."""
    await log_in(client, await organiser_with_password(world))
    page = await client.get(f"/organiser/organisations/{world.organisations['a']}")
    assert page.status_code == 200
    assert 'inputmode="numeric"' in page.text
    assert "&#34;numeric&#34;" not in page.text
