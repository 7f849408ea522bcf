"""Rows for matchmaking (issue 6). The organiser's routes: organisers only (the window, the schedule, the
agendas, moving and dropping meetings); the meetings list and participant links also for coordinators,
who see and act for their own organisation's people only (404 for others'). The participant's routes
and page are public: the link's token in the path is the credential, so every role gets the same answer
with a valid token (what a token may see is tested in tests/integration/matchmaking/test_visibility.py)."""

from __future__ import annotations

from typing import Any

from dtz_events.core.auth import Principal
from dtz_events.events.tables import Event
from dtz_events.matchmaking import services
from dtz_events.matchmaking.schemas import MatchmakingSettings, ProfileUpdate, RequestCreate
from dtz_events.matchmaking.tables import MatchmakingRun, MeetingRequest
from dtz_events.partners.tables import Organisation, Person
from dtz_events.registrations.tables import Registration
from tests.integration.authz_rows.pages import with_csrf
from tests.support.authz import Ctx, Factory, Row, codes, const, ids

ORGANISERS_ONLY = codes(401, 200, 200, 403, 403, 403)
PUBLIC = codes(200, 200, 200, 200, 200, 200)


def _admin(ctx: Ctx) -> Principal:
    principal = ctx.world.actors["admin"].principal
    assert principal is not None
    return principal


async def _settings(ctx: Ctx) -> MatchmakingSettings:
    event = await Event.select(Event.starts_at).where(Event.id == ctx.ids["network"]).first()
    assert event is not None
    return MatchmakingSettings(starts_at=event["starts_at"], slots=6, tables=5, max_meetings=40)


async def _token(ctx: Ctx, person_id: int) -> str:
    _, token = await services.participant_link(_admin(ctx), ctx.ids["network"], person_id)
    participant = await services.participant_for_token(token)
    await services.update_own_profile(participant, ProfileUpdate(offers="Procesautomatisering", visible=True))
    return token


async def _matchmaking(ctx: Ctx) -> str:
    """The network meeting's matchmaking window, and a1's link (a1 with a visible profile)."""
    if "mm_token_a1" not in ctx.cache:
        await services.set_settings(_admin(ctx), ctx.ids["network"], await _settings(ctx))
        ctx.cache["mm_token_a1"] = await _token(ctx, ctx.ids["a1"])
    return str(ctx.cache["mm_token_a1"])


async def _newcomer(ctx: Ctx) -> tuple[int, str]:
    """A confirmed participant of the network meeting with a visible profile, and their token: of an
    organisation of its own (other rows set quotas for a, b and c), registered directly (no seat count)."""
    if "mm_org" not in ctx.cache:
        rows = await Organisation.insert(
            Organisation(name="Hogeschool Windesheim", kind="knowledge_institution", helix="education")
        ).returning(Organisation.id)
        ctx.cache["mm_org"] = rows[0]["id"]
    n = ctx.next()
    rows = await Person.insert(
        Person(
            name=f"Deelnemer {n}", email=f"deelnemer{n}@windesheim.example", organisation=ctx.cache["mm_org"]
        )
    ).returning(Person.id)
    person_id = rows[0]["id"]
    await Registration.insert(
        Registration(
            event=ctx.ids["network"], person=person_id, organisation=ctx.cache["mm_org"], status="confirmed"
        )
    )
    return person_id, await _token(ctx, person_id)


POOL_SIZE = 12  # people: 66 pairs, enough for the rows that leave a request open or accepted


async def _pool(ctx: Ctx) -> list[tuple[int, str]]:
    """a1 and a few newcomers, each with a token (a fixed few, so the event stays within its capacity)."""
    if "mm_pool" not in ctx.cache:
        pool = [(ctx.ids["a1"], await _matchmaking(ctx))]
        while len(pool) < POOL_SIZE:
            pool.append(await _newcomer(ctx))
        ctx.cache["mm_pool"] = pool
    return list(ctx.cache["mm_pool"])


async def _free_pair(ctx: Ctx) -> tuple[tuple[int, str], tuple[int, str]]:
    """Two people of the pool without an open request between them (asker, asked)."""
    pool = await _pool(ctx)
    for n, asker in enumerate(pool):
        for asked in pool[n + 1 :]:
            pair = {asker[0], asked[0]}
            rows = await MeetingRequest.select(MeetingRequest.requester, MeetingRequest.recipient).where(
                (MeetingRequest.event == ctx.ids["network"])
                & MeetingRequest.status.is_in(["pending", "accepted"])
            )
            if not any({r["requester"], r["recipient"]} == pair for r in rows):
                return asker, asked
    raise AssertionError("the pool has no free pair left: make POOL_SIZE larger")


