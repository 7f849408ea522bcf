"""The organiser and partner pages through the app: CSRF on every form, cookie flags, the event life cycle
with its confirmations, attendees and CSV, quotas, the partner's register/swap/cancel, the CSV import."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import replace

import httpx

from dtz_events.accounts.services import set_password
from dtz_events.app import create_app
from dtz_events.mail.tables import OutboxMessage
from dtz_events.partners.tables import Organisation, Person
from dtz_events.registrations.tables import Registration
from dtz_events.settings import Settings
from tests.support.fixtures import World
from tests.support.pages import PASSWORD, organiser_with_password

TOKEN = re.compile(r'name="_csrf_token" value="([^"]+)"')


def token_of(page: httpx.Response) -> str:
    found = TOKEN.search(page.text)
    assert found, page.text[:500]
    return found.group(1)


async def log_in(client: httpx.AsyncClient, email: str) -> None:
    page = await client.get("/login")
    r = await client.post(
        "/login",
        data={"email": email, "password": PASSWORD, "next": "/organiser", "_csrf_token": token_of(page)},
    )
    assert r.status_code == 303, r.text


async def post_form(
    client: httpx.AsyncClient, form_page: str, url: str, data: Mapping[str, object]
) -> httpx.Response:
    token = token_of(await client.get(form_page))
    return await client.post(url, data={**data, "_csrf_token": token})


async def partner_with_password(world: World, key: str = "partner_a") -> str:
    principal = world.actors[key].principal
    assert principal is not None
    await set_password(principal.account_id, PASSWORD)
    return principal.email


async def test_a_form_without_its_token_is_refused(client: httpx.AsyncClient, world: World) -> None:
    email = await organiser_with_password(world)
    r = await client.post("/login", data={"email": email, "password": PASSWORD, "next": "/organiser"})
    assert r.status_code == 403
    assert r.headers["content-type"].startswith("text/html")
    assert "verlopen" in r.text  # "Dit formulier is verlopen"
    page = await client.get("/login")
    r = await client.post("/login", data={"email": email, "password": PASSWORD, "_csrf_token": "x" * 128})
    assert r.status_code == 403
    r = await client.post(
        "/login", data={"email": email, "password": PASSWORD, "_csrf_token": token_of(page)}
    )
    assert r.status_code == 303
    # The JSON API with the session cookie needs the token in a header; with an API key it needs none.
    event = world.events["network"]
    body = {"person_id": world.people["a1"]}
    r = await client.post(f"/api/events/{event}/registrations", json=body)
    assert r.status_code == 403
    assert r.headers["content-type"].startswith("application/problem+json")
    r = await client.post(
        f"/api/events/{event}/registrations", json=body, headers={"X-CSRFToken": token_of(page)}
    )
    assert r.status_code == 201, r.text
    r = await client.post(
        f"/api/events/{event}/registrations",
        json={"person_id": world.people["a2"]},
        headers={**world.actors["organiser"].headers, "Cookie": ""},
    )
    assert r.status_code == 201, r.text
    # The JSON login needs no token as JSON (a cross-site page cannot send that type without a preflight);
    # as a "simple" text/plain body, which a cross-site form can send, it does.
    login = f'{{"email": "{email}", "password": "{PASSWORD}"}}'
    r = await client.post("/api/auth/login", content=login, headers={"Content-Type": "text/plain"})
    assert r.status_code == 403
    r = await client.post("/api/auth/login", content=login, headers={"Content-Type": "application/json"})
    assert r.status_code == 200, r.text
    # Logging out is a form too.
    r = await client.post("/logout")
    assert r.status_code == 403
    r = await post_form(client, "/organiser", "/logout", {})
    assert r.status_code == 303


async def test_cookies_are_httponly_samesite_and_secure_behind_https(
    settings: Settings, world: World
) -> None:
    email = await organiser_with_password(world)
    secure = replace(settings, base_url="https://events.dutchtechzone.example")
    transport = httpx.ASGITransport(app=create_app(secure))
    async with httpx.AsyncClient(
        transport=transport, base_url="https://events.dutchtechzone.example"
    ) as client:
        page = await client.get("/login")
        csrf_cookie = page.headers["set-cookie"].lower()
        assert "dtz_csrf=" in csrf_cookie
        assert "httponly" in csrf_cookie
        assert "samesite=lax" in csrf_cookie
        assert "secure" in csrf_cookie
        r = await client.post(
            "/login", data={"email": email, "password": PASSWORD, "_csrf_token": token_of(page)}
        )
        assert r.status_code == 303
        session = next(c for c in r.headers.get_list("set-cookie") if c.startswith("dtz_session="))
        lowered = session.lower()
        assert "httponly" in lowered
        assert "samesite=lax" in lowered
        assert "secure" in lowered
    # Plain http (development): not Secure, or the browser would drop it.
    transport = httpx.ASGITransport(app=create_app(settings))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver.local") as client:
        page = await client.get("/login")
        assert "secure" not in page.headers["set-cookie"].lower()


async def test_organiser_creates_publishes_changes_and_cancels(
    client: httpx.AsyncClient, world: World
) -> None:
    await log_in(client, await organiser_with_password(world))
    dashboard = await client.get("/organiser")
    assert dashboard.status_code == 200
    assert "Netwerkbijeenkomst Smart Industry" in dashboard.text
    form = {
        "kind": "network_meeting",
        "title": "Netwerkbijeenkomst Waterstof",
        "description": "Over waterstof in Emmen.",
        "starts_at": "2031-03-12T15:00",
        "ends_at": "2031-03-12T18:00",
        "venue": "Emmtec",
        "address": "Bargermeerweg 12",
        "municipality": "Emmen",
        "capacity": "2",
        "visibility": "partners",
        "programme": "smart-industry-hub",
    }
    bad = await post_form(
        client, "/organiser/events/new", "/organiser/events/new", {**form, "ends_at": "2031-03-12T14:00"}
    )
    assert bad.status_code == 400
    assert 'id="error-summary"' in bad.text
    r = await post_form(client, "/organiser/events/new", "/organiser/events/new", form)
    assert r.status_code == 303, r.text
    event_path = r.headers["location"]
    event_id = int(event_path.rsplit("/", 1)[1])
    preview = await client.get(f"{event_path}/preview?language=en")
    assert "Invitation: Netwerkbijeenkomst Waterstof" in preview.text
    assert "srcdoc=" in preview.text
    # Invite a whole organisation (two people, capacity two) and one more: the third waits.
    r = await post_form(
        client, f"{event_path}/invite", f"{event_path}/invite", {"organisation": world.organisations["a"]}
    )
    assert r.status_code == 200, r.text
    assert "Bevestigd: 2" in r.text
    r = await post_form(
        client, f"{event_path}/invite?q=Cor", f"{event_path}/invite", {"person_ids": world.people["b1"]}
    )
    assert "Op de wachtlijst: 1" in r.text
    confirm = await client.get(f"{event_path}/publish")
    assert "3 mensen krijgen een e-mail" in confirm.text
    assert "Bevestigd: 2" in confirm.text
    assert "Op de wachtlijst: 1" in confirm.text
    r = await post_form(client, f"{event_path}/publish", f"{event_path}/publish", {"confirm": "yes"})
    assert r.status_code == 303
    assert r.headers["location"] == f"{event_path}/progress"
    assert await OutboxMessage.count().where(OutboxMessage.event == event_id) == 3
    progress = await client.get(f"{event_path}/progress")
    assert 'id="progress"' in progress.text
    # A material change asks first, naming who is told; then it is sent.
    changed = {**form, "starts_at": "2031-03-12T16:00"}
    r = await post_form(client, f"{event_path}/edit", f"{event_path}/edit", changed)
    assert r.status_code == 200
    assert "3 mensen krijgen een e-mail" in r.text  # the waiting list too
    r = await post_form(client, f"{event_path}/edit", f"{event_path}/edit", {**changed, "confirm": "yes"})
    assert r.status_code == 303
    assert (
        await OutboxMessage.count().where(
            (OutboxMessage.event == event_id) & (OutboxMessage.kind == "event_changed")
        )
        == 3
    )
    # Attendees, filtered, and as CSV.
    page = await client.get(f"{event_path}/attendees?status=waitlisted")
    assert "Cor Bakker" in page.text
    assert "Anouk Jansen" not in page.text
    csv_file = await client.get(f"{event_path}/attendees.csv")
    assert csv_file.headers["content-type"].startswith("text/csv")
    assert csv_file.text.count("\n") == 4
    assert "anouk.jansen@emmtec.example" in csv_file.text
    # Quotas.
    r = await post_form(
        client,
        f"{event_path}/quotas",
        f"{event_path}/quotas",
        {"organisation": world.organisations["c"], "seats": "5"},
    )
    assert r.status_code == 400  # more than the capacity
    r = await post_form(
        client,
        f"{event_path}/quotas",
        f"{event_path}/quotas",
        {"organisation": world.organisations["a"], "seats": "2"},
    )
    assert r.status_code == 303
    assert "Emmtec" in (await client.get(f"{event_path}/quotas")).text
    # Cancel, after being told who hears of it.
    confirm = await client.get(f"{event_path}/cancel")
    assert "3 mensen krijgen een e-mail" in confirm.text
    r = await post_form(client, f"{event_path}/cancel", f"{event_path}/cancel", {"confirm": "yes"})
    assert r.status_code == 303
    assert (
        await OutboxMessage.count().where(
            (OutboxMessage.event == event_id) & (OutboxMessage.kind == "event_cancelled")
        )
        == 3
    )


async def test_partner_registers_swaps_and_cancels_own_people(
    client: httpx.AsyncClient, world: World
) -> None:
    await log_in(client, await partner_with_password(world))
    r = await client.get("/organiser")
    assert r.status_code == 404
    r = await client.get("/organiser/events/new")
    assert r.status_code == 404
    home = await client.get("/partner")
    assert "Netwerkbijeenkomst Smart Industry" in home.text
    event = world.events["network"]
    path = f"/partner/events/{event}"
    page = await client.get(path)
    assert "Anouk Jansen" in page.text
    assert "Cor Bakker" not in page.text
    r = await post_form(client, path, f"{path}/register", {"person_ids": world.people["a1"]})
    assert r.status_code == 303
    [registration] = await Registration.select().where(Registration.event == event)
    # A person of another organisation cannot be swapped in.
    r = await post_form(
        client, path, f"/partner/registrations/{registration['id']}/swap", {"person_id": world.people["b1"]}
    )
    assert r.status_code == 409
    r = await post_form(
        client, path, f"/partner/registrations/{registration['id']}/swap", {"person_id": world.people["a2"]}
    )
    assert r.status_code == 303
    rows = {r["person"]: r["status"] for r in await Registration.select().where(Registration.event == event)}
    assert rows == {world.people["a1"]: "cancelled", world.people["a2"]: "confirmed"}
    [active] = await Registration.select().where(
        (Registration.event == event) & (Registration.status == "confirmed")
    )
    page = await client.get(path)
    assert "Bram de Vries" in page.text
    assert "Bevestigd" in page.text
    r = await post_form(client, path, f"/partner/registrations/{active['id']}/cancel", {})
    assert r.status_code == 303
    # Partner b cannot touch a's registrations: not found.
    client.cookies.clear()
    await log_in(client, await partner_with_password(world, "partner_b"))
    r = await post_form(client, "/partner", f"/partner/registrations/{active['id']}/cancel", {})
    assert r.status_code == 404


async def test_csv_import_reports_bad_rows_and_writes_all_or_nothing(
    client: httpx.AsyncClient, world: World
) -> None:
    await log_in(client, await organiser_with_password(world))
    people = (
        "name;email;organisation;language\n"
        "Eva Mulder;eva@nhlstenden.example;Drenthe College;nl\n"
        "Frank;not-an-email;Drenthe College;nl\n"
        "Gerda Post;gerda@post.example;Onbekend BV;nl\n"
        "Hans Dijk;eva@nhlstenden.example;04012345;en\n"
    )
    token = token_of(await client.get("/organiser/import"))
    files = {"file": ("people.csv", people.encode(), "text/csv")}
    r = await client.post(
        "/organiser/import", data={"kind": "people", "mode": "import", "_csrf_token": token}, files=files
    )
    assert r.status_code == 400
    assert await Person.count() == 4  # nothing written
    for row, field in (("3", "email"), ("4", "organisation"), ("5", "email")):
        assert re.search(rf"<tr><td>{row}</td><td>{field}</td>", r.text), (row, field)
    good = (
        "name,kind,municipality,kvk_number\n"
        "NHL Stenden Emmen,knowledge_institution,Emmen,\n"
        "GZI Next,company,Emmen,12345678\n"
    )
    # The API: a dry run, then the real run.
    api = world.actors["organiser"].headers
    r = await client.post("/api/imports/organisations", content=good, headers={**api, "Cookie": ""})
    assert r.status_code == 200, r.text
    assert r.json()["valid"] == 2
    assert r.json()["created"] == 0
    r = await client.post(
        "/api/imports/organisations?dry_run=false", content=good, headers={**api, "Cookie": ""}
    )
    assert r.json()["created"] == 2
    assert await Organisation.exists().where(Organisation.kvk_number == "12345678")
    r = await client.post(
        "/api/imports/organisations", content=good, headers=world.actors["partner_a"].headers
    )
    assert r.status_code == 403


async def test_pages_answer_in_the_language_chosen_with_the_switch(
    client: httpx.AsyncClient, world: World
) -> None:
    await log_in(client, await organiser_with_password(world))
    assert '<html lang="nl">' in (await client.get("/organiser/events")).text  # the account's language
    r = await post_form(client, "/organiser/events", "/language", {"lang": "en", "next": "/organiser/events"})
    assert r.headers["location"] == "/organiser/events"
    for path in ("/organiser/events", "/organiser/organisations", "/organiser/people", "/organiser/import"):
        page = await client.get(path)
        assert page.status_code == 200, path
        assert '<html lang="en">' in page.text, path
        assert "Log out" in page.text, path
    r = await post_form(client, "/organiser", "/language", {"lang": "nl", "next": "//evil.example"})
    assert r.headers["location"] == "/organiser"  # only a path on this site
    assert "Uitloggen" in (await client.get("/organiser")).text


async def test_the_login_page_is_rate_limited(client: httpx.AsyncClient, world: World) -> None:
    """Wrong passwords on the page: after the limit (10 by default), even the right one waits."""
    email = await organiser_with_password(world)
    token = token_of(await client.get("/login"))
    codes = []
    for _ in range(11):
        r = await client.post("/login", data={"email": email, "password": "raden", "_csrf_token": token})
        codes.append(r.status_code)
    assert codes[:10] == [400] * 10
    assert codes[10] == 429
    r = await client.post("/login", data={"email": email, "password": PASSWORD, "_csrf_token": token})
    assert r.status_code == 429
    assert int(r.headers["retry-after"]) > 0
