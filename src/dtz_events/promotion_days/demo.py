"""Demo data of a promotion day: workshops of the demo's manufacturers, groups of its schools, rounds, and
a generated (not yet published) rotation. Idempotent: a day that has workshops is left alone."""

from __future__ import annotations

from datetime import timedelta

from dtz_events.core.auth import Principal
from dtz_events.events.tables import Event
from dtz_events.partners.tables import Organisation, Person
from dtz_events.promotion_days import services
from dtz_events.promotion_days.schemas import (
    Level,
    RotationSettings,
    RoundIn,
    SchoolGroupCreate,
    SupervisorIn,
    TeacherIn,
    WorkshopCreate,
)
from dtz_events.promotion_days.tables import Workshop

WORKSHOPS = [
    ("Lassen met een lasrobot", "Welding with a robot", [Level.vmbo, Level.mbo], 30, "Hal 2"),
    (
        "CNC-frezen: van tekening tot product",
        "CNC milling: from drawing to product",
        [Level.vmbo, Level.havo_vwo, Level.mbo],
        24,
        "Werkplaats",
    ),
    (
        "Kunststof recyclen in de fabriek",
        "Recycling plastics in the factory",
        [Level.primary_7_8, Level.vmbo, Level.havo_vwo],
        40,
        "Lab",
    ),
    (
        "Programmeer een productierobot",
        "Program a production robot",
        [Level.primary_7_8, Level.vmbo, Level.havo_vwo, Level.mbo],
        30,
        "Hal 1",
    ),
    ("Proefjes met waterstof", "Hydrogen experiments", [Level.havo_vwo, Level.mbo], 24, "Proceshal"),
    ("Bouw een brug van staal", "Build a steel bridge", [Level.primary_7_8, Level.vmbo], 36, "Montagehal"),
]
GROUPS = [
    ("3 vmbo-t A", Level.vmbo, 24),
    ("3 vmbo-t B", Level.vmbo, 22),
    ("2 havo", Level.havo_vwo, 24),
    ("groep 8", Level.primary_7_8, 26),
    ("MBO Techniek 1", Level.mbo, 18),
]


async def demo_promotion_days(admin: Principal, event_id: int) -> int:
    """Fill the promotion day `event_id`; returns how many groups it registered (0 when done before)."""
    if await Workshop.count().where(Workshop.event == event_id):
        return 0
    companies = (
        await Organisation.select(Organisation.id)
        .where(Organisation.kind == "company")
        .order_by(Organisation.id)
    )
    schools = (
        await Organisation.select(Organisation.id, Organisation.name)
        .where(Organisation.kind == "school")
        .order_by(Organisation.id)
    )
    if not companies or not schools:
        return 0
    for index, (title_nl, title_en, levels, capacity, place) in enumerate(WORKSHOPS):
        host = companies[index % len(companies)]["id"]
        contact = await Person.select(Person.id).where(Person.organisation == host).first()
        await services.create_workshop(
            admin,
            event_id,
            WorkshopCreate(
                title_nl=title_nl,
                title_en=title_en,
                capacity=capacity,
                levels=levels,
                place=place,
                host_id=host,
                contact_person_id=contact["id"] if contact else None,
            ),
        )
    registered = 0
    for index, (class_name, level, pupils) in enumerate(GROUPS):
        school = schools[index % len(schools)]
        domain = school["name"].lower().replace(" ", "").replace("-", "")
        await services.create_group(
            admin,
            event_id,
            SchoolGroupCreate(
                class_name=class_name,
                level=level,
                pupil_count=pupils,
                teacher=TeacherIn(name="Docent " + class_name, email=f"docent{index + 1}@{domain}.example"),
                supervisors=[SupervisorIn(name="Begeleider " + class_name)],
                school_id=school["id"],
            ),
        )
        registered += 1
    event = await Event.select(Event.starts_at).where(Event.id == event_id).first()
    assert event is not None
    first = event["starts_at"] + timedelta(hours=1)
    rounds = [
        RoundIn(starts_at=first + timedelta(minutes=60 * n), ends_at=first + timedelta(minutes=60 * n + 45))
        for n in range(3)
    ]
    await services.set_rotation(admin, event_id, RotationSettings(workshops_per_group=3, rounds=rounds))
    await services.generate(admin, event_id, time_limit=5)
    return registered