async def token_a1(ctx: Ctx, role: str) -> dict[str, Any]:
    return {"token": await _matchmaking(ctx)}


async def request_to_answer(ctx: Ctx, role: str) -> dict[str, Any]:
    """A fresh pending request; the token of the person asked answers it."""
    (_, asker_token), (asked, asked_token) = await _free_pair(ctx)
    asker = await services.participant_for_token(asker_token)
    request = await services.create_request(asker, RequestCreate(recipient_id=asked))
    return {"token": asked_token, "request_id": request.id}


async def request_to_withdraw(ctx: Ctx, role: str) -> dict[str, Any]:
    """A fresh pending request; the asker's token withdraws it."""
    (_, asker_token), (asked, _) = await _free_pair(ctx)
    asker = await services.participant_for_token(asker_token)
    request = await services.create_request(asker, RequestCreate(recipient_id=asked))
    return {"token": asker_token, "request_id": request.id}


async def asker_token(ctx: Ctx, role: str) -> dict[str, Any]:
    (_, token), (asked, _) = await _free_pair(ctx)
    ctx.cache["mm_recipient"] = asked
    return {"token": token}


async def recipient_body(ctx: Ctx, role: str) -> dict[str, Any]:
    return {"recipient_id": ctx.cache["mm_recipient"], "message": "Kennismaken?", "priority": 2}


async def profile_of_b1(ctx: Ctx, role: str) -> dict[str, Any]:
    token = await _matchmaking(ctx)
    if "mm_token_b1" not in ctx.cache:
        ctx.cache["mm_token_b1"] = await _token(ctx, ctx.ids["b1"])
    return {"token": token, "person_id": ctx.ids["b1"]}


async def fresh_meeting(ctx: Ctx, role: str) -> dict[str, Any]:
    """A fresh accepted meeting (unscheduled) between a newcomer and a1."""
    params = await request_to_answer(ctx, role)
    participant = await services.participant_for_token(params["token"])
    answered = await services.answer_request(participant, params["request_id"], True)
    assert answered.meeting_id is not None
    return {"meeting_id": answered.meeting_id}


async def network_with_matchmaking(ctx: Ctx, role: str) -> dict[str, Any]:
    await _matchmaking(ctx)
    return {"event_id": ctx.ids["network"]}


async def _settle_runs(event_id: int) -> None:
    """Any run the previous row queued is made here (no worker runs in this module), so that a new one can
    be asked for."""
    for run in await MatchmakingRun.select(MatchmakingRun.id).where(
        (MatchmakingRun.event == event_id) & MatchmakingRun.status.is_in(list(services.ACTIVE_RUNS))
    ):
        await services.perform_run(run["id"])


async def ready_to_schedule(ctx: Ctx, role: str) -> dict[str, Any]:
    params = await network_with_matchmaking(ctx, role)
    await _settle_runs(params["event_id"])
    return params


async def a_schedule_run(ctx: Ctx, role: str) -> dict[str, Any]:
    params = await ready_to_schedule(ctx, role)
    run = await services.request_schedule(_admin(ctx), params["event_id"])
    return {**params, "run_id": run.id}


async def settings_body(ctx: Ctx, role: str) -> dict[str, Any]:
    data = await _settings(ctx)
    return {"starts_at": data.starts_at.isoformat(), "slots": 6, "tables": 5, "max_meetings": 40}


async def link_for_a1(ctx: Ctx, role: str) -> dict[str, Any]:
    await _matchmaking(ctx)
    return {"event_id": ctx.ids["network"], "person_id": ctx.ids["a1"]}


async def recipient_form(ctx: Ctx, role: str) -> dict[str, Any]:
    return {"recipient_id": str(ctx.cache["mm_recipient"]), "priority": "2", "message": "Kennismaken?"}


def _page_form() -> Factory:
    return with_csrf(const({}))


M = "/api/events/{event_id:int}/matchmaking"
P = "/api/matchmaking/{token:str}"

