"""Authorization rows of the board. Every account passes the door of the board API, and then only staff
(the secretary, organisers, admins) and board members get anything: the partner coordinators of the
table are not on the board, so they get 404 everywhere, as for a session that does not exist. The
members' pages open by the board link in the URL, whoever carries it; the secretary's pages need a
staff login (anyone else: 404)."""

from __future__ import annotations

from datetime import date
from typing import Any

from dtz_events.board import services
from dtz_events.board.schemas import (
    ActionIn,
    AgendaIn,
    AgendaItemIn,
    ItemKind,
    MembershipCreate,
    PollIn,
    PollOptionIn,
)
from dtz_events.core.auth import Principal
from dtz_events.registrations.links import LinkPurpose, create_link
from tests.integration.authz_rows.pages import with_csrf
from tests.support.authz import Ctx, Row, codes, const, new_event, new_person
from tests.support.fixtures import at

STAFF_ONLY = codes(401, 200, 200, 200, 404, 404)
STAFF_CREATE = codes(401, 201, 201, 201, 404, 404)
PAGE_STAFF_ONLY = codes(404, 200, 200, 200, 404, 404)
BY_LINK = codes(200, 200, 200, 200, 200, 200)


def _admin(ctx: Ctx) -> Principal:
    principal = ctx.world.actors["admin"].principal
    assert principal is not None
    return principal


def _when(days: int, hour: int) -> Any:
    from datetime import datetime

    return datetime.fromisoformat(at(days, hour))


async def _seat(ctx: Ctx) -> tuple[int, int]:
    """A seat of the board (membership id, member's person id), its member invited to the board session."""
    if "board_seat" not in ctx.cache:
        member = await new_person(ctx, "c")
        deputy = await new_person(ctx, "c")
        membership = await services.create_membership(
            _admin(ctx),
            MembershipCreate(
                seat="Gemeente Coevorden",
                member_id=member,
                deputy_id=deputy,
                organisation_id=ctx.world.organisations["c"],
            ),
        )
        await services.send_invitations(_admin(ctx), ctx.ids["board"])
        ctx.cache["board_seat"] = (membership.id, member)
    return ctx.cache["board_seat"]


async def _past_session(ctx: Ctx) -> tuple[int, int]:
    """A board session that has taken place (event id, agenda item id)."""
    if "board_past" not in ctx.cache:
        await _seat(ctx)
        event_id = await new_event(ctx, "board_session", publish=True, started=True)
        out = await services.set_agenda(
            _admin(ctx), event_id, AgendaIn(items=[AgendaItemIn(title="Opening", kind=ItemKind.information)])
        )
        ctx.cache["board_past"] = (event_id, out.agenda[0].id)
    return ctx.cache["board_past"]


async def _poll_session(ctx: Ctx) -> tuple[int, int]:
    """A draft board session with an open date poll (event id, first option id)."""
    await _seat(ctx)
    event_id = await new_event(ctx, "board_session", publish=False)
    out = await services.open_poll(
        _admin(ctx),
        event_id,
        PollIn(options=[PollOptionIn(starts_at=_when(80, 14), ends_at=_when(80, 16))]),
    )
    return event_id, out.poll[0].id


async def board_event(ctx: Ctx, role: str) -> dict[str, int]:
    await _seat(ctx)
    return {"event_id": ctx.ids["board"]}


async def membership(ctx: Ctx, role: str) -> dict[str, int]:
    return {"membership_id": (await _seat(ctx))[0]}


async def new_membership_body(ctx: Ctx, role: str) -> dict[str, Any]:
    return {"seat": f"Onderwijs {ctx.next()}", "member_id": await new_person(ctx, "b")}


async def rsvp_body(ctx: Ctx, role: str) -> dict[str, Any]:
    return {"person_id": (await _seat(ctx))[1], "answer": "accepted"}


async def past_event(ctx: Ctx, role: str) -> dict[str, int]:
    return {"event_id": (await _past_session(ctx))[0]}


