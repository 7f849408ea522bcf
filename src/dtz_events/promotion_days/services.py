"""Promotion days: schools register groups, hosts offer workshops, the organiser generates and publishes
the rotation; teachers and hosts are told, and told again when their part changes. Contact details of
teachers and supervisors are removed a set time after the day; the counts stay."""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
from collections import defaultdict
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from msgspec import UNSET

from dtz_events.core import ical
from dtz_events.core.auth import Principal
from dtz_events.core.clock import local, utcnow
from dtz_events.core.db import write_transaction
from dtz_events.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from dtz_events.core.schemas import normalise_email
from dtz_events.events.schemas import EventKind, EventStatus
from dtz_events.events.services import get_event_row
from dtz_events.events.tables import Event
from dtz_events.mail.domain import Recipient, queue_email
from dtz_events.mail.services import MailSettings, calendar_location, event_context
from dtz_events.mail.tables import OutboxMessage
from dtz_events.partners.tables import Organisation, Person
from dtz_events.promotion_days import rotation as solver
from dtz_events.promotion_days.schemas import (
    AssignmentOut,
    ContactOut,
    GroupStatus,
    HostVisitOut,
    Level,
    LockInput,
    PupilsReached,
    ReachedCount,
    RotationOut,
    RotationSettings,
    RoundOut,
    SchoolGroupCreate,
    SchoolGroupOut,
    SchoolGroupUpdate,
    ShortGroup,
    SolverOutcome,
    SupervisorIn,
    TeacherIn,
    VisitOut,
    WorkshopCreate,
    WorkshopLoad,
    WorkshopOut,
    WorkshopStatus,
    WorkshopUpdate,
)
from dtz_events.promotion_days.tables import (
    Rotation,
    RotationAssignment,
    RotationRound,
    SchoolGroup,
    SchoolGroupContact,
    Workshop,
)

SCHOOL_KINDS = ("school", "knowledge_institution")
LEVEL_LABELS = {
    "nl": {"primary_7_8": "groep 7/8", "vmbo": "vmbo", "havo_vwo": "havo/vwo", "mbo": "mbo"},
    "en": {"primary_7_8": "primary (years 7/8)", "vmbo": "VMBO", "havo_vwo": "HAVO/VWO", "mbo": "MBO"},
}
# Outbox kinds of this domain: the retention job redacts their sent rows with the contacts.
EMAIL_KINDS = ("rotation_schedule", "rotation_cancelled", "workshop_schedule", "workshop_cancelled")
SOLVER_WORKERS = 2


def retention_days() -> int:
    return int(os.environ.get("DTZ_PROMOTION_CONTACT_RETENTION_DAYS") or 90)


# ---------------------------------------------------------------- who may see what


async def promotion_day(principal: Principal | None, event_id: int) -> dict[str, Any]:
    event = await get_event_row(principal, event_id)
    if event["kind"] != EventKind.promotion_day.value:
        raise NotFound("promotion day")
    return event


async def managed_day(principal: Principal, event_id: int) -> dict[str, Any]:
    event = await promotion_day(principal, event_id)
    if not principal.is_organiser:
        raise Forbidden("only organisers manage the rotation")
    return event


def _open_for_changes(event: dict[str, Any]) -> None:
    status = EventStatus(event["status"])
    if status in (EventStatus.cancelled, EventStatus.completed) or event["ends_at"] <= utcnow():
        raise Conflict(f"this promotion day is {status.value if status != EventStatus.published else 'over'}")


async def _partner_organisation(
    principal: Principal, given: int | None, field: str, kinds: tuple[str, ...]
) -> int:
    """The organisation a school or host acts for: a partner's own; an organiser names one."""
    if principal.is_organiser:
        if given is None:
            raise InvalidInput(field, "name the organisation")
        org_id = given
    else:
        if given is not None and given != principal.organisation_id:
            raise NotFound("organisation")
        if principal.organisation_id is None:
            raise Forbidden("your account belongs to no organisation")
        org_id = principal.organisation_id
    org = await Organisation.select(Organisation.kind).where(Organisation.id == org_id).first()
    if org is None:
        raise (
            InvalidInput(field, "unknown organisation")
            if principal.is_organiser
            else NotFound("organisation")
        )
    if kinds and org["kind"] not in kinds:
        raise InvalidInput(field, f"a {org['kind'].replace('_', ' ')} cannot register school groups")
    return org_id


# ---------------------------------------------------------------- groups


async def _group_row(principal: Principal, group_id: int) -> dict[str, Any]:
    row = await SchoolGroup.select().where(SchoolGroup.id == group_id).first()
    if row is None or (not principal.is_organiser and row["school"] != principal.organisation_id):
        raise NotFound("school group")
    await promotion_day(principal, row["event"])
    return row


async def _save_contacts(
    group_id: int, teacher: TeacherIn | None, supervisors: list[SupervisorIn] | None
) -> None:
    if teacher is not None:
        await SchoolGroupContact.delete().where(
            (SchoolGroupContact.school_group == group_id) & (SchoolGroupContact.role == "teacher")
        )
        await SchoolGroupContact(
            school_group=group_id,
            role="teacher",
            name=teacher.name,
            email=normalise_email(teacher.email, "teacher.email"),
            phone=teacher.phone,
            language=teacher.language,
        ).save()
    if supervisors is not None:
        await SchoolGroupContact.delete().where(
            (SchoolGroupContact.school_group == group_id) & (SchoolGroupContact.role == "supervisor")
        )
        for index, s in enumerate(supervisors):
            email = normalise_email(s.email, f"supervisors[{index}].email") if s.email else None
            await SchoolGroupContact(
                school_group=group_id, role="supervisor", name=s.name, email=email, phone=s.phone
            ).save()


async def create_group(principal: Principal, event_id: int, data: SchoolGroupCreate) -> SchoolGroupOut:
    school_id = await _partner_organisation(principal, data.school_id, "school_id", SCHOOL_KINDS)
    async with write_transaction():
        event = await promotion_day(principal, event_id)
        _open_for_changes(event)
        if not principal.is_organiser:
            _registration_open(event)
        group = SchoolGroup(
            event=event_id,
            school=school_id,
            class_name=data.class_name,
            level=data.level.value,
            pupil_count=data.pupil_count,
            supervisor_count=len(data.supervisors),
            accessibility_needs=data.accessibility_needs,
            keep_together=data.keep_together,
            status=GroupStatus.registered.value,
            registered_by=principal.account_id,
        )
        await group.save()
        await _save_contacts(group.id, data.teacher, data.supervisors)
    return (await group_outs(principal, [group.id]))[0]


