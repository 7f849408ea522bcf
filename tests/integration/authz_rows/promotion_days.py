"""Authorization rows of promotion days. Here the school is organisation b (Drenthe College, a school):
its coordinator (partner_other in the table's columns) owns the groups, and organisation a's coordinator
(a company) must not learn they exist (404). The host of the workshops is organisation a (Emmtec), whose
coordinator may change them; b may read them (schools choose from the offer) but not change them."""

from __future__ import annotations

from typing import Any

from dtz_events.core.auth import Principal
from dtz_events.promotion_days import services
from dtz_events.promotion_days.schemas import (
    Level,
    LockInput,
    RotationSettings,
    RoundIn,
    SchoolGroupCreate,
    TeacherIn,
    WorkshopCreate,
)
from dtz_events.promotion_days.tables import SchoolGroup
from tests.support.authz import Ctx, Row, codes, const, new_event
from tests.support.fixtures import at


def _admin(ctx: Ctx) -> Principal:
    principal = ctx.world.actors["admin"].principal
    assert principal is not None
    return principal


def _group_body(ctx: Ctx, role: str, n: int) -> dict[str, Any]:
    body: dict[str, Any] = {
        "class_name": f"3 vmbo-t {n}",
        "level": "vmbo",
        "pupil_count": 24,
        "teacher": {"name": "Mevrouw Smit", "email": f"docent{n}@drenthecollege.example"},
        "supervisors": [{"name": "Meneer Bos"}],
    }
    if role in ("admin", "organiser"):
        body["school_id"] = ctx.world.organisations["b"]
    return body


async def new_group(ctx: Ctx, event_id: int) -> int:
    data = SchoolGroupCreate(
        class_name=f"groep 8 {ctx.next()}",
        level=Level.primary_7_8,
        pupil_count=20,
        teacher=TeacherIn(name="Juf Anja", email=f"juf{ctx.next()}@drenthecollege.example"),
        school_id=ctx.world.organisations["b"],
    )
    return (await services.create_group(_admin(ctx), event_id, data)).id


async def new_workshop(ctx: Ctx, event_id: int) -> int:
    data = WorkshopCreate(
        title_nl=f"Lassen met een robot {ctx.next()}",
        title_en="Welding with a robot",
        capacity=30,
        levels=[Level.primary_7_8, Level.vmbo],
        host_id=ctx.world.organisations["a"],
        contact_person_id=ctx.ids["a1"],
    )
    return (await services.create_workshop(_admin(ctx), event_id, data)).id


async def group_of_b(ctx: Ctx, role: str) -> dict[str, int]:
    if "group_b" not in ctx.cache:
        ctx.cache["group_b"] = await new_group(ctx, ctx.ids["public"])
    return {"group_id": ctx.cache["group_b"]}


async def fresh_group_of_b(ctx: Ctx, role: str) -> dict[str, int]:
    return {"group_id": await new_group(ctx, ctx.ids["public"])}


async def workshop_of_a(ctx: Ctx, role: str) -> dict[str, int]:
    if "workshop_a" not in ctx.cache:
        ctx.cache["workshop_a"] = await new_workshop(ctx, ctx.ids["public"])
    return {"workshop_id": ctx.cache["workshop_a"]}


async def fresh_workshop_of_a(ctx: Ctx, role: str) -> dict[str, int]:
    return {"workshop_id": await new_workshop(ctx, ctx.ids["public"])}


async def group_body(ctx: Ctx, role: str) -> dict[str, Any]:
    return _group_body(ctx, role, ctx.next())


async def workshop_body(ctx: Ctx, role: str) -> dict[str, Any]:
    body: dict[str, Any] = {
        "title_nl": f"Proefjes met waterstof {ctx.next()}",
        "title_en": "Hydrogen experiments",
        "capacity": 25,
        "levels": ["havo_vwo", "mbo"],
        "place": "Hal 3",
    }
    if role in ("admin", "organiser"):
        body["host_id"] = ctx.world.organisations["a"]
    return body


async def the_day(ctx: Ctx, role: str) -> dict[str, int]:
    return {"event_id": ctx.ids["public"]}


async def rotation_day(ctx: Ctx, role: str) -> dict[str, int]:
    """A promotion day of its own, with a group, a workshop and rounds set, generated once."""
    if "rotation_day" not in ctx.cache:
        event_id = await new_event(ctx, "promotion_day", publish=True)
        group_id = await new_group(ctx, event_id)
        workshop_id = await new_workshop(ctx, event_id)
        settings = RotationSettings(
            workshops_per_group=1,
            rounds=[RoundIn(starts_at=_when(60, 10), ends_at=_when(60, 11))],
        )
        await services.set_rotation(_admin(ctx), event_id, settings)
        await services.generate(_admin(ctx), event_id, 5)
        ctx.cache["rotation_day"] = (event_id, group_id, workshop_id)
    return {"event_id": ctx.cache["rotation_day"][0]}


def _when(days: int, hour: int) -> Any:
    from datetime import datetime

    return datetime.fromisoformat(at(days, hour))


async def rotation_settings(ctx: Ctx, role: str) -> dict[str, Any]:
    await rotation_day(ctx, role)
    return {"workshops_per_group": 1, "rounds": [{"starts_at": at(60, 10), "ends_at": at(60, 11)}]}


