"""Demo data of the board: the Bestuurlijk Overleg DTZ as the cooperation keeps it (the four municipalities
Emmen, Coevorden, Hoogeveen and Hardenberg, the Province of Drenthe, a business and an education seat),
each seat with a member and a deputy from the demo's (invented) people; the agenda of the demo session,
and which seat each invited member fills. Idempotent: seats are looked up by name, the agenda is set
once, and a seat is filled once."""

from __future__ import annotations

from dtz_events.board import services
from dtz_events.board.schemas import (
    AgendaIn,
    AgendaItemIn,
    Document,
    ItemKind,
    MembershipCreate,
    SeatRole,
)
from dtz_events.board.tables import AgendaItem, BoardInvitation, BoardMembership, BoardSession
from dtz_events.core.auth import Principal
from dtz_events.core.clock import utcnow
from dtz_events.core.db import write_transaction
from dtz_events.events.schemas import EventStatus
from dtz_events.events.tables import Event
from dtz_events.partners.tables import Organisation, Person
from dtz_events.registrations.schemas import RegistrationStatus
from dtz_events.registrations.tables import Registration

# seat, organisation, member's email, deputy's email, role
SEATS: tuple[tuple[str, str, str, str, SeatRole], ...] = (
    (
        "Gemeente Emmen",
        "Gemeente Emmen",
        "h.lubbers@emmen.example",
        "p.schuiling@emmen.example",
        SeatRole.chair,
    ),
    (
        "Gemeente Coevorden",
        "Gemeente Coevorden",
        "g.wever@coevorden.example",
        "m.zwiers@coevorden.example",
        SeatRole.member,
    ),
    (
        "Gemeente Hoogeveen",
        "Gemeente Hoogeveen",
        "a.kroeze@hoogeveen.example",
        "s.oosting@hoogeveen.example",
        SeatRole.member,
    ),
    (
        "Gemeente Hardenberg",
        "Gemeente Hardenberg",
        "w.nijboer@hardenberg.example",
        "i.wessels@hardenberg.example",
        SeatRole.member,
    ),
    (
        "Provincie Drenthe",
        "Provincie Drenthe",
        "h.oldenhuis@drenthe.example",
        "m.tiemens@drenthe.example",
        SeatRole.member,
    ),
    (
        "Bedrijfsleven",
        "Bergentheim Composieten B.V.",
        "w.stoel@bergentheim-composieten.example",
        "t.reinders@metaalbewerking-coevorden.example",
        SeatRole.member,
    ),
    (
        "Onderwijs",
        "Drenthe College",
        "y.hulst@drenthecollege.example",
        "frank.meijer@nhlstenden.example",
        SeatRole.member,
    ),
)

AGENDA = (
    AgendaItemIn(title="Opening en vaststellen agenda", kind=ItemKind.information, minutes_allotted=5),
    AgendaItemIn(title="Verslag vorig overleg", kind=ItemKind.decision, minutes_allotted=10),
    AgendaItemIn(
        title="Strategische Koers 2022-2025: voortgang maakindustrie en vakmanschap",
        kind=ItemKind.discussion,
        presenter="Programmabureau Dutch TechZone",
        minutes_allotted=30,
        documents=[Document(title="Voortgangsrapportage", url="https://dutchtechzone.nl/strategische-koers")],
    ),
    AgendaItemIn(
        title="Regionale acquisitiestrategie en marketingplan",
        kind=ItemKind.decision,
        presenter="Provincie Drenthe",
        minutes_allotted=30,
    ),
    AgendaItemIn(
        title="Smart Industry Hub en Chemical Cluster Emmen",
        kind=ItemKind.information,
        minutes_allotted=15,
    ),
    AgendaItemIn(title="Rondvraag en sluiting", kind=ItemKind.information, minutes_allotted=10),
)


async def _person(email: str) -> int | None:
    row = await Person.select(Person.id).where(Person.email == email).first()
    return None if row is None else int(row["id"])


async def _organisation(name: str) -> int | None:
    row = await Organisation.select(Organisation.id).where(Organisation.name == name).first()
    return None if row is None else int(row["id"])


async def demo_board(admin: Principal, session_event_id: int) -> int:
    """The board's seats, the session's agenda and its invitations; returns how many seats were added."""
    added = 0
    for seat, organisation, member_email, deputy_email, role in SEATS:
        if await BoardMembership.exists().where(BoardMembership.seat == seat):
            continue
        member, deputy = await _person(member_email), await _person(deputy_email)
        if member is None:
            continue  # the demo's people were changed; leave the seat out rather than guess
        await services.create_membership(
            admin,
            MembershipCreate(
                seat=seat,
                member_id=member,
                deputy_id=deputy,
                organisation_id=await _organisation(organisation),
                role=role,
            ),
        )
        added += 1
    event = await Event.select(Event.status, Event.starts_at).where(Event.id == session_event_id).first()
    if event is None or event["starts_at"] <= utcnow():
        return added
    if not await AgendaItem.exists().where(AgendaItem.session.event == session_event_id):
        await services.set_agenda(admin, session_event_id, AgendaIn(items=list(AGENDA)))
    if event["status"] == EventStatus.published.value:
        await _seat_the_invited(session_event_id)
    return added


async def _seat_the_invited(event_id: int) -> None:
    """The demo registers the government partners' people for the session (invited, with the plain
    invitation); a seat's member among them is recorded as filling that seat. The business and education
    seats are left for the secretary to invite (POST .../invitations), so the demo shows undecided seats."""
    async with write_transaction():
        session = await services.session_row(event_id)
        seated = {
            r["membership"]
            for r in await BoardInvitation.select(BoardInvitation.membership).where(
                BoardInvitation.session == session["id"]
            )
        }
        memberships = await BoardMembership.select().where(BoardMembership.active.eq(True))
        for membership in memberships:
            if membership["id"] in seated:
                continue
            registration = (
                await Registration.select(Registration.id)
                .where(
                    (Registration.event == event_id)
                    & (Registration.person == membership["member"])
                    & (Registration.status == RegistrationStatus.invited.value)
                )
                .first()
            )
            if registration is not None:
                await BoardInvitation.insert(
                    BoardInvitation(
                        session=session["id"], membership=membership["id"], registration=registration["id"]
                    )
                )
        if session["invitations_sent_at"] is None:
            await BoardSession.update({BoardSession.invitations_sent_at: utcnow()}).where(
                BoardSession.id == session["id"]
            )