async def past_item(ctx: Ctx, role: str) -> dict[str, int]:
    event_id, item_id = await _past_session(ctx)
    return {"event_id": event_id, "item_id": item_id}


async def fresh_past_event(ctx: Ctx, role: str) -> dict[str, int]:
    return {"event_id": await new_event(ctx, "board_session", publish=True, started=True)}


async def action_body(ctx: Ctx, role: str) -> dict[str, Any]:
    return {"description": "Notitie opstellen", "owner_id": ctx.ids["a1"], "due_on": "2027-02-01"}


async def an_action(ctx: Ctx, role: str) -> dict[str, int]:
    if "board_action" not in ctx.cache:
        event_id = (await _past_session(ctx))[0]
        action = await services.create_action(
            _admin(ctx),
            event_id,
            ActionIn(description="Notitie opstellen", owner_id=ctx.ids["a1"], due_on=date(2027, 2, 1)),
        )
        ctx.cache["board_action"] = action.id
    return {"action_id": ctx.cache["board_action"]}


async def fresh_draft(ctx: Ctx, role: str) -> dict[str, int]:
    await _seat(ctx)
    return {"event_id": await new_event(ctx, "board_session", publish=False)}


async def poll_body(ctx: Ctx, role: str) -> dict[str, Any]:
    return {"options": [{"starts_at": at(80, 14), "ends_at": at(80, 16)}]}


async def poll_to_pick(ctx: Ctx, role: str) -> dict[str, int]:
    event_id, option_id = await _poll_session(ctx)
    ctx.cache[f"board_pick_{role}"] = option_id
    return {"event_id": event_id}


async def picked_option(ctx: Ctx, role: str) -> dict[str, int]:
    return {"option_id": ctx.cache[f"board_pick_{role}"]}


async def member_link(ctx: Ctx, role: str) -> dict[str, Any]:
    member = (await _seat(ctx))[1]
    return {"token": await create_link(LinkPurpose.board, person_id=member), "event_id": ctx.ids["board"]}


async def member_link_to_poll(ctx: Ctx, role: str) -> dict[str, Any]:
    if "board_poll" not in ctx.cache:
        ctx.cache["board_poll"] = await _poll_session(ctx)
    event_id, option_id = ctx.cache["board_poll"]
    member = (await _seat(ctx))[1]
    ctx.cache["board_poll_option"] = option_id
    return {"token": await create_link(LinkPurpose.board, person_id=member), "event_id": event_id}


async def poll_answer_form(ctx: Ctx, role: str) -> dict[str, str]:
    return {f"option_{ctx.cache['board_poll_option']}": "yes"}