ROWS: list[Row] = [
    Row("matchmaking window", "GET", M, ORGANISERS_ONLY, params=network_with_matchmaking),
    Row(
        "set the matchmaking window",
        "PUT",
        M,
        ORGANISERS_ONLY,
        params=ids(event_id="network"),
        body=settings_body,
    ),
    Row(
        "queue a schedule run",
        "POST",
        M + "/schedule",
        codes(401, 202, 202, 403, 403, 403),
        params=ready_to_schedule,
    ),
    Row("a schedule run's state", "GET", M + "/runs/{run_id:int}", ORGANISERS_ONLY, params=a_schedule_run),
    Row(
        "send everyone their agenda", "POST", M + "/agendas", ORGANISERS_ONLY, params=network_with_matchmaking
    ),
    Row(
        "list meetings (coordinators: their own people's)",
        "GET",
        M + "/meetings",
        codes(401, 200, 200, 403, 200, 200),
        params=network_with_matchmaking,
    ),
    Row(
        "a participant's link (coordinators: their own people only)",
        "POST",
        M + "/people/{person_id:int}/link",
        codes(401, 200, 200, 403, 200, 404),
        params=link_for_a1,
    ),
    Row(
        "lock or move a meeting",
        "PATCH",
        "/api/meetings/{meeting_id:int}",
        ORGANISERS_ONLY,
        params=fresh_meeting,
        body=const({"locked": False}),
    ),
    Row(
        "drop a meeting", "POST", "/api/meetings/{meeting_id:int}/drop", ORGANISERS_ONLY, params=fresh_meeting
    ),
    # ------------------------------------------------------------ the participant's link
    Row("own profile", "GET", P + "/profile", PUBLIC, params=token_a1),
    Row(
        "change own profile",
        "PUT",
        P + "/profile",
        PUBLIC,
        params=token_a1,
        body=const({"offers": "Procesautomatisering", "visible": True}),
    ),
    Row("others' profiles", "GET", P + "/profiles", PUBLIC, params=token_a1),
    Row("another's profile", "GET", P + "/profiles/{person_id:int}", PUBLIC, params=profile_of_b1),
    Row("suggestions", "GET", P + "/suggestions", PUBLIC, params=token_a1),
    Row("own requests", "GET", P + "/requests", PUBLIC, params=token_a1),
    Row(
        "send a request",
        "POST",
        P + "/requests",
        codes(201, 201, 201, 201, 201, 201),
        params=asker_token,
        body=recipient_body,
    ),
    Row(
        "accept a request", "POST", P + "/requests/{request_id:int}/accept", PUBLIC, params=request_to_answer
    ),
    Row(
        "decline a request",
        "POST",
        P + "/requests/{request_id:int}/decline",
        PUBLIC,
        params=request_to_answer,
    ),
    Row(
        "withdraw a request",
        "POST",
        P + "/requests/{request_id:int}/withdraw",
        PUBLIC,
        params=request_to_withdraw,
    ),
    Row("own meetings", "GET", P + "/meetings", PUBLIC, params=token_a1),
    # ------------------------------------------------------------ the personal page
    Row("personal agenda page", "GET", "/matchmaking/{token:str}", PUBLIC, params=token_a1, page=True),
    Row(
        "save the profile on the page",
        "POST",
        "/matchmaking/{token:str}/profile",
        codes(303, 303, 303, 303, 303, 303),
        params=token_a1,
        body=with_csrf(const({"offers": "Procesautomatisering", "visible": "on", "slot": ["0", "1"]})),
        form=True,
        page=True,
    ),
    Row(
        "ask for a meeting on the page",
        "POST",
        "/matchmaking/{token:str}/requests",
        codes(303, 303, 303, 303, 303, 303),
        params=asker_token,
        body=with_csrf(recipient_form),
        form=True,
        page=True,
    ),
    Row(
        "accept from the page",
        "POST",
        "/matchmaking/{token:str}/requests/{request_id:int}/accept",
        codes(303, 303, 303, 303, 303, 303),
        params=request_to_answer,
        body=_page_form(),
        form=True,
        page=True,
    ),
    Row(
        "decline from the page",
        "POST",
        "/matchmaking/{token:str}/requests/{request_id:int}/decline",
        codes(303, 303, 303, 303, 303, 303),
        params=request_to_answer,
        body=_page_form(),
        form=True,
        page=True,
    ),
]
