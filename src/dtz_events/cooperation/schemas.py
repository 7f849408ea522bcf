from __future__ import annotations

from datetime import date
from enum import StrEnum

from dtz_events.core.schemas import Output
from dtz_events.events.schemas import EventKind

# The outcome ladder of surveys.schemas.Outcome; a held 1:1 meeting counts as the first rung (contact).
LADDER = ("contact", "follow_up", "joint_project", "agreement", "hire_or_internship")
HELIXES = ("business", "education", "government")
HELIX_PAIRS = (
    "business-business",
    "business-education",
    "business-government",
    "education-education",
    "education-government",
    "government-government",
)


class Basis(StrEnum):
    """Which links count: every link (also 'attended together' and 'met'), or only those one side reported
    in a survey, or only those both sides reported."""

    all = "all"
    reported = "reported"
    confirmed = "confirmed"


class LinkStatus(StrEnum):
    observed = "observed"  # attended together, a held 1:1 meeting or a workshop; nobody reported it
    reported = "reported"  # one side named the other in a survey
    confirmed = "confirmed"  # both sides did


class Source(StrEnum):
    attended = "attended"
    meeting = "meeting"
    workshop = "workshop"
    survey = "survey"


class Selection(Output):
    """The filters a figure was computed with, echoed in every answer."""

    period: str
    start: date
    end: date  # exclusive
    municipality: str | None = None
    programme: str | None = None
    theme: str | None = None
    kind: EventKind | None = None
    organisation_id: int | None = None
    links: Basis = Basis.all


class HelixCount(Output):
    helix: str
    count: int


class ActiveOrganisations(Output):
    selection: Selection
    total: int
    by_helix: list[HelixCount]


class QuarterCount(Output):
    quarter: str  # "2026-Q1"
    new: int  # links that first appeared in this quarter
    reported: int  # ... of which reported by exactly one side
    confirmed: int  # ... of which reported by both


class NewLinks(Output):
    selection: Selection
    total: int
    quarters: list[QuarterCount]


class HelixCell(Output):
    pair: str  # "business-education"
    helix_a: str
    helix_b: str
    links: int
    reported: int
    confirmed: int


class HelixMatrix(Output):
    selection: Selection
    total: int
    cells: list[HelixCell]


class Rung(Output):
    outcome: str
    links: int  # links that reached at least this rung


class Move(Output):
    from_outcome: str
    to_outcome: str
    links: int


class Funnel(Output):
    selection: Selection
    rungs: list[Rung]
    moved_up: int
    moves: list[Move]


class PupilRow(Output):
    school_id: int
    school: str
    municipality: str | None
    level: str
    groups: int
    pupils: int


class Pupils(Output):
    selection: Selection
    available: bool  # False while the promotion-day tables do not exist
    total: int
    rows: list[PupilRow]
    by_municipality: list[HelixCount]  # helix field holds the municipality name
    by_level: list[HelixCount]


class PartnerActivity(Output):
    organisation_id: int
    name: str
    helix: str
    municipality: str | None
    events: int  # events with at least one person checked in
    people: int  # different people checked in
    links: int  # organisations linked with
    reported: int
    confirmed: int
    outcomes: dict[str, int]  # links per highest outcome reached


class Partners(Output):
    selection: Selection
    items: list[PartnerActivity]


class IsolatedOrganisation(Output):
    organisation_id: int
    name: str
    helix: str
    municipality: str | None
    last_link: date


class Isolated(Output):
    selection: Selection
    since: date  # no link from this day up to `until`
    until: date
    items: list[IsolatedOrganisation]


class Node(Output):
    organisation_id: int
    name: str
    helix: str
    degree: int
    x: float | None = None  # layout position in [0, 1] for the drawn nodes; None when not drawn
    y: float | None = None


class Edge(Output):
    a: int
    b: int
    status: LinkStatus


class Network(Output):
    selection: Selection
    organisations: int
    links: int
    density: float
    components: int
    largest_component: int
    helix_assortativity: float | None  # < 0: links cross helices more than chance would
    cross_helix_share: float
    top: list[Node]  # the most connected, by degree centrality
    drawn: list[Node]
    edges: list[Edge]  # among the drawn nodes


class LinkEvent(Output):
    event_id: int
    title: str
    day: date
    sources: list[Source]
    outcome: str | None


class Link(Output):
    organisation_a: int
    name_a: str
    organisation_b: int
    name_b: str
    helix_pair: str
    status: LinkStatus
    outcome: str | None
    first_day: date
    last_day: date
    events: list[LinkEvent]


class Links(Output):
    selection: Selection
    total: int
    page: int
    per_page: int
    items: list[Link]


class Summary(Output):
    selection: Selection
    active_organisations: int
    links: int
    reported: int
    confirmed: int
    new_links: int
    moved_up: int
    pupils: int


class RefreshOut(Output):
    events_refreshed: int