def _registration_open(event: dict[str, Any]) -> None:
    now = utcnow()
    if event["status"] != EventStatus.published.value:
        raise Conflict("registration for this promotion day is not open")
    if event["registration_opens_at"] is not None and now < event["registration_opens_at"]:
        raise Conflict("registration for this promotion day has not opened yet")
    closes = event["registration_closes_at"] or event["starts_at"]
    if now >= closes:
        raise Conflict("registration for this promotion day has closed; ask the organisers")


async def update_group(principal: Principal, group_id: int, data: SchoolGroupUpdate) -> SchoolGroupOut:
    async with write_transaction():
        row = await _group_row(principal, group_id)
        event = await promotion_day(principal, row["event"])
        _open_for_changes(event)
        if row["status"] != GroupStatus.registered.value:
            raise Conflict("a cancelled group cannot be changed")
        values: dict[Any, Any] = {SchoolGroup.updated_at: utcnow()}
        for field in ("class_name", "pupil_count", "accessibility_needs", "keep_together"):
            value = getattr(data, field)
            if value is not UNSET:
                values[getattr(SchoolGroup, field)] = value
        if data.level is not UNSET:
            values[SchoolGroup.level] = data.level.value
        if data.supervisors is not UNSET:
            values[SchoolGroup.supervisor_count] = len(data.supervisors)
        await SchoolGroup.update(values).where(SchoolGroup.id == group_id)
        teacher = None if data.teacher is UNSET else data.teacher
        supervisors = None if data.supervisors is UNSET else data.supervisors
        if teacher is not None and row["schedule_digest"] is not None:
            await _cancel_for_old_teacher(event, row, normalise_email(teacher.email, "teacher.email"))
        await _save_contacts(group_id, teacher, supervisors)
        if data.level is not UNSET or data.pupil_count is not UNSET or data.keep_together is not UNSET:
            await _drop_unfit_assignments(row["event"], group_id)
        await sync(row["event"])
    return (await group_outs(principal, [group_id]))[0]


async def _cancel_for_old_teacher(event: dict[str, Any], row: dict[str, Any], new_email: str) -> None:
    """A new teacher gets the group's invitation (from `sync`); the one it replaces has it cancelled."""
    old = (
        await SchoolGroupContact.select(SchoolGroupContact.email)
        .where((SchoolGroupContact.school_group == row["id"]) & (SchoolGroupContact.role == "teacher"))
        .first()
    )
    if old is not None and old["email"] and old["email"] != new_email:
        await _queue_group_cancel(event, row, replaced=True)


async def _drop_unfit_assignments(event_id: int, group_id: int) -> None:
    """After a group's level or size changed: its visits that no longer fit go (locked ones too); the
    organiser regenerates, which keeps the rest of the schedule."""
    group = await SchoolGroup.select().where(SchoolGroup.id == group_id).first()
    assert group is not None
    mine = await RotationAssignment.select().where(RotationAssignment.school_group == group_id)
    workshops = {w["id"]: w for w in await Workshop.select().where(Workshop.event == event_id)}
    loads = await _loads(event_id)
    unfit = []
    for a in mine:
        w = workshops[a["workshop"]]
        if group["level"] not in _levels(w) or loads[(w["id"], a["round"])] > w["capacity"]:
            unfit.append(a["id"])
            loads[(w["id"], a["round"])] -= group["pupil_count"]
    if unfit:
        await RotationAssignment.delete().where(RotationAssignment.id.is_in(unfit))
    if group["keep_together"]:  # its partners' placements no longer hold it: let the solver decide
        await RotationAssignment.delete().where(
            (RotationAssignment.school_group == group_id) & (RotationAssignment.locked == False)  # noqa: E712
        )


async def cancel_group(principal: Principal, group_id: int) -> SchoolGroupOut:
    async with write_transaction():
        row = await _group_row(principal, group_id)
        event = await promotion_day(principal, row["event"])
        _open_for_changes(event)
        if row["status"] == GroupStatus.cancelled.value:
            raise Conflict("this group is cancelled already")
        await SchoolGroup.update(
            {
                SchoolGroup.status: GroupStatus.cancelled.value,
                SchoolGroup.cancelled_at: utcnow(),
                SchoolGroup.updated_at: utcnow(),
            }
        ).where(SchoolGroup.id == group_id)
        await RotationAssignment.delete().where(RotationAssignment.school_group == group_id)
        if row["schedule_digest"] is not None:
            await _queue_group_cancel(event, row)
        await sync(row["event"])
    return (await group_outs(principal, [group_id]))[0]


async def list_groups(principal: Principal, event_id: int) -> list[SchoolGroupOut]:
    await promotion_day(principal, event_id)
    query = SchoolGroup.select(SchoolGroup.id).where(SchoolGroup.event == event_id).order_by(SchoolGroup.id)
    if not principal.is_organiser:
        query = query.where(SchoolGroup.school == principal.organisation_id)
    return await group_outs(principal, [r["id"] for r in await query])


async def get_group(principal: Principal, group_id: int) -> SchoolGroupOut:
    await _group_row(principal, group_id)
    return (await group_outs(principal, [group_id]))[0]


def _contact_out(c: dict[str, Any]) -> ContactOut:
    return ContactOut(name=c["name"], email=c["email"], phone=c["phone"], language=c["language"])


async def group_outs(principal: Principal | None, ids: list[int]) -> list[SchoolGroupOut]:
    if not ids:
        return []
    rows = await SchoolGroup.select(
        *SchoolGroup.all_columns(), SchoolGroup.school.name.as_alias("school_name")
    ).where(SchoolGroup.id.is_in(ids))
    contacts: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for c in (
        await SchoolGroupContact.select()
        .where(SchoolGroupContact.school_group.is_in(ids))
        .order_by(SchoolGroupContact.id)
    ):
        contacts[c["school_group"]].append(c)
    schedules = await _schedules(rows, principal)
    by_id = {r["id"]: r for r in rows}
    outs = []
    for group_id in ids:
        r = by_id[group_id]
        teacher = next((c for c in contacts[group_id] if c["role"] == "teacher"), None)
        outs.append(
            SchoolGroupOut(
                id=r["id"],
                event_id=r["event"],
                school_id=r["school"],
                school_name=r["school_name"],
                class_name=r["class_name"],
                level=Level(r["level"]),
                pupil_count=r["pupil_count"],
                supervisor_count=r["supervisor_count"],
                accessibility_needs=r["accessibility_needs"],
                keep_together=r["keep_together"],
                status=GroupStatus(r["status"]),
                teacher=_contact_out(teacher) if teacher else None,
                supervisors=[_contact_out(c) for c in contacts[group_id] if c["role"] == "supervisor"],
                contacts_removed_at=r["contacts_removed_at"],
                schedule=schedules.get(group_id, []),
                created_at=r["created_at"],
            )
        )
    return outs