async def lock_body(ctx: Ctx, role: str) -> dict[str, int]:
    await rotation_day(ctx, role)
    _, group_id, workshop_id = ctx.cache["rotation_day"]
    return {"group_id": group_id, "round": 1, "workshop_id": workshop_id}


async def a_lock(ctx: Ctx, role: str) -> dict[str, int]:
    params = await rotation_day(ctx, role)
    _, group_id, workshop_id = ctx.cache["rotation_day"]
    await services.lock(
        _admin(ctx), params["event_id"], LockInput(group_id=group_id, round=1, workshop_id=workshop_id)
    )
    return {**params, "group_id": group_id, "round_number": 1}


async def school_page(ctx: Ctx, role: str) -> dict[str, int]:
    return {**await rotation_day(ctx, role), "organisation_id": ctx.world.organisations["b"]}


async def host_page(ctx: Ctx, role: str) -> dict[str, int]:
    return {**await rotation_day(ctx, role), "organisation_id": ctx.world.organisations["a"]}


async def groups_scoped(ctx: Ctx, role: str, body: Any) -> None:
    seen = {g["school_id"] for g in body}
    if role == "partner_own":
        assert body == []
    elif role == "partner_other":
        assert seen <= {ctx.world.organisations["b"]}
    total = await SchoolGroup.count().where(SchoolGroup.event == ctx.ids["public"])
    if role in ("admin", "organiser"):
        assert len(body) == total


EVENT = "/api/events/{event_id:int}"
ORGANISERS_ONLY = codes(401, 200, 200, 403, 403, 403)

ROWS: list[Row] = [
    Row(
        "list school groups (a school sees its own)",
        "GET",
        EVENT + "/school-groups",
        codes(401, 200, 200, 403, 200, 200),
        params=the_day,
        check=groups_scoped,
    ),
    Row(
        "register a school group (a company cannot)",
        "POST",
        EVENT + "/school-groups",
        codes(401, 201, 201, 403, 422, 201),
        params=the_day,
        body=group_body,
    ),
    Row(
        "read a group of school b",
        "GET",
        "/api/school-groups/{group_id:int}",
        codes(401, 200, 200, 403, 404, 200),
        params=group_of_b,
    ),
    Row(
        "change a group of school b",
        "PATCH",
        "/api/school-groups/{group_id:int}",
        codes(401, 200, 200, 403, 404, 200),
        params=group_of_b,
        body=const({"pupil_count": 22}),
    ),
    Row(
        "cancel a group of school b",
        "POST",
        "/api/school-groups/{group_id:int}/cancel",
        codes(401, 200, 200, 403, 404, 200),
        params=fresh_group_of_b,
    ),
    Row(
        "list workshops",
        "GET",
        EVENT + "/workshops",
        codes(401, 200, 200, 403, 200, 200),
        params=the_day,
    ),
    Row(
        "offer a workshop (as its host)",
        "POST",
        EVENT + "/workshops",
        codes(401, 201, 201, 403, 201, 201),
        params=the_day,
        body=workshop_body,
    ),
    Row(
        "read a workshop of host a",
        "GET",
        "/api/workshops/{workshop_id:int}",
        codes(401, 200, 200, 403, 200, 200),
        params=workshop_of_a,
    ),
    Row(
        "change a workshop of host a",
        "PATCH",
        "/api/workshops/{workshop_id:int}",
        codes(401, 200, 200, 403, 200, 403),
        params=workshop_of_a,
        body=const({"place": "Hal 4"}),
    ),
    Row(
        "withdraw a workshop of host a",
        "POST",
        "/api/workshops/{workshop_id:int}/withdraw",
        codes(401, 200, 200, 403, 200, 403),
        params=fresh_workshop_of_a,
    ),
    Row("read the rotation", "GET", EVENT + "/rotation", ORGANISERS_ONLY, params=rotation_day),
    Row(
        "set the rounds",
        "PUT",
        EVENT + "/rotation",
        ORGANISERS_ONLY,
        params=rotation_day,
        body=rotation_settings,
    ),
    Row(
        "generate the rotation",
        "POST",
        EVENT + "/rotation/generate",
        ORGANISERS_ONLY,
        params=rotation_day,
        query={"time_limit": 2},
    ),
    Row("publish the rotation", "POST", EVENT + "/rotation/publish", ORGANISERS_ONLY, params=rotation_day),
    Row(
        "lock a visit",
        "POST",
        EVENT + "/rotation/locks",
        ORGANISERS_ONLY,
        params=rotation_day,
        body=lock_body,
    ),
    Row(
        "unlock a visit",
        "DELETE",
        EVENT + "/rotation/locks/{group_id:int}/{round_number:int}",
        ORGANISERS_ONLY,
        params=a_lock,
    ),
    Row("pupils reached", "GET", EVENT + "/pupils-reached", ORGANISERS_ONLY, params=rotation_day),
    Row(
        "rotation overview page",
        "GET",
        "/promotion-days/{event_id:int}",
        codes(303, 200, 200, 404, 404, 404),
        params=rotation_day,
        page=True,
    ),
    Row(
        "printable schedule of school b",
        "GET",
        "/promotion-days/{event_id:int}/schools/{organisation_id:int}",
        codes(303, 200, 200, 404, 404, 200),
        params=school_page,
        page=True,
    ),
    Row(
        "printable schedule of host a",
        "GET",
        "/promotion-days/{event_id:int}/hosts/{organisation_id:int}",
        codes(303, 200, 200, 404, 200, 404),
        params=host_page,
        page=True,
    ),
]
