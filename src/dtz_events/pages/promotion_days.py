"""Printable schedules of a promotion day: one per school (its groups' rounds) and one per host (who comes
to its workshops when), and the organisers' overview linking to all of them. A school's or host's
coordinator sees its own once the rotation is published; organisers see every one, the draft too."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

from litestar import Controller, Request, get
from litestar.params import PathParameter
from litestar.response import Template

from dtz_events.core.auth import ORGANISERS, PUBLIC, Principal, Role, roles
from dtz_events.core.clock import local
from dtz_events.core.errors import NotFound
from dtz_events.pages import access
from dtz_events.pages.access import PageResult
from dtz_events.pages.controllers import event_context
from dtz_events.pages.rendering import page_language
from dtz_events.partners.tables import Organisation
from dtz_events.promotion_days import services
from dtz_events.promotion_days.services import LEVEL_LABELS, Day

EventId = Annotated[int, PathParameter(ge=1, le=2**31 - 1, description="Event id")]
OrganisationId = Annotated[int, PathParameter(ge=1, le=2**31 - 1, description="Organisation id")]
SCHEDULE_ROLES = ORGANISERS | {Role.partner_coordinator}


def _time(starts_at: Any, ends_at: Any) -> str:
    return f"{local(starts_at):%H:%M}–{local(ends_at):%H:%M}"


async def _day_for(
    request: Request[Any, Any, Any], event_id: int, organisation_id: int | None
) -> tuple[Principal, str, dict[str, Any], Day, bool] | PageResult:
    """The caller, language, event and day, if the caller may see this schedule; else the page to show."""
    principal = access.allowed(request, SCHEDULE_ROLES if organisation_id else ORGANISERS)
    if not isinstance(principal, Principal):
        return principal
    lang = page_language(request, principal)
    if not principal.is_organiser and principal.organisation_id != organisation_id:
        return access.not_found(lang)
    try:
        event = await services.promotion_day(principal, event_id)
    except NotFound:
        return access.not_found(lang)
    day = await services.load_day(event_id)
    published = bool(day.rotation and day.rotation["published_at"])
    return principal, lang, event, day, published or principal.is_organiser


async def _organisation_name(organisation_id: int) -> str | None:
    row = await Organisation.select(Organisation.name).where(Organisation.id == organisation_id).first()
    return None if row is None else str(row["name"])


def _school_groups(day: Day, school_id: int, lang: str) -> list[dict[str, Any]]:
    title = "title_nl" if lang == "nl" else "title_en"
    groups = []
    for group in sorted(day.groups.values(), key=lambda g: g["class_name"]):
        if group["school"] != school_id:
            continue
        teacher = day.teachers.get(group["id"])
        groups.append(
            {
                "id": group["id"],
                "class_name": group["class_name"],
                "level": LEVEL_LABELS[lang][group["level"]],
                "pupil_count": group["pupil_count"],
                "supervisor_count": group["supervisor_count"],
                "teacher": teacher["name"] if teacher else "",
                "visits": [
                    {
                        "round": v.round,
                        "time": _time(v.starts_at, v.ends_at),
                        "title": getattr(v, title),
                        "host": v.host_name,
                        "place": v.place,
                    }
                    for v in day.visits_of_group(group["id"])
                ],
            }
        )
    return groups


def _host_workshops(day: Day, host_id: int, lang: str) -> list[dict[str, Any]]:
    title = "title_nl" if lang == "nl" else "title_en"
    out = []
    for workshop in sorted(day.workshops.values(), key=lambda w: w[title]):
        if workshop["host"] != host_id:
            continue
        by_round: dict[int, list[Any]] = defaultdict(list)
        for v in day.visits_of_workshop(workshop["id"]):
            by_round[v.round].append(v)
        rounds = []
        for number, r in sorted(day.rounds.items()):
            visitors = by_round[number]
            rounds.append(
                {
                    "round": number,
                    "time": _time(r["starts_at"], r["ends_at"]),
                    "pupils": sum(v.pupil_count for v in visitors),
                    "groups": [
                        {
                            "school": v.school_name,
                            "class_name": v.class_name,
                            "level": LEVEL_LABELS[lang][v.level.value],
                            "pupil_count": v.pupil_count,
                            "supervisor_count": v.supervisor_count,
                        }
                        for v in visitors
                    ],
                }
            )
        out.append(
            {
                "title": workshop[title],
                "place": workshop["place"],
                "capacity": workshop["capacity"],
                "rounds": rounds,
            }
        )
    return out


@dataclass(frozen=True)
class Schedule:
    """What differs between a school's schedule (its groups) and a host's (its workshops): the template, and
    the list it shows under `key`, made from the day, the organisation and the language."""

    template: str
    key: str
    rows: Callable[[Day, int, str], list[dict[str, Any]]]


SCHOOL = Schedule("promotion_days/school.html.j2", "groups", _school_groups)
HOST = Schedule("promotion_days/host.html.j2", "workshops", _host_workshops)


class PromotionDayPages(Controller):
    path = "/promotion-days/{event_id:int}"
    include_in_schema = False

    @get("/", opt=roles(PUBLIC))
    async def overview(self, request: Request[Any, Any, Any], event_id: EventId) -> PageResult:
        found = await _day_for(request, event_id, None)
        if not isinstance(found, tuple):
            return found
        principal, lang, event, day, _ = found
        schools: dict[int, str] = {}
        for g in day.groups.values():
            schools[g["school"]] = g["school_name"]
        hosts = {w["host"]: w["host_name"] for w in day.workshops.values()}
        context = {
            **event_context(event, lang),
            "principal": principal,
            "schools": sorted(schools.items(), key=lambda s: s[1]),
            "hosts": sorted(hosts.items(), key=lambda h: h[1]),
            "groups": len(day.groups),
            "pupils": sum(g["pupil_count"] for g in day.groups.values()),
            "short": len(day.short_groups()),
            "published": bool(day.rotation and day.rotation["published_at"]),
        }
        return Template("promotion_days/overview.html.j2", context=context)

    @get("/schools/{organisation_id:int}", opt=roles(PUBLIC))
    async def school(
        self, request: Request[Any, Any, Any], event_id: EventId, organisation_id: OrganisationId
    ) -> PageResult:
        return await _schedule(request, event_id, organisation_id, SCHOOL)

    @get("/hosts/{organisation_id:int}", opt=roles(PUBLIC))
    async def host(
        self, request: Request[Any, Any, Any], event_id: EventId, organisation_id: OrganisationId
    ) -> PageResult:
        return await _schedule(request, event_id, organisation_id, HOST)


async def _schedule(
    request: Request[Any, Any, Any],
    event_id: int,
    organisation_id: int,
    schedule: Schedule,
) -> PageResult:
    """A school's or a host's own schedule, for its coordinator once published and for the organisers."""
    found = await _day_for(request, event_id, organisation_id)
    if not isinstance(found, tuple):
        return found
    principal, lang, event, day, shown = found
    name = await _organisation_name(organisation_id)
    if name is None:
        return access.not_found(lang)
    context = {
        **event_context(event, lang),
        "principal": principal,
        "name": name,
        "shown": shown,
        schedule.key: schedule.rows(day, organisation_id, lang),
    }
    return Template(schedule.template, context=context)