async def _shown(event_id: int, principal: Principal | None) -> bool:
    """Partners see the schedule once it is published; organisers see the draft too."""
    if principal is not None and principal.is_organiser:
        return True
    rotation = await Rotation.select(Rotation.published_at).where(Rotation.event == event_id).first()
    return rotation is not None and rotation["published_at"] is not None


async def _schedules(groups: list[dict[str, Any]], principal: Principal | None) -> dict[int, list[VisitOut]]:
    out: dict[int, list[VisitOut]] = {}
    for event_id in {g["event"] for g in groups}:
        if not await _shown(event_id, principal):
            continue
        day = await load_day(event_id)
        for g in groups:
            if g["event"] == event_id:
                out[g["id"]] = day.visits_of_group(g["id"])
    return out


# ---------------------------------------------------------------- workshops


def _levels(workshop: dict[str, Any]) -> list[str]:
    levels = workshop["levels"]
    return list(json.loads(levels) if isinstance(levels, str) else levels)


async def _workshop_row(principal: Principal, workshop_id: int) -> dict[str, Any]:
    row = await Workshop.select().where(Workshop.id == workshop_id).first()
    if row is None:
        raise NotFound("workshop")
    await promotion_day(principal, row["event"])
    return row


def _may_change_workshop(principal: Principal, row: dict[str, Any]) -> None:
    if not principal.is_organiser and row["host"] != principal.organisation_id:
        raise Forbidden("only the host and the organisers change a workshop")


async def _contact_person(person_id: int | None, host_id: int) -> int | None:
    if person_id is None:
        return None
    person = await Person.select(Person.organisation).where(Person.id == person_id).first()
    if person is None or person["organisation"] != host_id:
        raise InvalidInput("contact_person_id", "not a person of the host organisation")
    return person_id


async def create_workshop(principal: Principal, event_id: int, data: WorkshopCreate) -> WorkshopOut:
    host_id = await _partner_organisation(principal, data.host_id, "host_id", ())
    async with write_transaction():
        event = await promotion_day(principal, event_id)
        _open_for_changes(event)
        workshop = Workshop(
            event=event_id,
            host=host_id,
            contact=await _contact_person(data.contact_person_id, host_id),
            title_nl=data.title_nl,
            title_en=data.title_en,
            description_nl=data.description_nl,
            description_en=data.description_en,
            capacity=data.capacity,
            levels=sorted({level.value for level in data.levels}),
            place=data.place,
            status=WorkshopStatus.offered.value,
            created_by=principal.account_id,
        )
        await workshop.save()
    return (await workshop_outs(principal, [workshop.id]))[0]


async def update_workshop(principal: Principal, workshop_id: int, data: WorkshopUpdate) -> WorkshopOut:
    async with write_transaction():
        row = await _workshop_row(principal, workshop_id)
        _may_change_workshop(principal, row)
        event = await promotion_day(principal, row["event"])
        _open_for_changes(event)
        if row["status"] == WorkshopStatus.withdrawn.value:
            raise Conflict("a withdrawn workshop cannot be changed")
        values: dict[Any, Any] = {Workshop.updated_at: utcnow()}
        for field in ("title_nl", "title_en", "description_nl", "description_en", "capacity", "place"):
            value = getattr(data, field)
            if value is not UNSET:
                values[getattr(Workshop, field)] = value
        if data.levels is not UNSET:
            values[Workshop.levels] = sorted({level.value for level in data.levels})
        if data.contact_person_id is not UNSET:
            values[Workshop.contact] = await _contact_person(data.contact_person_id, row["host"])
            if values[Workshop.contact] != row["contact"]:
                await _queue_workshop_cancel(event, row, "replaced")
        await Workshop.update(values).where(Workshop.id == workshop_id)
        if data.levels is not UNSET or data.capacity is not UNSET:
            await _drop_overfull(row["event"], workshop_id)
        await sync(row["event"])
    return (await workshop_outs(principal, [workshop_id]))[0]


async def _drop_overfull(event_id: int, workshop_id: int) -> None:
    """After a workshop shrank or changed levels: the visits that no longer fit go, latest first."""
    w = await Workshop.select().where(Workshop.id == workshop_id).first()
    assert w is not None
    rows = (
        await RotationAssignment.select(
            RotationAssignment.id,
            RotationAssignment.round,
            RotationAssignment.school_group.level.as_alias("level"),
            RotationAssignment.school_group.pupil_count.as_alias("pupils"),
        )
        .where(RotationAssignment.workshop == workshop_id)
        .order_by(RotationAssignment.id, ascending=False)
    )
    levels = set(_levels(w))
    load: dict[int, int] = defaultdict(int)
    for r in rows:
        load[r["round"]] += r["pupils"]
    unfit = []
    for r in rows:
        if r["level"] not in levels or load[r["round"]] > w["capacity"]:
            unfit.append(r["id"])
            load[r["round"]] -= r["pupils"]
    if unfit:
        await RotationAssignment.delete().where(RotationAssignment.id.is_in(unfit))


async def withdraw_workshop(principal: Principal, workshop_id: int) -> WorkshopOut:
    async with write_transaction():
        row = await _workshop_row(principal, workshop_id)
        _may_change_workshop(principal, row)
        event = await promotion_day(principal, row["event"])
        _open_for_changes(event)
        if row["status"] == WorkshopStatus.withdrawn.value:
            raise Conflict("this workshop is withdrawn already")
        await _queue_workshop_cancel(event, row, "withdrawn")
        await Workshop.update(
            {Workshop.status: WorkshopStatus.withdrawn.value, Workshop.updated_at: utcnow()}
        ).where(Workshop.id == workshop_id)
        await RotationAssignment.delete().where(RotationAssignment.workshop == workshop_id)
        await sync(row["event"])
    return (await workshop_outs(principal, [workshop_id]))[0]


async def list_workshops(principal: Principal, event_id: int) -> list[WorkshopOut]:
    await promotion_day(principal, event_id)
    rows = await Workshop.select(Workshop.id).where(Workshop.event == event_id).order_by(Workshop.id)
    return await workshop_outs(principal, [r["id"] for r in rows])


async def get_workshop(principal: Principal, workshop_id: int) -> WorkshopOut:
    await _workshop_row(principal, workshop_id)
    return (await workshop_outs(principal, [workshop_id]))[0]


