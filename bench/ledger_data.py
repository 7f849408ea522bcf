"""Years of cooperation history in a migrated PostgreSQL database, written with COPY: a reusable generator.

    from ledger_data import Volume, generate
    counts = asyncio.run(generate("postgresql://postgres@127.0.0.1:5432/scratch", Volume(years=4)))

Organisations (kinds weighted as in the region, helix from the kind, in the cooperation's municipalities),
about three people each, events of every kind spread over `years` up to today with programmes and themes,
registrations (a few organisations are much more active than most: Zipf-like weights), check-ins, one survey
per event with wave-0 responses and follow-up waves whose outcomes only climb the ladder, reported contacts
with organisations present at the same event, held 1:1 meetings at network meetings, and on promotion days
school groups, workshops and their rotation. Deterministic for a given seed. Needs an empty, migrated
database (`dtz-events migrate`); touches nothing else."""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

KINDS = [
    ("company", "business", 55),
    ("starter", "business", 10),
    ("other", "business", 3),
    ("school", "education", 15),
    ("knowledge_institution", "education", 5),
    ("municipality", "government", 8),
    ("province", "government", 2),
    ("programme", "government", 2),
]
MUNICIPALITIES = ["Emmen", "Coevorden", "Hoogeveen", "Hardenberg", "Borger-Odoorn", "Assen"]
PROGRAMMES = [
    ("chemical-cluster-emmen", "Chemical Cluster Emmen"),
    ("smart-industry-hub", "Smart Industry Hub"),
    ("it-hub", "IT Hub"),
    ("regiocampus", "Regiocampus"),
    ("ik-ben-drents-ondernemer", "Ik Ben Drents Ondernemer"),
]
THEMES = [
    ("energietransitie", "Energietransitie", "Energy transition"),
    ("circulaire-economie", "Circulaire economie", "Circular economy"),
    ("digitalisering", "Digitalisering", "Digitalisation"),
    ("vakmanschap-en-onderwijs", "Vakmanschap en onderwijs", "Craftsmanship and education"),
    ("internationalisering", "Internationalisering", "Internationalisation"),
]
OUTCOMES = ["contact", "follow_up", "joint_project", "agreement", "hire_or_internship"]
LEVELS = ["primary_7_8", "vmbo", "havo_vwo", "mbo"]


@dataclass(frozen=True)
class Volume:
    """How much history: the defaults are the ledger benchmark's four years."""

    organisations: int = 1_000
    events: int = 2_000
    registrations: int = 100_000
    check_ins: int = 60_000
    survey_responses: int = 30_000
    meetings: int = 3_000
    years: int = 4
    people_per_organisation: int = 3
    followup_share: float = 0.2  # of the survey responses, answers to a follow-up wave
    seed: int = 20261130


@dataclass
class Generated:
    counts: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0


async def generate(url: str, volume: Volume = Volume(), now: datetime | None = None) -> Generated:
    """Write the history into the database at `url`; returns the row count per table."""
    import time

    import asyncpg

    started = time.perf_counter()
    rnd = random.Random(volume.seed)
    now = now or datetime.now(UTC)
    out = Generated()
    conn = await asyncpg.connect(url)
    try:
        async with conn.transaction():
            await _write(conn, rnd, volume, now, out.counts)
        await conn.execute("ANALYZE")
    finally:
        await conn.close()
    out.seconds = time.perf_counter() - started
    return out


async def _copy(
    conn: Any, table: str, columns: list[str], rows: list[tuple[Any, ...]], counts: dict[str, int]
) -> None:
    if rows:
        await conn.copy_records_to_table(table, records=rows, columns=columns)
    counts[table] = counts.get(table, 0) + len(rows)


async def _ids(conn: Any, table: str) -> list[int]:
    return [r["id"] for r in await conn.fetch(f"SELECT id FROM {table} ORDER BY id")]