ROWS: list[Row] = [
    # ------------------------------------------------------------ the board's composition
    Row("list the board's seats", "GET", "/api/board/members", STAFF_ONLY, params=board_event),
    Row("add a seat", "POST", "/api/board/members", STAFF_CREATE, body=new_membership_body),
    Row(
        "change a seat",
        "PATCH",
        "/api/board/members/{membership_id:int}",
        STAFF_ONLY,
        params=membership,
        body=const({"role": "member"}),
    ),
    # ------------------------------------------------------------ a session before it takes place
    Row("read a board session", "GET", "/api/board/sessions/{event_id:int}", STAFF_ONLY, params=board_event),
    Row(
        "set a session's quorum rule",
        "PATCH",
        "/api/board/sessions/{event_id:int}",
        STAFF_ONLY,
        params=board_event,
        body=const({"quorum_rule": "majority", "quorum_warning_hours": 48}),
    ),
    Row("live quorum", "GET", "/api/board/sessions/{event_id:int}/quorum", STAFF_ONLY, params=board_event),
    Row(
        "set the agenda",
        "PUT",
        "/api/board/sessions/{event_id:int}/agenda",
        STAFF_ONLY,
        params=board_event,
        body=const({"items": [{"title": "Opening", "kind": "information", "minutes_allotted": 10}]}),
    ),
    Row(
        "send the invitations",
        "POST",
        "/api/board/sessions/{event_id:int}/invitations",
        STAFF_ONLY,
        params=board_event,
    ),
    Row(
        "record a member's answer",
        "POST",
        "/api/board/sessions/{event_id:int}/rsvp",
        STAFF_ONLY,
        params=board_event,
        body=rsvp_body,
    ),
    Row(
        "open a date poll",
        "POST",
        "/api/board/sessions/{event_id:int}/poll",
        STAFF_ONLY,
        params=fresh_draft,
        body=poll_body,
    ),
    Row(
        "pick the date",
        "POST",
        "/api/board/sessions/{event_id:int}/poll/pick",
        STAFF_ONLY,
        params=poll_to_pick,
        body=picked_option,
    ),
    # ------------------------------------------------------------ after the session
    Row(
        "record attendance",
        "PUT",
        "/api/board/sessions/{event_id:int}/attendance",
        STAFF_ONLY,
        params=past_event,
        body=const({"present": []}),
    ),
    Row(
        "write the minutes of an agenda item",
        "PUT",
        "/api/board/sessions/{event_id:int}/agenda/{item_id:int}/minutes",
        STAFF_ONLY,
        params=past_item,
        body=const({"text": "Opening om **14:02**."}),
    ),
    Row(
        "approve the minutes",
        "POST",
        "/api/board/sessions/{event_id:int}/minutes/approve",
        STAFF_ONLY,
        params=fresh_past_event,
        body=const({}),
    ),
    Row(
        "record a decision",
        "POST",
        "/api/board/sessions/{event_id:int}/decisions",
        STAFF_CREATE,
        params=past_event,
        body=const({"text": "Het BO stelt de begroting vast."}),
    ),
    Row(
        "add an action item",
        "POST",
        "/api/board/sessions/{event_id:int}/actions",
        STAFF_CREATE,
        params=past_event,
        body=action_body,
    ),
    Row("list decisions", "GET", "/api/board/decisions", STAFF_ONLY),
    Row(
        "change an action item",
        "PATCH",
        "/api/board/actions/{action_id:int}",
        STAFF_ONLY,
        params=an_action,
        body=const({"status": "done"}),
    ),
    # ------------------------------------------------------------ the members' pages, by their link
    Row("member's overview by link", "GET", "/board/m/{token:str}", BY_LINK, params=member_link, page=True),
    Row(
        "member's session page by link",
        "GET",
        "/board/m/{token:str}/sessions/{event_id:int}",
        BY_LINK,
        params=member_link,
        page=True,
    ),
    Row(
        "member answers on the page",
        "POST",
        "/board/m/{token:str}/sessions/{event_id:int}/answer",
        BY_LINK,
        params=member_link,
        body=with_csrf(const({"answer": "accepted"})),
        form=True,
        page=True,
    ),
    Row(
        "member answers the date poll",
        "POST",
        "/board/m/{token:str}/sessions/{event_id:int}/poll",
        BY_LINK,
        params=member_link_to_poll,
        body=with_csrf(poll_answer_form),
        form=True,
        page=True,
    ),
    # ------------------------------------------------------------ the secretary's pages
    Row("secretary's sessions page", "GET", "/board/secretary", PAGE_STAFF_ONLY, page=True),
    Row(
        "secretary's session page with the quorum",
        "GET",
        "/board/secretary/sessions/{event_id:int}",
        PAGE_STAFF_ONLY,
        params=board_event,
        page=True,
    ),
    Row(
        "secretary writes minutes on the page",
        "POST",
        "/board/secretary/sessions/{event_id:int}/minutes/{item_id:int}",
        PAGE_STAFF_ONLY,
        params=past_item,
        body=with_csrf(const({"text": "Opening om 14:02."})),
        form=True,
        page=True,
    ),
]