async def workshop_outs(principal: Principal | None, ids: list[int]) -> list[WorkshopOut]:
    if not ids:
        return []
    rows = await Workshop.select(*Workshop.all_columns(), Workshop.host.name.as_alias("host_name")).where(
        Workshop.id.is_in(ids)
    )
    by_id = {r["id"]: r for r in rows}
    visits: dict[int, list[HostVisitOut]] = {}
    for event_id in {r["event"] for r in rows}:
        if await _shown(event_id, principal):
            day = await load_day(event_id)
            # A host sees who comes to its own workshops; the others' visitors are not its business.
            for r in rows:
                mine = principal is not None and (
                    principal.is_organiser or principal.organisation_id == r["host"]
                )
                if r["event"] == event_id and mine:
                    visits[r["id"]] = day.visits_of_workshop(r["id"])
    return [
        WorkshopOut(
            id=r["id"],
            event_id=r["event"],
            host_id=r["host"],
            host_name=r["host_name"],
            contact_person_id=r["contact"],
            title_nl=r["title_nl"],
            title_en=r["title_en"],
            description_nl=r["description_nl"],
            description_en=r["description_en"],
            capacity=r["capacity"],
            levels=[Level(v) for v in _levels(r)],
            place=r["place"],
            status=WorkshopStatus(r["status"]),
            visits=visits.get(r["id"], []),
        )
        for r in (by_id[i] for i in ids)
    ]


# ---------------------------------------------------------------- the day as loaded for the rotation


class Day:
    """One promotion day's rotation data, loaded once: rounds, registered groups, offered workshops and
    the current assignments."""

    def __init__(
        self,
        event: dict[str, Any],
        rotation: dict[str, Any] | None,
        rounds: list[dict[str, Any]],
        groups: list[dict[str, Any]],
        workshops: list[dict[str, Any]],
        assignments: list[dict[str, Any]],
        teachers: dict[int, dict[str, Any]],
    ) -> None:
        self.event = event
        self.rotation = rotation
        self.rounds = {r["number"]: r for r in rounds}
        self.groups = {g["id"]: g for g in groups}
        self.workshops = {w["id"]: w for w in workshops}
        self.assignments = [a for a in assignments if a["school_group"] in self.groups]
        self.teachers = teachers

    @property
    def per_group(self) -> int:
        return int(self.rotation["workshops_per_group"]) if self.rotation else 3

    def visits_of_group(self, group_id: int) -> list[VisitOut]:
        out = []
        for a in sorted(
            (a for a in self.assignments if a["school_group"] == group_id), key=lambda a: a["round"]
        ):
            w, r = self.workshops.get(a["workshop"]), self.rounds.get(a["round"])
            if w is None or r is None:
                continue
            out.append(
                VisitOut(
                    round=a["round"],
                    starts_at=r["starts_at"],
                    ends_at=r["ends_at"],
                    workshop_id=w["id"],
                    title_nl=w["title_nl"],
                    title_en=w["title_en"],
                    host_id=w["host"],
                    host_name=w["host_name"],
                    place=w["place"],
                    locked=a["locked"],
                )
            )
        return out

    def visits_of_workshop(self, workshop_id: int) -> list[HostVisitOut]:
        out = []
        chosen = (a for a in self.assignments if a["workshop"] == workshop_id)
        for a in sorted(chosen, key=lambda a: (a["round"], a["school_group"])):
            g, r = self.groups[a["school_group"]], self.rounds.get(a["round"])
            if r is None:
                continue
            out.append(
                HostVisitOut(
                    round=a["round"],
                    starts_at=r["starts_at"],
                    ends_at=r["ends_at"],
                    group_id=g["id"],
                    school_name=g["school_name"],
                    class_name=g["class_name"],
                    level=Level(g["level"]),
                    pupil_count=g["pupil_count"],
                    supervisor_count=g["supervisor_count"],
                )
            )
        return out

    def short_groups(self) -> dict[int, int]:
        count: dict[int, int] = defaultdict(int)
        for a in self.assignments:
            count[a["school_group"]] += 1
        return {g: self.per_group - count[g] for g in self.groups if count[g] < self.per_group}

    def problem(self, *, keep_previous: bool) -> solver.RotationProblem:
        groups = tuple(
            solver.GroupSpec(
                id=g["id"],
                pupils=g["pupil_count"],
                level=g["level"],
                label=f"{g['school_name']} {g['class_name']}",
                together=f"school {g['school']}" if g["keep_together"] else None,
            )
            for g in self.groups.values()
        )
        workshops = tuple(
            solver.WorkshopSpec(
                id=w["id"],
                capacity=w["capacity"],
                levels=frozenset(_levels(w)),
                label=f"{w['title_nl']} ({w['host_name']})",
            )
            for w in self.workshops.values()
        )
        placements = [
            solver.Placement(a["school_group"], a["round"], a["workshop"]) for a in self.assignments
        ]
        locked = tuple(p for p, a in zip(placements, self.assignments, strict=True) if a["locked"])
        return solver.RotationProblem(
            groups=groups,
            workshops=workshops,
            rounds=len(self.rounds),
            per_group=self.per_group,
            locked=locked,
            previous=tuple(placements) if keep_previous else (),
        )


async def load_day(event_id: int) -> Day:
    event = await Event.select().where(Event.id == event_id).first()
    if event is None:
        raise NotFound("promotion day")
    rotation = await Rotation.select().where(Rotation.event == event_id).first()
    rounds = (
        await RotationRound.select().where(RotationRound.event == event_id).order_by(RotationRound.number)
    )
    groups = await SchoolGroup.select(
        *SchoolGroup.all_columns(),
        SchoolGroup.school.name.as_alias("school_name"),
        SchoolGroup.school.municipality.as_alias("municipality"),
    ).where((SchoolGroup.event == event_id) & (SchoolGroup.status == GroupStatus.registered.value))
    workshops = await Workshop.select(
        *Workshop.all_columns(), Workshop.host.name.as_alias("host_name")
    ).where((Workshop.event == event_id) & (Workshop.status == WorkshopStatus.offered.value))
    group_ids = [g["id"] for g in groups]
    assignments = (
        await RotationAssignment.select().where(RotationAssignment.school_group.is_in(group_ids))
        if group_ids
        else []
    )
    assignments = [a for a in assignments if a["workshop"] in {w["id"] for w in workshops}]
    teachers = {}
    if group_ids:
        for c in await SchoolGroupContact.select().where(
            SchoolGroupContact.school_group.is_in(group_ids) & (SchoolGroupContact.role == "teacher")
        ):
            teachers[c["school_group"]] = c
    return Day(event, rotation, rounds, groups, workshops, assignments, teachers)


async def _loads(event_id: int) -> dict[tuple[int, int], int]:
    day = await load_day(event_id)
    load: dict[tuple[int, int], int] = defaultdict(int)
    for a in day.assignments:
        load[(a["workshop"], a["round"])] += day.groups[a["school_group"]]["pupil_count"]
    return load