async def _write(conn: Any, rnd: random.Random, v: Volume, now: datetime, counts: dict[str, int]) -> None:
    # Tags
    await _copy(conn, "programme", ["slug", "name_nl", "name_en"], [(s, n, n) for s, n in PROGRAMMES], counts)
    await _copy(conn, "theme", ["slug", "name_nl", "name_en"], THEMES, counts)
    programmes, themes = await _ids(conn, "programme"), await _ids(conn, "theme")

    # Organisations and people
    kinds = [k for k, _, w in KINDS for _ in range(w)]
    helix = {k: h for k, h, _ in KINDS}
    org_rows = []
    for i in range(v.organisations):
        kind = rnd.choice(kinds)
        org_rows.append((f"Organisatie {i + 1:04d} {kind}", kind, helix[kind], rnd.choice(MUNICIPALITIES)))
    await _copy(conn, "organisation", ["name", "kind", "helix", "municipality"], org_rows, counts)
    orgs = await _ids(conn, "organisation")
    org_kind = {o: org_rows[i][1] for i, o in enumerate(orgs)}
    person_rows = []
    for o in orgs:
        for j in range(v.people_per_organisation):
            person_rows.append(
                (f"Deelnemer {o}-{j}", f"p{o}-{j}@org{o}.example", o, rnd.choice(["nl", "nl", "en"]))
            )
    await _copy(conn, "person", ["name", "email", "organisation", "language"], person_rows, counts)
    people = await _ids(conn, "person")
    person_org = {p: person_rows[i][2] for i, p in enumerate(people)}
    # A few organisations are far more active than most.
    weights = [1.0 / (rank + 10) for rank in range(len(people))]
    rnd.shuffle(weights)

    # Events over the years, up to a week ago
    span = timedelta(days=365 * v.years)
    event_rows = []
    for i in range(v.events):
        start = (now - timedelta(days=7) - span * rnd.random()).replace(minute=0, second=0, microsecond=0)
        kind = rnd.choices(["network_meeting", "promotion_day", "board_session"], [45, 45, 10])[0]
        event_rows.append(
            (
                kind,
                f"Bijeenkomst {i + 1}",
                rnd.choice(MUNICIPALITIES),
                start,
                start + timedelta(hours=3),
                "partners",
                "completed",
                rnd.choice(programmes) if rnd.random() < 0.8 else None,
                f"bench-event-{i + 1}@ledger.example",
            )
        )
    columns = [
        "kind",
        "title",
        "municipality",
        "starts_at",
        "ends_at",
        "visibility",
        "status",
        "programme",
        "calendar_uid",
    ]
    await _copy(conn, "event", columns, event_rows, counts)
    events = await _ids(conn, "event")
    event_start = {e: event_rows[i][3] for i, e in enumerate(events)}
    event_kind = {e: event_rows[i][0] for i, e in enumerate(events)}
    theme_rows = [(e, t) for e in events for t in rnd.sample(themes, rnd.choice([0, 1, 1, 2]))]
    await _copy(conn, "event_theme", ["event", "theme"], theme_rows, counts)

    # Registrations and check-ins
    per_event = _split(v.registrations, len(events), rnd)
    check_share = v.check_ins / v.registrations if v.registrations else 0
    reg_rows = []
    for e, n in zip(events, per_event, strict=True):
        chosen = _weighted_sample(rnd, people, weights, min(n, len(people)))
        for p in chosen:
            checked = (
                event_start[e] + timedelta(minutes=rnd.randint(-20, 40))
                if rnd.random() < check_share
                else None
            )
            reg_rows.append(
                (e, p, person_org[p], "confirmed", "accepted", event_start[e] - timedelta(days=14), checked)
            )
    columns = ["event", "person", "organisation", "status", "rsvp", "queued_at", "checked_in_at"]
    await _copy(conn, "registration", columns, reg_rows, counts)
    regs = await conn.fetch(
        "SELECT id, event, person, organisation, checked_in_at FROM registration ORDER BY id"
    )
    present: dict[int, list[Any]] = {}
    for r in regs:
        if r["checked_in_at"] is not None:
            present.setdefault(r["event"], []).append(r)

    # Surveys: one per event; wave-0 responses from people checked in, then follow-up waves
    await _copy(conn, "survey", ["event"], [(e,) for e in events], counts)
    survey_of = {r["event"]: r["id"] for r in await conn.fetch("SELECT id, event FROM survey")}
    checked = [r for rs in present.values() for r in rs]
    n_followups = int(v.survey_responses * v.followup_share)
    wave0 = rnd.sample(checked, min(v.survey_responses - n_followups, len(checked)))
    invitations: list[tuple[Any, ...]] = []
    contacts_of: dict[int, list[tuple[int, int]]] = {}  # registration -> [(other org, rank)]
    for r in wave0:
        others = [x["organisation"] for x in present[r["event"]] if x["organisation"] != r["organisation"]]
        picked = rnd.sample(sorted(set(others)), min(len(set(others)), rnd.choice([0, 1, 1, 2, 2, 3])))
        contacts_of[r["id"]] = [(o, rnd.choices(range(5), [50, 25, 12, 8, 5])[0]) for o in picked]
    followers = [r for r in wave0 if contacts_of[r["id"]]]
    followups = [(r, rnd.choice([3, 6, 12])) for r in rnd.sample(followers, min(n_followups, len(followers)))]
    waves = [(r, 0) for r in wave0] + followups
    for r, wave in waves:
        sent = event_start[r["event"]] + timedelta(days=30 * wave, hours=2)
        invitations.append(
            (
                survey_of[r["event"]],
                r["id"],
                r["organisation"],
                wave,
                sent,
                sent + timedelta(days=14),
                sent + timedelta(days=1),
            )
        )
    columns = ["survey", "registration", "organisation", "wave", "sent_at", "closes_at", "responded_at"]
    await _copy(conn, "survey_invitation", columns, invitations, counts)
    inv_rows = await conn.fetch(
        "SELECT id, registration, wave, responded_at FROM survey_invitation ORDER BY id"
    )
    response_rows, contact_rows = [], []
    by_reg = {r["id"]: r for r in regs}
    for inv in inv_rows:
        reg = by_reg[inv["registration"]]
        key = hashlib.sha256(f"bench-response:{inv['id']}".encode()).hexdigest()
        response_rows.append(
            (
                survey_of[reg["event"]],
                inv["id"],
                key,
                inv["wave"],
                '{"overall": 4}',
                inv["responded_at"],
                inv["responded_at"],
            )
        )
        for other, rank in contacts_of.get(reg["id"], []):
            if inv["wave"] > 0:
                rank = min(4, rank + rnd.choice([0, 0, 1, 1, 2]))  # follow-ups only climb
            contact_rows.append(
                (
                    inv["id"],
                    reg["event"],
                    reg["organisation"],
                    other,
                    OUTCOMES[rank],
                    inv["wave"],
                    inv["responded_at"],
                    inv["responded_at"],
                )
            )
    columns = ["survey", "invitation", "respondent_key", "wave", "answers", "submitted_at", "updated_at"]
    await _copy(conn, "survey_response", columns, response_rows, counts)
    columns = ["invitation", "event", "reporter", "other", "outcome", "wave", "reported_at", "updated_at"]
    await _copy(conn, "reported_contact", columns, contact_rows, counts)

    # Held 1:1 meetings at network meetings, each from an accepted request
    network = [e for e in events if event_kind[e] == "network_meeting" and len(present.get(e, [])) >= 2]
    pairs = []
    for _ in range(v.meetings if network else 0):
        e = rnd.choice(network)
        a, b = rnd.sample(present[e], 2)
        pairs.append((e, a["person"], b["person"]))
    request_rows = [(e, a, b, "accepted", event_start[e]) for e, a, b in pairs]
    await _copy(
        conn,
        "meeting_request",
        ["event", "requester", "recipient", "status", "expires_at"],
        request_rows,
        counts,
    )
    requests = await _ids(conn, "meeting_request")
    meeting_rows = [
        (
            e,
            req,
            a,
            b,
            "scheduled",
            event_start[e] + timedelta(minutes=30),
            event_start[e] + timedelta(minutes=50),
            True,
        )
        for (e, a, b), req in zip(pairs, requests, strict=True)
    ]
    columns = ["event", "request", "person_a", "person_b", "status", "starts_at", "ends_at", "held"]
    await _copy(conn, "meeting", columns, meeting_rows, counts)

    # Promotion days: school groups of schools, workshops of companies, three workshops per group
    schools = [o for o in orgs if org_kind[o] == "school"]
    hosts = [o for o in orgs if helix[org_kind[o]] == "business"]
    days = [e for e in events if event_kind[e] == "promotion_day"]
    group_rows, workshop_rows = [], []
    for e in days:
        for _ in range(rnd.randint(2, 6)):
            group_rows.append(
                (
                    e,
                    rnd.choice(schools),
                    f"Klas {rnd.randint(1, 4)}{rnd.choice('abc')}",
                    rnd.choice(LEVELS),
                    rnd.randint(12, 30),
                    "registered",
                )
            )
        for host in rnd.sample(hosts, 4):
            workshop_rows.append((e, host, "Werkplaats", "Workshop", 30, "offered"))
    await _copy(
        conn,
        "school_group",
        ["event", "school", "class_name", "level", "pupil_count", "status"],
        group_rows,
        counts,
    )
    await _copy(
        conn,
        "workshop",
        ["event", "host", "title_nl", "title_en", "capacity", "status"],
        workshop_rows,
        counts,
    )
    groups = await conn.fetch("SELECT id, event FROM school_group")
    workshops: dict[int, list[int]] = {}
    for w in await conn.fetch("SELECT id, event FROM workshop"):
        workshops.setdefault(w["event"], []).append(w["id"])
    assignment_rows = [
        (g["id"], w, i + 1) for g in groups for i, w in enumerate(rnd.sample(workshops[g["event"]], 3))
    ]
    await _copy(conn, "rotation_assignment", ["school_group", "workshop", "round"], assignment_rows, counts)


def _split(total: int, parts: int, rnd: random.Random) -> list[int]:
    """`total` spread over `parts`, unevenly (events differ in size), summing exactly to `total`."""
    raw = [rnd.uniform(0.3, 1.7) for _ in range(parts)]
    scale = total / sum(raw)
    sizes = [int(x * scale) for x in raw]
    for i in range(total - sum(sizes)):
        sizes[i % parts] += 1
    return sizes


def _weighted_sample(rnd: random.Random, items: list[int], weights: list[float], k: int) -> list[int]:
    """k different items, drawn by weight (Efraimidis-Spirakis keys)."""
    keyed = sorted(items, key=lambda i: -(rnd.random() ** (1.0 / weights[i % len(weights)])))
    return keyed[:k]
