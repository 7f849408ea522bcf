"""Admins change accounts: role, name and organisation, deactivation and reactivation (`PATCH
/api/accounts/{id}`). A deactivated account's API keys, sessions and login stop at once; the last active admin
stays; every change is in the audit log."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from dtz_events.accounts.schemas import AccountCreate
from dtz_events.accounts.services import create_account, create_api_key, set_password
from dtz_events.accounts.tables import Account
from dtz_events.core.auth import Principal, Role
from dtz_events.core.errors import PROBLEM_JSON
from dtz_events.privacy.tables import AuditEntry
from tests.integration.pages.test_web_interface import log_in, post_form, token_of
from tests.support.fixtures import World
from tests.support.pages import PASSWORD

ROUTE = "/api/accounts/{account_id}"


def principal_of(world: World, actor: str) -> Principal:
    principal = world.actors[actor].principal
    assert principal is not None
    return principal


def problem(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM_JSON)
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    return body


def fields(body: dict[str, Any]) -> list[str]:
    return [e["field"] for e in body.get("errors", [])]


async def account_row(account_id: int) -> dict[str, Any]:
    row = await Account.select().where(Account.id == account_id).first()
    assert row is not None
    return row


async def test_an_admin_changes_role_name_and_organisation(client: httpx.AsyncClient, world: World) -> None:
    admin = world.actors["admin"].headers
    organiser = principal_of(world, "organiser")
    url = f"/api/accounts/{organiser.account_id}"
    org_c = world.organisations["c"]

    r = await client.patch(url, json={"name": "Sanne de Vries", "role": "board_secretary"}, headers=admin)
    assert r.status_code == 200, r.text
    assert (r.json()["name"], r.json()["role"], r.json()["active"]) == (
        "Sanne de Vries",
        "board_secretary",
        True,
    )
    row = await account_row(organiser.account_id)
    assert (row["name"], row["role"], row["organisation"]) == ("Sanne de Vries", "board_secretary", None)
    # The account's own API key now answers with its new role at once.
    r = await client.get("/api/auth/me", headers=world.actors["organiser"].headers)
    assert r.json()["role"] == "board_secretary"
    r = await client.post("/api/programmes", json={"slug": "x", "name_nl": "X", "name_en": "X"},
                          headers=world.actors["organiser"].headers)  # fmt: skip
    assert problem(r, 403)["detail"] == "your role may not do this"

    # A partner coordinator needs an organisation, as when the account is made.
    r = await client.patch(url, json={"role": "partner_coordinator"}, headers=admin)
    assert fields(problem(r, 422)) == ["organisation_id"]
    r = await client.patch(
        url, json={"role": "partner_coordinator", "organisation_id": 987_654}, headers=admin
    )
    assert problem(r, 422)["errors"] == [{"field": "organisation_id", "message": "no such organisation"}]
    r = await client.patch(url, json={"role": "partner_coordinator", "organisation_id": org_c}, headers=admin)
    assert r.status_code == 200, r.text
    assert (r.json()["role"], r.json()["organisation_id"]) == ("partner_coordinator", org_c)
    # Another role has none: the organisation must be taken away with it.
    r = await client.patch(url, json={"role": "organiser"}, headers=admin)
    assert fields(problem(r, 422)) == ["organisation_id"]
    r = await client.patch(url, json={"organisation_id": None}, headers=admin)
    assert fields(problem(r, 422)) == ["organisation_id"]
    assert (await account_row(organiser.account_id))["role"] == "partner_coordinator"  # nothing half done
    r = await client.patch(url, json={"role": "organiser", "organisation_id": None}, headers=admin)
    assert r.status_code == 200, r.text
    row = await account_row(organiser.account_id)
    assert (row["role"], row["organisation"]) == ("organiser", None)

    # Bad input names the field and changes nothing.
    for body, field in [
        ({"role": "superuser"}, "role"),
        ({"name": "  "}, "name"),
        ({"name": None}, "name"),
        ({"active": "no"}, "active"),
        ({"organisation_id": 0}, "organisation_id"),
        ({"email": "nieuw@dutchtechzone.nl"}, "email"),
    ]:
        r = await client.patch(url, json=body, headers=admin)
        assert fields(problem(r, 400)) == [field], (body, r.text)
    assert await account_row(organiser.account_id) == row

    # Unknown ids, and callers who are not admins.
    problem(await client.patch("/api/accounts/987654", json={"name": "X"}, headers=admin), 404)
    problem(await client.patch(f"/api/accounts/{2**40}", json={"name": "X"}, headers=admin), 404)
    r = await client.patch(url, json={"role": "admin"}, headers=world.actors["organiser"].headers)
    problem(r, 403)
    problem(await client.patch(url, json={"role": "admin"}), 401)
    assert (await account_row(organiser.account_id))["role"] == "organiser"


async def test_deactivation_stops_keys_sessions_and_login_at_once(
    client: httpx.AsyncClient, world: World
) -> None:
    admin = world.actors["admin"].headers
    partner = principal_of(world, "partner_a")
    key = world.actors["partner_a"].headers
    await set_password(partner.account_id, PASSWORD)
    assert (await client.get("/api/auth/me", headers=key)).status_code == 200  # the key is in the cache now
    r = await client.post("/api/auth/login", json={"email": partner.email, "password": PASSWORD})
    assert r.status_code == 200, r.text
    assert (await client.get("/api/auth/me")).json()["id"] == partner.account_id  # by the session cookie
    wrong = await client.post(
        "/api/auth/login", json={"email": partner.email, "password": "not the password"}
    )
    wrong_body = problem(wrong, 401)

    r = await client.patch(f"/api/accounts/{partner.account_id}", json={"active": False}, headers=admin)
    assert r.status_code == 200, r.text
    assert r.json()["active"] is False
    assert (await account_row(partner.account_id))["active"] is False

    assert problem(await client.get("/api/people", headers=key), 401)["detail"] == "log in or send an API key"
    r = await client.get("/api/auth/me")  # the session of before
    problem(r, 401)
    assert "dtz_session" in r.headers.get("set-cookie", "")  # the cookie forgets the account
    client.cookies.clear()
    refused = await client.post("/api/auth/login", json={"email": partner.email, "password": PASSWORD})
    assert problem(refused, 401) == wrong_body  # nothing tells that the account exists
    assert "dtz_session" not in refused.headers.get("set-cookie", "")
    for password in ("not the password", PASSWORD):  # the login page: the same answer for both
        page = await client.get("/login")
        token = page.text.split('name="_csrf_token" value="')[1].split('"')[0]
        form = {"email": partner.email, "password": password, "_csrf_token": token}
        r = await client.post("/login", data=form)
        assert r.status_code == 400, r.text
        assert "Onjuist e-mailadres of wachtwoord" in r.text or "Wrong email address or password" in r.text
        assert "dtz_session" not in r.headers.get("set-cookie", "")
    # A key made while inactive does not work either.
    spare = await create_api_key(partner, "spare")
    problem(await client.get("/api/auth/me", headers={"Authorization": f"Bearer {spare.key}"}), 401)

    # Reactivated: the keys and a fresh login work again, at once.
    r = await client.patch(f"/api/accounts/{partner.account_id}", json={"active": True}, headers=admin)
    assert r.status_code == 200, r.text
    assert (await client.get("/api/auth/me", headers=key)).status_code == 200
    assert (
        await client.get("/api/auth/me", headers={"Authorization": f"Bearer {spare.key}"})
    ).status_code == 200
    r = await client.post("/api/auth/login", json={"email": partner.email, "password": PASSWORD})
    assert r.status_code == 200, r.text


async def test_a_session_from_before_a_deactivation_stays_dead_after_reactivation(
    client: httpx.AsyncClient, world: World
) -> None:
    """A cookie copied before the deactivation (another browser, or a thief) that makes no request until
    the account is active again is still refused: deactivation ends every session, not only those seen."""
    admin = world.actors["admin"].headers
    partner = principal_of(world, "partner_a")
    await set_password(partner.account_id, PASSWORD)
    r = await client.post("/api/auth/login", json={"email": partner.email, "password": PASSWORD})
    assert r.status_code == 200, r.text
    old_cookies = dict(client.cookies)
    assert (await client.get("/api/auth/me")).json()["id"] == partner.account_id
    client.cookies.clear()

    for active in (False, True):
        r = await client.patch(
            ROUTE.format(account_id=partner.account_id), json={"active": active}, headers=admin
        )
        assert r.status_code == 200, r.text
    assert (await account_row(partner.account_id))["session_epoch"] == 1

    client.cookies.update(old_cookies)
    r = await client.get("/api/auth/me")
    problem(r, 401)
    assert "dtz_session" in r.headers.get("set-cookie", "")  # the cookie forgets the account
    client.cookies.clear()
    r = await client.post("/api/auth/login", json={"email": partner.email, "password": PASSWORD})
    assert r.status_code == 200, r.text
    assert (await client.get("/api/auth/me")).json()["id"] == partner.account_id  # a new login works

    # A role change is no deactivation: the session goes on, with the new role.
    r = await client.patch(
        ROUTE.format(account_id=partner.account_id),
        json={"role": "organiser", "organisation_id": None},
        headers=admin,
    )
    assert r.status_code == 200, r.text
    assert (await client.get("/api/auth/me")).json()["role"] == "organiser"


async def test_the_last_active_admin_stays(client: httpx.AsyncClient, world: World) -> None:
    admin = principal_of(world, "admin")
    headers = world.actors["admin"].headers
    url = f"/api/accounts/{admin.account_id}"
    body = problem(await client.patch(url, json={"active": False}, headers=headers), 409)
    assert "last active admin" in body["detail"]
    assert fields(body) == ["active"]
    body = problem(await client.patch(url, json={"role": "organiser"}, headers=headers), 409)
    assert fields(body) == ["role"]
    row = await account_row(admin.account_id)
    assert (row["role"], row["active"]) == ("admin", True)
    # Renaming oneself is fine; an inactive admin does not count as another admin.
    assert (await client.patch(url, json={"name": "Beheer DTZ"}, headers=headers)).status_code == 200
    dormant = await create_account(
        AccountCreate(email="slaper@dutchtechzone.nl", name="Slaper", role=Role.admin)
    )
    r = await client.patch(f"/api/accounts/{dormant.id}", json={"active": False}, headers=headers)
    assert r.status_code == 200, r.text
    problem(await client.patch(url, json={"active": False}, headers=headers), 409)

    # With a second active admin, the first may step down (and the second is then the last).
    r = await client.patch(f"/api/accounts/{dormant.id}", json={"active": True}, headers=headers)
    assert r.status_code == 200, r.text
    r = await client.patch(url, json={"role": "organiser"}, headers=headers)
    assert r.status_code == 200, r.text
    problem(await client.get("/api/accounts", headers=headers), 403)  # no longer an admin, at once
    second = await create_api_key(
        Principal(account_id=dormant.id, role=Role.admin, name="Slaper", email=dormant.email), "beheer"
    )
    second_headers = {"Authorization": f"Bearer {second.key}"}
    r = await client.patch(f"/api/accounts/{dormant.id}", json={"role": "organiser"}, headers=second_headers)
    assert fields(problem(r, 409)) == ["role"]


async def test_two_admins_demoting_each_other_at_once_leave_one(
    client: httpx.AsyncClient, world: World
) -> None:
    first = principal_of(world, "admin")
    other = await create_account(
        AccountCreate(email="tweede@dutchtechzone.nl", name="Tweede", role=Role.admin)
    )
    key = await create_api_key(
        Principal(account_id=other.id, role=Role.admin, name="Tweede", email=other.email), "beheer"
    )
    responses = await asyncio.gather(
        client.patch(
            f"/api/accounts/{other.id}", json={"active": False}, headers=world.actors["admin"].headers
        ),
        client.patch(
            f"/api/accounts/{first.account_id}",
            json={"role": "organiser"},
            headers={"Authorization": f"Bearer {key.key}"},
        ),
    )
    # One wins; the other is refused: 409 when both got past the door, or 401 when the loser's own
    # deactivation was done before its request was let in.
    statuses = sorted(r.status_code for r in responses)
    assert statuses in ([200, 409], [200, 401]), [r.text for r in responses]
    active_admins = await Account.count().where((Account.role == "admin") & (Account.active == True))  # noqa: E712
    assert active_admins == 1


async def test_every_change_is_in_the_audit_log(client: httpx.AsyncClient, world: World) -> None:
    admin = principal_of(world, "admin")
    partner = principal_of(world, "partner_b")
    url = f"/api/accounts/{partner.account_id}"
    assert (
        await client.patch(url, json={"active": False}, headers=world.actors["admin"].headers)
    ).status_code == 200
    problem(await client.patch(url, json={"active": True}, headers=world.actors["organiser"].headers), 403)
    entries = (
        await AuditEntry.select()
        .where(AuditEntry.route == ROUTE)
        .order_by(AuditEntry.id)
        .output(load_json=True)
    )
    assert [(e["account"], e["method"], e["target_ids"], e["status"], e["outcome"]) for e in entries] == [
        (admin.account_id, "PATCH", {"account_id": partner.account_id}, 200, "done"),
        (
            principal_of(world, "organiser").account_id,
            "PATCH",
            {"account_id": partner.account_id},
            403,
            "refused",
        ),
    ]
    # The admins read it through the API as well.
    r = await client.get("/api/audit-log", params={"route": ROUTE}, headers=world.actors["admin"].headers)
    assert r.status_code == 200, r.text
    assert [e["outcome"] for e in r.json()["items"]] == ["refused", "done"]


async def test_an_admin_changes_accounts_on_the_page(client: httpx.AsyncClient, world: World) -> None:
    admin = principal_of(world, "admin")
    organiser = principal_of(world, "organiser")
    partner = principal_of(world, "partner_a")
    await set_password(admin.account_id, PASSWORD)
    await log_in(client, admin.email)
    page = await client.get("/organiser/accounts")
    assert page.status_code == 200
    assert f'action="/organiser/accounts/{organiser.account_id}"' in page.text
    assert f'id="role-{partner.account_id}"' in page.text
    assert "Deactiveren" in page.text  # the admin's language: Dutch
    assert "Rol opslaan" in page.text

    # A new role: saved, and the list says so.
    form = {"action": "save", "role": "board_secretary", "organisation_id": ""}
    r = await post_form(client, "/organiser/accounts", f"/organiser/accounts/{organiser.account_id}", form)
    assert r.status_code == 303, r.text
    assert r.headers["location"] == "/organiser/accounts"
    assert (await account_row(organiser.account_id))["role"] == "board_secretary"

    # Deactivate the partner coordinator: their key stops, the row offers to reactivate.
    url = f"/organiser/accounts/{partner.account_id}"
    r = await post_form(client, "/organiser/accounts", url, {"action": "deactivate"})
    assert r.status_code == 303, r.text
    assert (await account_row(partner.account_id))["active"] is False
    problem(await client.get("/api/auth/me", headers=world.actors["partner_a"].headers), 401)
    page = await client.get("/organiser/accounts")
    assert "Weer activeren" in page.text
    r = await post_form(client, "/organiser/accounts", url, {"action": "reactivate"})
    assert r.status_code == 303, r.text
    assert (await account_row(partner.account_id))["active"] is True
    assert (await client.get("/api/auth/me", headers=world.actors["partner_a"].headers)).status_code == 200

    # Refusals are shown in the row, in Dutch, with what was chosen; nothing changes.
    coordinator = {"action": "save", "role": "organiser", "organisation_id": str(world.organisations["a"])}
    r = await post_form(client, "/organiser/accounts", url, coordinator)
    assert r.status_code == 400
    assert f'id="organisation_id-{partner.account_id}-error"' in r.text
    assert "alleen partnercoördinatoren horen bij een organisatie" in r.text
    assert f'href="#organisation_id-{partner.account_id}"' in r.text  # in the summary
    assert (await account_row(partner.account_id))["role"] == "partner_coordinator"
    r = await post_form(
        client, "/organiser/accounts", f"/organiser/accounts/{admin.account_id}", {"action": "deactivate"}
    )
    assert r.status_code == 400
    assert f'id="active-{admin.account_id}-error"' in r.text
    assert "dit is de laatste actieve beheerder" in r.text
    assert (await account_row(admin.account_id))["active"] is True
    r = await post_form(client, "/organiser/accounts", "/organiser/accounts/987654", {"action": "deactivate"})
    assert r.status_code == 404

    # The page's change is in the audit log too.
    entries = (
        await AuditEntry.select()
        .where(AuditEntry.route == "/organiser/accounts/{account_id}")
        .output(load_json=True)
    )
    assert [(e["account"], e["target_ids"], e["outcome"]) for e in entries] == [
        (admin.account_id, {"account_id": organiser.account_id}, "done"),
        (admin.account_id, {"account_id": partner.account_id}, "done"),
        (admin.account_id, {"account_id": partner.account_id}, "done"),
    ]

    # Anyone else does not find the page's form.
    await client.post("/logout", data={"_csrf_token": token_of(await client.get("/organiser/accounts"))})
    await set_password(partner.account_id, PASSWORD)
    await log_in(client, partner.email)
    r = await post_form(
        client, "/partner", f"/organiser/accounts/{organiser.account_id}", {"action": "deactivate"}
    )
    assert r.status_code == 404
    assert (await account_row(organiser.account_id))["active"] is True