# ---------------------------------------------------------------- the rotation


async def _rotation_row(event_id: int) -> dict[str, Any]:
    row = await Rotation.select().where(Rotation.event == event_id).first()
    if row is None:
        await Rotation(event=event_id).save()
        row = await Rotation.select().where(Rotation.event == event_id).first()
    assert row is not None
    return row


async def get_rotation(principal: Principal, event_id: int, emails_queued: int = 0) -> RotationOut:
    await managed_day(principal, event_id)
    day = await load_day(event_id)
    rotation = day.rotation or {}
    load: dict[tuple[int, int], int] = defaultdict(int)
    for a in day.assignments:
        load[(a["workshop"], a["round"])] += day.groups[a["school_group"]]["pupil_count"]
    outcome = rotation.get("last_result")
    if isinstance(outcome, str):
        outcome = json.loads(outcome) if outcome else {}
    return RotationOut(
        event_id=event_id,
        workshops_per_group=day.per_group,
        rounds=[
            RoundOut(number=n, starts_at=r["starts_at"], ends_at=r["ends_at"])
            for n, r in sorted(day.rounds.items())
        ],
        generated_at=rotation.get("generated_at"),
        published_at=rotation.get("published_at"),
        complete=bool(day.groups) and not day.short_groups(),
        outcome=_outcome_out(outcome) if outcome else None,
        assignments=[
            AssignmentOut(
                group_id=a["school_group"], workshop_id=a["workshop"], round=a["round"], locked=a["locked"]
            )
            for a in sorted(day.assignments, key=lambda a: (a["school_group"], a["round"]))
        ],
        load=[
            WorkshopLoad(workshop_id=w, round=r, pupils=p, capacity=day.workshops[w]["capacity"])
            for (w, r), p in sorted(load.items())
        ],
        emails_queued=emails_queued,
    )


def _outcome_out(data: dict[str, Any]) -> SolverOutcome:
    return SolverOutcome(
        status=data["status"],
        proven=data["proven"],
        reasons=data["reasons"],
        short_groups=[ShortGroup(group_id=int(g), missing=m) for g, m in data["short"].items()],
        moves=data["moves"],
        spread=data["spread"],
        seconds=data["seconds"],
    )


async def set_rotation(principal: Principal, event_id: int, data: RotationSettings) -> RotationOut:
    async with write_transaction():
        event = await managed_day(principal, event_id)
        _open_for_changes(event)
        rounds = sorted(data.rounds, key=lambda r: r.starts_at)
        for index, r in enumerate(rounds):
            field = f"rounds[{index}]"
            if r.ends_at <= r.starts_at:
                raise InvalidInput(f"{field}.ends_at", "must be after starts_at")
            if r.starts_at < event["starts_at"] or r.ends_at > event["ends_at"]:
                raise InvalidInput(field, "must lie within the promotion day")
            if index and r.starts_at < rounds[index - 1].ends_at:
                raise InvalidInput(field, "rounds must not overlap")
        if data.workshops_per_group > len(rounds):
            raise InvalidInput("workshops_per_group", f"at most one workshop per round: {len(rounds)} rounds")
        await _rotation_row(event_id)
        await Rotation.update(
            {Rotation.workshops_per_group: data.workshops_per_group, Rotation.updated_at: utcnow()}
        ).where(Rotation.event == event_id)
        await RotationRound.delete().where(RotationRound.event == event_id)
        await RotationRound.insert(
            *(
                RotationRound(event=event_id, number=n, starts_at=r.starts_at, ends_at=r.ends_at)
                for n, r in enumerate(rounds, start=1)
            )
        )
        await RotationAssignment.delete().where(
            RotationAssignment.round > len(rounds),
            RotationAssignment.school_group.is_in(
                SchoolGroup.select(SchoolGroup.id).where(SchoolGroup.event == event_id)
            ),
        )
        queued = await sync(event_id)
    return await get_rotation(principal, event_id, queued)


async def generate(principal: Principal, event_id: int, time_limit: float) -> RotationOut:
    """Solve from the current assignments: locked ones stay, the rest moves as little as possible. The
    solver runs in a thread (it holds no database connection); the result is written only if nothing
    changed meanwhile."""
    event = await managed_day(principal, event_id)
    _open_for_changes(event)
    day = await load_day(event_id)
    if not day.rounds:
        raise Conflict("set the rounds of the rotation first", field="rounds")
    if not day.groups:
        raise Conflict("no school group is registered")
    problem = day.problem(keep_previous=True)
    result = await asyncio.to_thread(solver.solve, problem, time_limit=time_limit, workers=SOLVER_WORKERS)
    summary = {
        "status": result.status,
        "proven": result.proven,
        "reasons": result.reasons,
        "short": {str(g): m for g, m in result.short.items()},
        "moves": result.moves,
        "spread": result.spread,
        "seconds": round(result.seconds, 3),
    }
    async with write_transaction():
        if _fingerprint(await load_day(event_id)) != _fingerprint(day):
            raise Conflict(
                "groups, workshops or locks changed while the rotation was computed; generate again"
            )
        locked = {(a["school_group"], a["round"]) for a in day.assignments if a["locked"]}
        if result.status != "infeasible":
            group_ids = list(day.groups)
            await RotationAssignment.delete().where(
                RotationAssignment.school_group.is_in(group_ids) & (RotationAssignment.locked == False)  # noqa: E712
            )
            fresh = [p for p in result.placements if (p.group, p.round) not in locked]
            if fresh:
                await RotationAssignment.insert(
                    *(
                        RotationAssignment(school_group=p.group, workshop=p.workshop, round=p.round)
                        for p in fresh
                    )
                )
        await _rotation_row(event_id)
        await Rotation.update(
            {
                Rotation.generated_at: utcnow(),
                Rotation.last_result: json.dumps(summary),
                Rotation.updated_at: utcnow(),
            }
        ).where(Rotation.event == event_id)
        queued = await sync(event_id)
    return await get_rotation(principal, event_id, queued)


def _fingerprint(day: Day) -> str:
    parts = [
        sorted((g["id"], g["level"], g["pupil_count"], g["keep_together"]) for g in day.groups.values()),
        sorted((w["id"], w["capacity"], _levels(w)) for w in day.workshops.values()),
        sorted((a["school_group"], a["workshop"], a["round"], a["locked"]) for a in day.assignments),
        day.per_group,
        len(day.rounds),
    ]
    return hashlib.sha256(json.dumps(parts, default=str).encode()).hexdigest()


