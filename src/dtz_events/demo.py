"""Realistic Dutch TechZone demo data, loaded through the services so every rule applies. Idempotent: each
item is looked up by its natural key (slug, organisation name or KvK number, email address, event title)
and only created when missing, so a second run creates nothing.

The companies and all people are invented; every email address is on a reserved `.example` domain, so no
real mailbox ever receives demo mail."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import TypeVar

import msgspec
from piccolo.custom_types import Combinable

from dtz_events.accounts.schemas import AccountCreate
from dtz_events.accounts.services import create_account, get_account
from dtz_events.accounts.tables import Account
from dtz_events.board.demo import demo_board
from dtz_events.cooperation.demo import demo_cooperation
from dtz_events.core.auth import Principal, Role
from dtz_events.core.clock import utcnow
from dtz_events.core.schemas import Input
from dtz_events.events.schemas import EventCreate, EventKind, EventStatus
from dtz_events.events.services import create_event, publish_event
from dtz_events.events.tables import Event
from dtz_events.matchmaking.demo import demo_matchmaking
from dtz_events.partners.schemas import OrganisationCreate, OrganisationKind, PersonCreate, TagCreate
from dtz_events.partners.services import create_organisation, create_person, create_tag
from dtz_events.partners.tables import Organisation, Person, Programme, Theme
from dtz_events.promotion_days.demo import demo_promotion_days
from dtz_events.registrations.services import register, set_quota
from dtz_events.registrations.tables import Quota, Registration
from dtz_events.settings import Settings

DEMO_PASSWORD = "dtz-demo-password"  # noqa: S105 - the published password of the demo logins

# ---------------------------------------------------------------- reference data

# slug, Dutch name, English name
PROGRAMMES: tuple[tuple[str, str, str], ...] = (
    ("chemical-cluster-emmen", "Chemical Cluster Emmen", "Chemical Cluster Emmen"),
    ("smart-industry-hub", "Smart Industry Hub", "Smart Industry Hub"),
    ("it-hub", "IT Hub", "IT Hub"),
    ("regiocampus", "Regiocampus", "Regional Campus"),
    ("ik-ben-drents-ondernemer", "Ik Ben Drents Ondernemer", "I Am a Drenthe Entrepreneur"),
)
THEMES: tuple[tuple[str, str, str], ...] = (
    ("energietransitie", "Energietransitie", "Energy transition"),
    ("circulaire-economie", "Circulaire economie", "Circular economy"),
    ("digitalisering", "Digitalisering", "Digitalisation"),
    ("vakmanschap-en-onderwijs", "Vakmanschap en onderwijs", "Craftsmanship and education"),
    ("internationalisering", "Internationalisering", "Internationalisation"),
)


@dataclass(frozen=True, slots=True)
class DemoOrganisation:
    name: str
    kind: OrganisationKind
    municipality: str
    domain: str
    # name, mailbox (before the @), language, job title
    people: tuple[tuple[str, str, str, str], ...]
    kvk_number: str | None = None
    programmes: tuple[str, ...] = ()
    themes: tuple[str, ...] = ()


_GOV = OrganisationKind.municipality
_COMPANY = OrganisationKind.company
_SCHOOL = OrganisationKind.school
_PROGRAMME = OrganisationKind.programme

GOVERNMENT: tuple[DemoOrganisation, ...] = (
    DemoOrganisation(
        "Gemeente Emmen",
        _GOV,
        "Emmen",
        "emmen.example",
        (
            ("Harm Lubbers", "h.lubbers", "nl", "wethouder Economische Zaken"),
            ("Petra Schuiling", "p.schuiling", "nl", "beleidsadviseur economie"),
            ("Jeroen Hilbrands", "j.hilbrands", "nl", "accountmanager bedrijven"),
        ),
        themes=("energietransitie", "vakmanschap-en-onderwijs"),
    ),
    DemoOrganisation(
        "Gemeente Coevorden",
        _GOV,
        "Coevorden",
        "coevorden.example",
        (
            ("Gerda Wever", "g.wever", "nl", "wethouder Economische Zaken"),
            ("Martin Zwiers", "m.zwiers", "nl", "accountmanager bedrijven"),
        ),
        themes=("internationalisering",),
    ),
    DemoOrganisation(
        "Gemeente Hoogeveen",
        _GOV,
        "Hoogeveen",
        "hoogeveen.example",
        (
            ("Albert Kroeze", "a.kroeze", "nl", "wethouder Economische Zaken"),
            ("Sanne Oosting", "s.oosting", "nl", "beleidsadviseur economie"),
        ),
    ),
    DemoOrganisation(
        "Gemeente Hardenberg",
        _GOV,
        "Hardenberg",
        "hardenberg.example",
        (
            ("Wim Nijboer", "w.nijboer", "nl", "wethouder Economische Zaken"),
            ("Ilse Wessels", "i.wessels", "nl", "bedrijfscontactfunctionaris"),
        ),
    ),
    DemoOrganisation(
        "Provincie Drenthe",
        OrganisationKind.province,
        "Assen",
        "drenthe.example",
        (
            ("Henk Oldenhuis", "h.oldenhuis", "nl", "gedeputeerde Economie"),
            ("Marieke Tiemens", "m.tiemens", "nl", "programmamanager MKB"),
        ),
        programmes=("ik-ben-drents-ondernemer",),
    ),
    DemoOrganisation(
        "Ministerie van Economische Zaken",
        OrganisationKind.ministry,
        "Den Haag",
        "minez.example",
        (
            ("Eva van Dijk", "e.vandijk", "nl", "regioaccounthouder Noord-Nederland"),
            ("Ruben Postma", "r.postma", "nl", "beleidsmedewerker industrie"),
        ),
    ),
)

MANUFACTURERS: tuple[DemoOrganisation, ...] = (
    DemoOrganisation(
        "Metaalbewerking Coevorden B.V.",
        _COMPANY,
        "Coevorden",
        "metaalbewerking-coevorden.example",
        (
            ("Inge Mulder", "inge.mulder", "nl", "HR- en opleidingscoördinator"),
            ("Bert Hoving", "bert.hoving", "nl", "productieleider"),
            ("Kees Lanting", "kees.lanting", "nl", "werkplaatsopleider"),
        ),
        kvk_number="04123457",
        programmes=("smart-industry-hub", "regiocampus"),
        themes=("digitalisering", "vakmanschap-en-onderwijs"),
    ),
    DemoOrganisation(
        "Northern Fibre Technologies Emmen B.V.",
        _COMPANY,
        "Emmen",
        "northernfibre.example",
        (
            ("Sarah Thompson", "sarah.thompson", "en", "plant manager"),
            ("Daniel Fischer", "daniel.fischer", "en", "process engineering lead"),
            ("Anouk Veldman", "anouk.veldman", "nl", "HR business partner"),
        ),
        kvk_number="04231568",
        programmes=("chemical-cluster-emmen",),
        themes=("energietransitie", "internationalisering"),
    ),
    DemoOrganisation(
        "Emmer Polymeren B.V.",
        _COMPANY,
        "Emmen",
        "emmerpolymeren.example",
        (
            ("Johan Brink", "j.brink", "nl", "directeur"),
            ("Laura Kowalski", "l.kowalski", "en", "R&D chemist"),
        ),
        kvk_number="04312679",
        programmes=("chemical-cluster-emmen",),
        themes=("circulaire-economie",),
    ),
    DemoOrganisation(
        "Nieuw-Amsterdam Staalconstructies B.V.",
        _COMPANY,
        "Emmen",
        "na-staal.example",
        (
            ("Gert Kuiper", "g.kuiper", "nl", "eigenaar"),
            ("Femke Seinen", "f.seinen", "nl", "werkvoorbereider"),
        ),
        kvk_number="04421780",
        programmes=("smart-industry-hub",),
        themes=("vakmanschap-en-onderwijs",),
    ),
    DemoOrganisation(
        "Schoonebeek Procestechniek B.V.",
        _COMPANY,
        "Coevorden",
        "schoonebeek-procestechniek.example",
        (
            ("Roelof Engberts", "r.engberts", "nl", "technisch directeur"),
            ("Lisa Koops", "l.koops", "nl", "projectingenieur"),
        ),
        kvk_number="04532891",
        programmes=("chemical-cluster-emmen",),
        themes=("energietransitie",),
    ),
    DemoOrganisation(
        "Dalen Elektrotechniek B.V.",
        _COMPANY,
        "Coevorden",
        "dalen-elektro.example",
        (
            ("Erik Lamberts", "e.lamberts", "nl", "bedrijfsleider"),
            ("Mirjam Dekker", "m.dekker", "nl", "planner"),
        ),
        kvk_number="04643902",
        programmes=("it-hub",),
        themes=("digitalisering", "energietransitie"),
    ),
    DemoOrganisation(
        "Hoogeveen Precisietechniek B.V.",
        _COMPANY,
        "Hoogeveen",
        "hoogeveen-precisie.example",
        (
            ("Niels Bruins", "n.bruins", "nl", "algemeen directeur"),
            ("Tamara Wolters", "t.wolters", "nl", "kwaliteitsmanager"),
            ("Dennis Boer", "d.boer", "nl", "CNC-programmeur"),
        ),
        kvk_number="04754013",
        programmes=("smart-industry-hub",),
        themes=("digitalisering",),
    ),
    DemoOrganisation(
        "Drentse Machinebouw B.V.",
        _COMPANY,
        "Hoogeveen",
        "drentsemachinebouw.example",
        (
            ("Arjan Hofstede", "a.hofstede", "nl", "directeur"),
            ("Monique Jonker", "m.jonker", "nl", "commercieel manager"),
        ),
        kvk_number="04865124",
        programmes=("smart-industry-hub", "ik-ben-drents-ondernemer"),
        themes=("internationalisering",),
    ),
    DemoOrganisation(
        "Lastechniek Hollandscheveld B.V.",
        _COMPANY,
        "Hoogeveen",
        "lastechniek-hollandscheveld.example",
        (
            ("Jan Prins", "jan.prins", "nl", "eigenaar"),
            ("Ricardo Huisman", "ricardo.huisman", "nl", "leermeester lassen"),
        ),
        kvk_number="04976235",
        programmes=("regiocampus", "ik-ben-drents-ondernemer"),
        themes=("vakmanschap-en-onderwijs",),
    ),
    DemoOrganisation(
        "Vechtdal Kunststoffen B.V.",
        _COMPANY,
        "Hardenberg",
        "vechtdal-kunststoffen.example",
        (
            ("Hendrik Slot", "h.slot", "nl", "operationeel directeur"),
            ("Joyce Scholten", "j.scholten", "nl", "duurzaamheidscoördinator"),
        ),
        kvk_number="05087346",
        programmes=("smart-industry-hub",),
        themes=("circulaire-economie",),
    ),
    DemoOrganisation(
        "Hardenberg Leidingsystemen B.V.",
        _COMPANY,
        "Hardenberg",
        "hardenberg-leidingsystemen.example",
        (
            ("Thomas Reinders", "t.reinders", "nl", "productiemanager"),
            ("Michael Brennan", "m.brennan", "en", "export sales manager"),
        ),
        kvk_number="05198457",
        themes=("internationalisering", "circulaire-economie"),
    ),
    DemoOrganisation(
        "Bergentheim Composieten B.V.",
        _COMPANY,
        "Hardenberg",
        "bergentheim-composieten.example",
        (
            ("Willem Stoel", "w.stoel", "nl", "directeur-eigenaar"),
            ("Esther Meijerink", "e.meijerink", "nl", "engineer"),
        ),
        kvk_number="05209568",
        programmes=("ik-ben-drents-ondernemer",),
        themes=("circulaire-economie", "energietransitie"),
    ),
)

EDUCATION: tuple[DemoOrganisation, ...] = (
    DemoOrganisation(
        "Drenthe College",
        _SCHOOL,
        "Emmen",
        "drenthecollege.example",
        (
            ("Cor Bakker", "c.bakker", "nl", "docent mechatronica"),
            ("Yvonne Hulst", "y.hulst", "nl", "teamleider techniek"),
        ),
        programmes=("regiocampus",),
        themes=("vakmanschap-en-onderwijs",),
    ),
    DemoOrganisation(
        "Alfa-college",
        _SCHOOL,
        "Hoogeveen",
        "alfa-college.example",
        (
            ("Peter Smeenge", "p.smeenge", "nl", "docent werktuigbouwkunde"),
            ("Hanneke Bos", "h.bos", "nl", "praktijkopleider"),
        ),
        programmes=("regiocampus",),
        themes=("vakmanschap-en-onderwijs",),
    ),
    DemoOrganisation(
        "Vechtdal College",
        _SCHOOL,
        "Hardenberg",
        "vechtdalcollege.example",
        (
            ("Marco Eshuis", "m.eshuis", "nl", "docent techniek vmbo"),
            ("Karin Pieters", "k.pieters", "nl", "decaan"),
        ),
        themes=("vakmanschap-en-onderwijs",),
    ),
    DemoOrganisation(
        "Esdal College",
        _SCHOOL,
        "Emmen",
        "esdalcollege.example",
        (
            ("Rik Hummel", "r.hummel", "nl", "docent PIE"),
            ("Linda Timmer", "l.timmer", "nl", "decaan"),
        ),
        themes=("vakmanschap-en-onderwijs",),
    ),
    DemoOrganisation(
        "NHL Stenden Hogeschool Emmen",
        OrganisationKind.knowledge_institution,
        "Emmen",
        "nhlstenden.example",
        (
            ("Dr. Frank Meijer", "frank.meijer", "nl", "lector Smart Industry"),
            ("Olga Nowak", "olga.nowak", "en", "researcher circular plastics"),
        ),
        programmes=("smart-industry-hub", "chemical-cluster-emmen"),
        themes=("circulaire-economie", "digitalisering"),
    ),
)

PROGRAMME_OFFICES: tuple[DemoOrganisation, ...] = (
    DemoOrganisation(
        "Dutch TechZone",
        _PROGRAMME,
        "Emmen",
        "dutchtechzone.example",
        (
            ("Marloes Kamphuis", "m.kamphuis", "nl", "programmamanager"),
            ("Jesse Hendriks", "j.hendriks", "nl", "evenementencoördinator"),
        ),
        themes=tuple(slug for slug, _, _ in THEMES),
    ),
    DemoOrganisation(
        "Chemical Cluster Emmen",
        _PROGRAMME,
        "Emmen",
        "chemicalclusteremmen.example",
        (
            ("Bas Drenth", "b.drenth", "nl", "clustermanager"),
            ("Emily Carter", "e.carter", "en", "investment officer"),
        ),
        programmes=("chemical-cluster-emmen",),
        themes=("energietransitie", "circulaire-economie"),
    ),
    DemoOrganisation(
        "Smart Industry Hub",
        _PROGRAMME,
        "Hoogeveen",
        "smartindustryhub.example",
        (
            ("Tim Lenters", "t.lenters", "nl", "hubmanager"),
            ("Noor Ensing", "n.ensing", "nl", "adviseur digitalisering"),
        ),
        programmes=("smart-industry-hub",),
        themes=("digitalisering",),
    ),
    DemoOrganisation(
        "IT Hub",
        _PROGRAMME,
        "Emmen",
        "ithub.example",
        (
            ("Sven Zuidema", "s.zuidema", "nl", "coördinator"),
            ("Fleur Gerritsen", "f.gerritsen", "nl", "community manager"),
        ),
        programmes=("it-hub",),
        themes=("digitalisering",),
    ),
    DemoOrganisation(
        "Regiocampus",
        _PROGRAMME,
        "Coevorden",
        "regiocampus.example",
        (
            ("Wendy Koster", "w.koster", "nl", "projectleider techniekpromotie"),
            ("Hans Lubbers", "hans.lubbers", "nl", "verbinder onderwijs-bedrijfsleven"),
        ),
        programmes=("regiocampus",),
        themes=("vakmanschap-en-onderwijs",),
    ),
    DemoOrganisation(
        "Ik Ben Drents Ondernemer",
        _PROGRAMME,
        "Assen",
        "ikbendrentsondernemer.example",
        (
            ("Annemiek Boels", "a.boels", "nl", "ondernemerscoach"),
            ("Rutger Venema", "r.venema", "nl", "adviseur innovatie"),
        ),
        programmes=("ik-ben-drents-ondernemer",),
        themes=("internationalisering",),
    ),
)

ORGANISATIONS: tuple[DemoOrganisation, ...] = GOVERNMENT + MANUFACTURERS + EDUCATION + PROGRAMME_OFFICES

COORDINATED_PARTNER = "Metaalbewerking Coevorden B.V."

# email, name, role, organisation (partner coordinators only)
ADMIN_EMAIL = "beheer@dutchtechzone.example"
ACCOUNTS: tuple[tuple[str, str, Role, str | None], ...] = (
    (ADMIN_EMAIL, "Beheer Dutch TechZone", Role.admin, None),
    ("organisator@dutchtechzone.example", "Jesse Hendriks", Role.organiser, None),
    ("secretaris@dutchtechzone.example", "Marloes Kamphuis", Role.board_secretary, None),
    (
        "inge.mulder@metaalbewerking-coevorden.example",
        "Inge Mulder",
        Role.partner_coordinator,
        COORDINATED_PARTNER,
    ),
)

# ---------------------------------------------------------------- events


@dataclass(frozen=True, slots=True)
class DemoEvent:
    kind: EventKind
    title: str
    description: str
    venue: str
    address: str
    municipality: str
    weeks_ahead: int
    weekday: int  # Monday is 0
    starts: time
    ends: time
    capacity: int | None = None
    closes_days_before: int | None = None
    programme: str | None = None
    themes: tuple[str, ...] = ()


PROMOTION_DAY = DemoEvent(
    kind=EventKind.promotion_day,
    title="Techniekdag Dutch TechZone",
    description=(
        "Leerlingen van het voortgezet onderwijs maken kennis met de maakindustrie in de regio: "
        "workshops lassen, CNC-frezen en robotica bij bedrijven op het Europark, rondleidingen en "
        "gesprekken met jonge vakmensen. Scholen melden groepen aan met een begeleidende docent."
    ),
    venue="Bedrijventerrein Europark",
    address="Europark, Coevorden",
    municipality="Coevorden",
    weeks_ahead=6,
    weekday=3,
    starts=time(9, 0),
    ends=time(15, 0),
    capacity=250,
    closes_days_before=7,
    programme="regiocampus",
    themes=("vakmanschap-en-onderwijs",),
)
NETWORK_MEETING = DemoEvent(
    kind=EventKind.network_meeting,
    title="Netwerkbijeenkomst Smart Industry: slim produceren in de maakindustrie",
    description=(
        "Maakbedrijven uit Emmen, Coevorden, Hoogeveen en Hardenberg delen hoe zij digitalisering en "
        "automatisering inzetten. Met pitches van de Smart Industry Hub, 1-op-1 matchmaking en een "
        "netwerkborrel."
    ),
    venue="NHL Stenden Hogeschool Emmen",
    address="Van Schaikweg, Emmen",
    municipality="Emmen",
    weeks_ahead=3,
    weekday=1,
    starts=time(15, 30),
    ends=time(19, 0),
    capacity=80,
    closes_days_before=2,
    programme="smart-industry-hub",
    themes=("digitalisering", "energietransitie"),
)
BOARD_SESSION = DemoEvent(
    kind=EventKind.board_session,
    title="Bestuurlijk Overleg DTZ",
    description=(
        "Bestuurlijk Overleg van de Dutch TechZone: voortgang van de Strategische Koers, de "
        "programma's en de regionale acquisitiestrategie."
    ),
    venue="Gemeentehuis Hoogeveen",
    address="Raadhuisplein, Hoogeveen",
    municipality="Hoogeveen",
    weeks_ahead=5,
    weekday=4,
    starts=time(14, 0),
    ends=time(16, 0),
)
EVENTS: tuple[DemoEvent, ...] = (PROMOTION_DAY, NETWORK_MEETING, BOARD_SESSION)

# event title -> organisation name -> seats reserved for that partner
QUOTAS: dict[str, dict[str, int]] = {NETWORK_MEETING.title: {COORDINATED_PARTNER: 4}}

# event title -> email addresses to register; board sessions invite every municipality's and the province's
# people (see _invitees)
REGISTRATIONS: dict[str, tuple[str, ...]] = {
    PROMOTION_DAY.title: (
        "c.bakker@drenthecollege.example",
        "p.smeenge@alfa-college.example",
        "m.eshuis@vechtdalcollege.example",
        "r.hummel@esdalcollege.example",
        "kees.lanting@metaalbewerking-coevorden.example",
        "ricardo.huisman@lastechniek-hollandscheveld.example",
        "w.koster@regiocampus.example",
    ),
    NETWORK_MEETING.title: (
        "inge.mulder@metaalbewerking-coevorden.example",
        "bert.hoving@metaalbewerking-coevorden.example",
        "sarah.thompson@northernfibre.example",
        "daniel.fischer@northernfibre.example",
        "n.bruins@hoogeveen-precisie.example",
        "a.hofstede@drentsemachinebouw.example",
        "h.slot@vechtdal-kunststoffen.example",
        "m.brennan@hardenberg-leidingsystemen.example",
        "e.lamberts@dalen-elektro.example",
        "frank.meijer@nhlstenden.example",
        "t.lenters@smartindustryhub.example",
        "j.hilbrands@emmen.example",
    ),
}
BOARD_KINDS = (OrganisationKind.municipality, OrganisationKind.province)

# ---------------------------------------------------------------- loading

S = TypeVar("S", bound=Input)


def _checked(data: S) -> S:
    """Decode the data as strictly as the API decodes a request body, so demo data meets the same rules."""
    return msgspec.json.decode(msgspec.json.encode(data), type=type(data), strict=True)


def person_email(organisation: DemoOrganisation, mailbox: str) -> str:
    return f"{mailbox}@{organisation.domain}"


async def _ensure_tags(tally: Counter[str]) -> None:
    for table, rows, label in ((Programme, PROGRAMMES, "programmes"), (Theme, THEMES, "themes")):
        for slug, name_nl, name_en in rows:
            if not await table.exists().where(table.slug == slug):
                await create_tag(table, _checked(TagCreate(slug=slug, name_nl=name_nl, name_en=name_en)))
                tally[label] += 1


async def _ensure_organisation(spec: DemoOrganisation, tally: Counter[str]) -> int:
    same: Combinable = Organisation.name == spec.name
    if spec.kvk_number:
        same |= Organisation.kvk_number == spec.kvk_number
    found = await Organisation.select(Organisation.id).where(same).first()
    if found:
        return int(found["id"])
    data = OrganisationCreate(
        name=spec.name,
        kind=spec.kind,
        municipality=spec.municipality,
        kvk_number=spec.kvk_number,
        programmes=list(spec.programmes),
        themes=list(spec.themes),
    )
    tally["organisations"] += 1
    return (await create_organisation(_checked(data))).id


async def _ensure_people(
    admin: Principal, spec: DemoOrganisation, organisation_id: int, tally: Counter[str]
) -> dict[str, int]:
    ids = {}
    for name, mailbox, language, job_title in spec.people:
        email = person_email(spec, mailbox)
        found = await Person.select(Person.id).where(Person.email == email).first()
        if found:
            ids[email] = int(found["id"])
            continue
        data = PersonCreate(
            name=name, email=email, organisation_id=organisation_id, language=language, job_title=job_title
        )
        ids[email] = (await create_person(admin, _checked(data))).id
        tally["people"] += 1
    return ids


async def _ensure_account(
    email: str, name: str, role: Role, organisation_id: int | None, tally: Counter[str]
) -> Principal:
    found = await Account.select(Account.id).where(Account.email == email).first()
    if found:
        account = await get_account(int(found["id"]))
    else:
        data = AccountCreate(
            email=email, name=name, role=role, password=DEMO_PASSWORD, organisation_id=organisation_id
        )
        account = await create_account(_checked(data))
        tally["accounts"] += 1
    return Principal(
        account_id=account.id,
        role=account.role,
        name=account.name,
        email=account.email,
        language=account.language,
        organisation_id=account.organisation_id,
    )


async def _ensure_accounts(organisations: dict[str, int], tally: Counter[str]) -> None:
    for email, name, role, organisation in ACCOUNTS:
        organisation_id = organisations[organisation] if organisation else None
        await _ensure_account(email, name, role, organisation_id, tally)


def _local_moment(settings: Settings, day: date, at: time) -> datetime:
    return datetime.combine(day, at, tzinfo=settings.tz)


def _event_day(settings: Settings, spec: DemoEvent) -> date:
    """The given weekday in the week `weeks_ahead` weeks from today, so the event stays upcoming."""
    day = utcnow().astimezone(settings.tz).date() + timedelta(weeks=spec.weeks_ahead)
    return day + timedelta(days=(spec.weekday - day.weekday()) % 7)


def _event_create(settings: Settings, spec: DemoEvent) -> EventCreate:
    day = _event_day(settings, spec)
    starts_at = _local_moment(settings, day, spec.starts)
    closes_at = None
    if spec.closes_days_before is not None:
        closes_at = _local_moment(settings, day - timedelta(days=spec.closes_days_before), time(17, 0))
    return EventCreate(
        kind=spec.kind,
        title=spec.title,
        description=spec.description,
        venue=spec.venue,
        address=spec.address,
        municipality=spec.municipality,
        starts_at=starts_at,
        ends_at=_local_moment(settings, day, spec.ends),
        capacity=spec.capacity,
        registration_closes_at=closes_at,
        programme=spec.programme,
        themes=list(spec.themes),
    )


async def _ensure_event(admin: Principal, settings: Settings, spec: DemoEvent, tally: Counter[str]) -> int:
    found = (
        await Event.select(Event.id, Event.status)
        .where((Event.title == spec.title) & (Event.kind == spec.kind.value))
        .first()
    )
    if found:
        event_id, status = int(found["id"]), found["status"]
    else:
        event = await create_event(admin, _checked(_event_create(settings, spec)), settings.host)
        event_id, status = event.id, event.status.value
        tally["events"] += 1
    if status == EventStatus.draft.value:
        await publish_event(admin, event_id)
        tally["published"] += 1
    return event_id


async def _ensure_quotas(
    admin: Principal, events: dict[str, int], organisations: dict[str, int], tally: Counter[str]
) -> None:
    for title, seats_by_partner in QUOTAS.items():
        for organisation, seats in seats_by_partner.items():
            event_id, organisation_id = events[title], organisations[organisation]
            if await Quota.exists().where(
                (Quota.event == event_id) & (Quota.organisation == organisation_id)
            ):
                continue
            await set_quota(admin, event_id, organisation_id, seats)
            tally["quotas"] += 1


def _invitees() -> tuple[str, ...]:
    return tuple(
        person_email(spec, mailbox)
        for spec in ORGANISATIONS
        if spec.kind in BOARD_KINDS
        for _, mailbox, _, _ in spec.people
    )


async def _ensure_registrations(
    admin: Principal, event_id: int, emails: tuple[str, ...], people: dict[str, int], tally: Counter[str]
) -> None:
    """Register whoever of `emails` has no registration yet (in any status: a cancellation stays)."""
    event = await Event.select(Event.status).where(Event.id == event_id).first()
    if event is None or event["status"] != EventStatus.published.value:
        return
    known = {
        r["person"]
        for r in await Registration.select(Registration.person).where(Registration.event == event_id)
    }
    missing = [people[e] for e in emails if people[e] not in known]
    if missing:
        await register(admin, event_id, missing, "person_ids")
        tally["registrations"] += len(missing)


# tally key, what the summary calls one of them
_SUMMARY_LABELS = (
    ("programmes", "programme"),
    ("themes", "theme"),
    ("organisations", "organisation"),
    ("people", "person"),
    ("accounts", "account"),
    ("events", "event"),
    ("published", "event published"),
    ("quotas", "quota"),
    ("registrations", "registration"),
)


def _summary(tally: Counter[str]) -> str:
    if not tally:
        head = "Dutch TechZone demo data already present: nothing created."
    else:
        parts = [
            f"{tally[key]} {key if tally[key] != 1 else one}" for key, one in _SUMMARY_LABELS if tally[key]
        ]
        head = "Dutch TechZone demo data loaded: " + ", ".join(parts) + "."
    logins = [f"  {role.value:<20} {email}" for email, _, role, _ in ACCOUNTS]
    return "\n".join([head, f"Demo logins (password: {DEMO_PASSWORD}):", *logins])


async def load_demo(settings: Settings) -> str:
    """Fill the database with demo data through the services; returns a short summary with the logins."""
    tally: Counter[str] = Counter()
    admin_email, admin_name, admin_role, _ = ACCOUNTS[0]
    admin = await _ensure_account(admin_email, admin_name, admin_role, None, tally)
    if admin.role is not Role.admin:
        raise RuntimeError(f"{admin_email} exists but is not an admin account; demo data not loaded")
    await _ensure_tags(tally)
    organisations: dict[str, int] = {}
    people: dict[str, int] = {}
    for spec in ORGANISATIONS:
        organisations[spec.name] = await _ensure_organisation(spec, tally)
        people |= await _ensure_people(admin, spec, organisations[spec.name], tally)
    await _ensure_accounts(organisations, tally)
    events = {spec.title: await _ensure_event(admin, settings, spec, tally) for spec in EVENTS}
    await _ensure_quotas(admin, events, organisations, tally)
    registrations = {**REGISTRATIONS, BOARD_SESSION.title: _invitees()}
    for title, emails in registrations.items():
        await _ensure_registrations(admin, events[title], emails, people, tally)
    await demo_promotion_days(admin, events[PROMOTION_DAY.title])
    await demo_board(admin, events[BOARD_SESSION.title])
    await demo_matchmaking(admin, events[NETWORK_MEETING.title])
    await demo_cooperation()
    return _summary(tally)