async def lock(principal: Principal, event_id: int, data: LockInput) -> RotationOut:
    """Place a group in a workshop for a round by hand, and keep it there through regeneration."""
    async with write_transaction():
        event = await managed_day(principal, event_id)
        _open_for_changes(event)
        day = await load_day(event_id)
        group, workshop = day.groups.get(data.group_id), day.workshops.get(data.workshop_id)
        if group is None:
            raise InvalidInput("group_id", "no registered group of this promotion day")
        if workshop is None:
            raise InvalidInput("workshop_id", "no offered workshop of this promotion day")
        if data.round not in day.rounds:
            raise InvalidInput("round", f"this rotation has {len(day.rounds)} rounds")
        if group["level"] not in _levels(workshop):
            raise Conflict(
                f"{workshop['title_nl']} is not suitable for {group['level']}", field="workshop_id"
            )
        others = [a for a in day.assignments if a["school_group"] == group["id"] and a["round"] != data.round]
        if any(a["workshop"] == workshop["id"] for a in others):
            raise Conflict("the group visits this workshop in another round already", field="workshop_id")
        load = sum(
            day.groups[a["school_group"]]["pupil_count"]
            for a in day.assignments
            if a["workshop"] == workshop["id"]
            and a["round"] == data.round
            and a["school_group"] != group["id"]
        )
        if load + group["pupil_count"] > workshop["capacity"]:
            left = workshop["capacity"] - load
            raise Conflict(
                f"round {data.round} of {workshop['title_nl']} has {left} places left, "
                f"the group has {group['pupil_count']} pupils",
                field="workshop_id",
            )
        await RotationAssignment.delete().where(
            (RotationAssignment.school_group == group["id"]) & (RotationAssignment.round == data.round)
        )
        if len(others) >= day.per_group:  # make room: drop the group's latest unlocked visit
            spare = [a for a in others if not a["locked"]]
            if not spare:
                raise Conflict("all of this group's visits are locked already", field="round")
            await RotationAssignment.delete().where(RotationAssignment.id == spare[-1]["id"])
        await RotationAssignment(
            school_group=group["id"], workshop=workshop["id"], round=data.round, locked=True
        ).save()
        queued = await sync(event_id)
    return await get_rotation(principal, event_id, queued)


async def unlock(principal: Principal, event_id: int, group_id: int, round_number: int) -> RotationOut:
    async with write_transaction():
        await managed_day(principal, event_id)
        group = await SchoolGroup.select(SchoolGroup.event).where(SchoolGroup.id == group_id).first()
        if group is None or group["event"] != event_id:
            raise NotFound("school group")
        changed = (
            await RotationAssignment.update({RotationAssignment.locked: False})
            .where(
                (RotationAssignment.school_group == group_id)
                & (RotationAssignment.round == round_number)
                & (RotationAssignment.locked == True)  # noqa: E712
            )
            .returning(RotationAssignment.id)
        )
        if not changed:
            raise NotFound("lock")
    return await get_rotation(principal, event_id)


async def publish(principal: Principal, event_id: int) -> RotationOut:
    async with write_transaction():
        event = await managed_day(principal, event_id)
        _open_for_changes(event)
        if event["status"] != EventStatus.published.value:
            raise Conflict("publish the promotion day itself first")
        day = await load_day(event_id)
        if not day.groups:
            raise Conflict("no school group is registered")
        short = day.short_groups()
        if short:
            names = ", ".join(
                f"{day.groups[g]['school_name']} {day.groups[g]['class_name']} ({m} missing)"
                for g, m in short.items()
            )
            raise Conflict(f"not every group has its {day.per_group} workshops: {names}; generate again")
        await _rotation_row(event_id)
        await Rotation.update({Rotation.published_at: utcnow(), Rotation.updated_at: utcnow()}).where(
            (Rotation.event == event_id) & Rotation.published_at.is_null()
        )
        queued = await sync(event_id)
    return await get_rotation(principal, event_id, queued)


# ---------------------------------------------------------------- telling teachers and hosts


def _digest(value: Any) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True, default=str).encode()).hexdigest()


async def sync(event_id: int) -> int:
    """Once the rotation is published, every complete state of it is sent: each teacher whose group's
    schedule changed gets it again (SEQUENCE + 1), each host whose visitors changed gets its list. An
    incomplete state (a withdrawn workshop, a group that grew) waits for the organiser to regenerate."""
    rotation = await Rotation.select(Rotation.published_at).where(Rotation.event == event_id).first()
    if rotation is None or rotation["published_at"] is None:
        return 0
    day = await load_day(event_id)
    if day.short_groups():
        return 0
    queued = 0
    for group in day.groups.values():
        queued += await _sync_group(day, group)
    for workshop in day.workshops.values():
        queued += await _sync_host(day, workshop)
    return queued


def _group_digest(day: Day, group: dict[str, Any]) -> str:
    teacher = day.teachers.get(group["id"]) or {}
    event = day.event
    return _digest(
        {
            "teacher": [teacher.get("email"), teacher.get("name"), teacher.get("language")],
            "event": [event["title"], event["venue"], event["address"], event["municipality"]],
            "group": [group["class_name"], group["level"], group["pupil_count"]],
            "visits": [
                [getattr(v, f) for f in v.__struct_fields__ if f != "locked"]
                for v in day.visits_of_group(group["id"])
            ],
        }
    )


def _time_range(starts_at: datetime, ends_at: datetime) -> str:
    return f"{local(starts_at):%H:%M}–{local(ends_at):%H:%M}"


def group_calendar_entry(
    day: Day, group: dict[str, Any], sequence: int, language: str, cancelled: bool
) -> ical.CalendarEntry:
    settings = MailSettings.settings
    visits = day.visits_of_group(group["id"])
    title_key = "title_nl" if language == "nl" else "title_en"
    lines = [
        f"{v.round}. {_time_range(v.starts_at, v.ends_at)} {getattr(v, title_key)} ({v.host_name})"
        + (f", {v.place}" if v.place else "")
        for v in visits
    ]
    event = day.event
    starts = min((v.starts_at for v in visits), default=event["starts_at"])
    ends = max((v.ends_at for v in visits), default=event["ends_at"])
    return ical.CalendarEntry(
        uid=f"school-group-{group['id']}@{settings.host}",
        sequence=sequence,
        title=f"{event['title']}: {group['class_name']}",
        starts_at=starts,
        ends_at=ends,
        location=calendar_location(event),
        description="\n".join(lines),
        category="PROMOTION-DAY",
        cancelled=cancelled,
    )


def _group_email_context(day: Day, group: dict[str, Any], language: str, changed: bool) -> dict[str, Any]:
    title_key = "title_nl" if language == "nl" else "title_en"
    return {
        "event": event_context(day.event, language),
        "group": {
            "class_name": group["class_name"],
            "school_name": group["school_name"],
            "level": LEVEL_LABELS[language][group["level"]],
            "pupil_count": group["pupil_count"],
        },
        "visits": [
            {
                "round": v.round,
                "time": _time_range(v.starts_at, v.ends_at),
                "title": getattr(v, title_key),
                "host": v.host_name,
                "place": v.place,
            }
            for v in day.visits_of_group(group["id"])
        ],
        "changed": changed,
    }


async def _sync_group(day: Day, group: dict[str, Any]) -> int:
    teacher = day.teachers.get(group["id"])
    if teacher is None or not teacher["email"]:
        return 0
    digest = _group_digest(day, group)
    if digest == group["schedule_digest"]:
        return 0
    changed = group["schedule_digest"] is not None
    sequence = group["calendar_sequence"] + (1 if changed else 0)
    language = teacher["language"]
    await SchoolGroup.update(
        {SchoolGroup.schedule_digest: digest, SchoolGroup.calendar_sequence: sequence}
    ).where(SchoolGroup.id == group["id"])
    row = await queue_email(
        "rotation_schedule",
        f"school_group {group['id']}:sequence {sequence}",
        "rotation_schedule_to_teacher",
        Recipient.of(teacher, None),
        _group_email_context(day, group, language, changed),
        event_id=day.event["id"],
        calendar=group_calendar_entry(day, group, sequence, language, cancelled=False),
    )
    return 1 if row else 0


async def _queue_group_cancel(
    event: dict[str, Any], group_row: dict[str, Any], *, replaced: bool = False
) -> None:
    """The teacher's calendar entry is cancelled with the same UID and a higher SEQUENCE."""
    day = await load_day(event["id"])
    teacher = (
        await SchoolGroupContact.select()
        .where((SchoolGroupContact.school_group == group_row["id"]) & (SchoolGroupContact.role == "teacher"))
        .first()
    )
    if teacher is None or not teacher["email"]:
        return
    school = (
        await Organisation.select(Organisation.name).where(Organisation.id == group_row["school"]).first()
    )
    group = {**group_row, "school_name": school["name"] if school else ""}
    sequence = group_row["calendar_sequence"] + 1
    language = teacher["language"]
    context = {**_group_email_context(day, group, language, True), "visits": [], "replaced": replaced}
    await SchoolGroup.update({SchoolGroup.calendar_sequence: sequence}).where(
        SchoolGroup.id == group_row["id"]
    )
    await queue_email(
        "rotation_cancelled",
        f"school_group {group_row['id']}:sequence {sequence}",
        "rotation_cancelled_to_teacher",
        Recipient.of(teacher, None),
        context,
        event_id=event["id"],
        calendar=group_calendar_entry(day, group, sequence, language, cancelled=True),
    )


async def _sync_host(day: Day, workshop: dict[str, Any]) -> int:
    if workshop["contact"] is None:
        return 0
    visits = day.visits_of_workshop(workshop["id"])
    event = day.event
    digest = _digest(
        {
            "contact": workshop["contact"],
            "event": [event["title"], event["venue"], event["address"], event["municipality"]],
            "workshop": [workshop["title_nl"], workshop["title_en"], workshop["place"], workshop["capacity"]],
            "rounds": [[r["starts_at"], r["ends_at"]] for _, r in sorted(day.rounds.items())],
            "visits": [[getattr(v, f) for f in v.__struct_fields__] for v in visits],
        }
    )
    if digest == workshop["schedule_digest"] or (workshop["schedule_digest"] is None and not visits):
        return 0
    person = await Person.select().where(Person.id == workshop["contact"]).first()
    if person is None:
        return 0
    changed = workshop["schedule_digest"] is not None
    version = workshop["schedule_sequence"] + (1 if changed else 0)
    language = person["language"] if person["language"] in ("nl", "en") else "nl"
    by_round: dict[int, list[HostVisitOut]] = defaultdict(list)
    for v in visits:
        by_round[v.round].append(v)
    context = {
        **_workshop_context(day.event, workshop, language),
        "rounds": [
            {
                "round": number,
                "time": _time_range(r["starts_at"], r["ends_at"]),
                "pupils": sum(v.pupil_count for v in by_round[number]),
                "groups": [
                    {
                        "school_name": v.school_name,
                        "class_name": v.class_name,
                        "level": LEVEL_LABELS[language][v.level.value],
                        "pupil_count": v.pupil_count,
                        "supervisor_count": v.supervisor_count,
                    }
                    for v in by_round[number]
                ],
            }
            for number, r in sorted(day.rounds.items())
        ],
        "changed": changed,
    }
    await Workshop.update({Workshop.schedule_digest: digest, Workshop.schedule_sequence: version}).where(
        Workshop.id == workshop["id"]
    )
    row = await queue_email(
        "workshop_schedule",
        f"workshop {workshop['id']}:version {version}",
        "workshop_schedule_to_host",
        Recipient.of(person, person["id"], language),
        context,
        event_id=day.event["id"],
        calendar=workshop_calendar_entry(day, workshop, version, language, cancelled=False),
    )
    return 1 if row else 0


def _workshop_context(event: dict[str, Any], workshop: dict[str, Any], language: str) -> dict[str, Any]:
    return {
        "event": event_context(event, language),
        "workshop": {
            "title": workshop["title_nl"] if language == "nl" else workshop["title_en"],
            "place": workshop["place"],
            "capacity": workshop["capacity"],
        },
    }


def workshop_calendar_entry(
    day: Day, workshop: dict[str, Any], sequence: int, language: str, cancelled: bool
) -> ical.CalendarEntry:
    """The host's entry for a workshop: one UID per workshop (so per host and day), from the first round
    to the last, at the venue and the workshop's place; who comes in each round in the description."""
    settings = MailSettings.settings
    event = day.event
    rounds = sorted(day.rounds.items())
    by_round: dict[int, list[str]] = defaultdict(list)
    for v in day.visits_of_workshop(workshop["id"]):
        by_round[v.round].append(f"{v.class_name} ({v.school_name}, {v.pupil_count})")
    lines = [
        f"{n}. {_time_range(r['starts_at'], r['ends_at'])}: {'; '.join(by_round[n]) or '-'}"
        for n, r in rounds
    ]
    title = workshop["title_nl"] if language == "nl" else workshop["title_en"]
    return ical.CalendarEntry(
        uid=f"workshop-{workshop['id']}@{settings.host}",
        sequence=sequence,
        title=f"{event['title']}: {title}",
        starts_at=min((r["starts_at"] for _, r in rounds), default=event["starts_at"]),
        ends_at=max((r["ends_at"] for _, r in rounds), default=event["ends_at"]),
        location=", ".join(p for p in (calendar_location(event), workshop["place"]) if p),
        description="\n".join(lines),
        category="PROMOTION-DAY",
        cancelled=cancelled,
    )


async def _queue_workshop_cancel(event: dict[str, Any], workshop: dict[str, Any], reason: str) -> bool:
    """The host's calendar entry is cancelled with the same UID and a higher SEQUENCE, when the day is
    cancelled (`reason` "day"), the workshop withdrawn ("withdrawn") or another contact takes it over
    ("replaced"; the digest stays, so `sync` sends the new contact the schedule at a higher SEQUENCE still).
    Only a contact who was sent the schedule is told."""
    if workshop["contact"] is None or workshop["schedule_digest"] is None:
        return False
    person = await Person.select().where(Person.id == workshop["contact"]).first()
    if person is None:
        return False
    day = await load_day(event["id"])
    sequence = workshop["schedule_sequence"] + 1
    language = person["language"] if person["language"] in ("nl", "en") else "nl"
    values: dict[Any, Any] = {Workshop.schedule_sequence: sequence}
    if reason != "replaced":
        values[Workshop.schedule_digest] = None
    await Workshop.update(values).where(Workshop.id == workshop["id"])
    await queue_email(
        "workshop_cancelled",
        f"workshop {workshop['id']}:sequence {sequence}",
        "workshop_cancelled_to_host",
        Recipient.of(person, person["id"], language),
        {**_workshop_context(event, workshop, language), "reason": reason},
        event_id=event["id"],
        calendar=workshop_calendar_entry(day, workshop, sequence, language, cancelled=True),
    )
    return True


# ---------------------------------------------------------------- retention and counts


# Cancels a told teacher's or host's calendar entry: (event row, group or workshop row).
_Cancel = Callable[[dict[str, Any], dict[str, Any]], Awaitable[object]]


async def send_due_updates(now: datetime) -> int:
    """Scheduler job: what changed outside this domain reaches teachers and hosts too. A published rotation
    of a day to come is synced (a renamed or moved venue changes the schedules' digests); a cancelled day
    cancels every teacher's and every host's calendar entry. Idempotent: digests and the cleared digest
    make a second tick send nothing."""
    sent = 0
    live = await Event.select(Event.id).where(
        (Event.kind == EventKind.promotion_day.value)
        & (Event.status == EventStatus.published.value)
        & (Event.ends_at > now)
        & Event.id.is_in(Rotation.select(Rotation.event).where(Rotation.published_at.is_not_null()))
    )
    for row in live:
        async with write_transaction():
            sent += await sync(row["id"])
    cancelled_days = Event.select(Event.id).where(
        (Event.kind == EventKind.promotion_day.value) & (Event.status == EventStatus.cancelled.value)
    )
    cancels: tuple[tuple[type[SchoolGroup] | type[Workshop], _Cancel], ...] = (
        (SchoolGroup, _queue_group_cancel),
        (Workshop, partial(_queue_workshop_cancel, reason="day")),
    )
    for table, cancel in cancels:
        told = await table.select(table.id).where(
            table.schedule_digest.is_not_null() & table.event.is_in(cancelled_days)
        )
        for row in told:
            async with write_transaction():
                current = await table.select().where(table.id == row["id"]).first()
                event = await Event.select().where(Event.id == current["event"]).first() if current else None
                if current is None or event is None or current["schedule_digest"] is None:
                    continue
                await cancel(event, current)
                await table.update({table.schedule_digest: None}).where(table.id == current["id"])
                sent += 1
    return sent


async def remove_expired_contacts(now: datetime) -> int:
    """Scheduler job: teacher and supervisor details (and accessibility notes) go a set time after the
    day ends, and so do the addresses and bodies of the schedule emails sent to them; counts stay."""
    cutoff = now - timedelta(days=retention_days())
    expired = Event.select(Event.id).where(
        (Event.kind == EventKind.promotion_day.value) & (Event.ends_at < cutoff)
    )
    rows = await SchoolGroup.select(SchoolGroup.id, SchoolGroup.event).where(
        SchoolGroup.event.is_in(expired) & SchoolGroup.contacts_removed_at.is_null()
    )
    if not rows:
        return 0
    group_ids = [r["id"] for r in rows]
    event_ids = sorted({r["event"] for r in rows})
    async with write_transaction():
        await SchoolGroupContact.delete().where(SchoolGroupContact.school_group.is_in(group_ids))
        await SchoolGroup.update(
            {SchoolGroup.accessibility_needs: "", SchoolGroup.contacts_removed_at: now}
        ).where(SchoolGroup.id.is_in(group_ids))
        await OutboxMessage.update(
            {
                OutboxMessage.recipient_email: "",
                OutboxMessage.recipient_name: "",
                OutboxMessage.text_body: None,
                OutboxMessage.html_body: None,
                OutboxMessage.ics: None,
            }
        ).where(
            OutboxMessage.event.is_in(event_ids)
            & OutboxMessage.kind.is_in(["rotation_schedule", "rotation_cancelled"])
            & OutboxMessage.status.is_in(["sent", "failed", "withdrawn", "held"])
        )
    return len(group_ids)


async def pupils_reached(principal: Principal, event_id: int) -> PupilsReached:
    """What the ledger counts: pupils of registered groups that had their visits, by school, level,
    the school's municipality and host (a group counts once per host it visited)."""
    await managed_day(principal, event_id)
    day = await load_day(event_id)
    visited = {a["school_group"] for a in day.assignments}
    groups = [g for g in day.groups.values() if g["id"] in visited]

    def tally(keys: list[tuple[str, dict[str, Any]]]) -> list[ReachedCount]:
        pupils: dict[str, int] = defaultdict(int)
        count: dict[str, int] = defaultdict(int)
        for key, g in keys:
            pupils[key] += g["pupil_count"]
            count[key] += 1
        return [ReachedCount(key=k, pupils=pupils[k], groups=count[k]) for k in sorted(pupils)]

    hosts = {
        (day.workshops[a["workshop"]]["host_name"], a["school_group"])
        for a in day.assignments
        if a["workshop"] in day.workshops
    }
    return PupilsReached(
        event_id=event_id,
        pupils=sum(g["pupil_count"] for g in groups),
        groups=len(groups),
        by_school=tally([(g["school_name"], g) for g in groups]),
        by_level=tally([(g["level"], g) for g in groups]),
        by_municipality=tally([(g["municipality"] or "", g) for g in groups]),
        by_host=tally([(host, day.groups[gid]) for host, gid in sorted(hosts)]),
    )
