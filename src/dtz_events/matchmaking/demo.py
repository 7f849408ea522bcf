"""Demo matchmaking for the demo network meeting: a window of 20-minute slots, profiles in Dutch for the
confirmed participants, and a few requests, some accepted. Idempotent: nothing is added a second time."""

from __future__ import annotations

from datetime import timedelta

from dtz_events.core.auth import Principal
from dtz_events.core.errors import DomainError
from dtz_events.events.tables import Event
from dtz_events.matchmaking import services
from dtz_events.matchmaking.schemas import Break, MatchmakingSettings, ProfileUpdate, RequestCreate
from dtz_events.matchmaking.tables import Matchmaking
from dtz_events.partners.tables import Organisation
from dtz_events.registrations.schemas import RegistrationStatus
from dtz_events.registrations.tables import Registration

# What an organisation of each helix brings to a Smart Industry network meeting, and looks for.
PROFILES = {
    "business": (
        "Ervaring met automatisering en robotisering van productielijnen; stageplekken voor mbo en hbo.",
        "Studenten voor praktijkopdrachten en onderzoek naar digitalisering van onze productie.",
        ["maakindustrie"],
        ["digitalisering"],
    ),
    "education": (
        "Studenten voor praktijkopdrachten, lectoraat Smart Industry, scholing voor medewerkers.",
        "Bedrijven die stageplekken en praktijkopdrachten bieden in automatisering.",
        ["onderwijs"],
        ["digitalisering", "energietransitie"],
    ),
    "government": (
        "Regionale subsidies en contacten in de Dutch TechZone-gemeenten.",
        "Maakbedrijven die willen investeren in de regio en de energietransitie.",
        ["overheid"],
        ["energietransitie"],
    ),
}


async def demo_matchmaking(admin: Principal, event_id: int) -> None:
    if await Matchmaking.exists().where(Matchmaking.event == event_id):
        return
    event = await Event.select(Event.starts_at).where(Event.id == event_id).first()
    if event is None:
        return
    starts_at = event["starts_at"] + timedelta(minutes=30)
    settings = MatchmakingSettings(
        starts_at=starts_at,
        slot_minutes=20,
        slots=6,
        breaks=[Break(after_slot=2, minutes=10)],
        tables=8,
        max_meetings=4,
        booking_closes_at=event["starts_at"] - timedelta(days=2),
    )
    await services.set_settings(admin, event_id, settings)
    rows = await Registration.select(Registration.person, Registration.organisation).where(
        (Registration.event == event_id) & (Registration.status == RegistrationStatus.confirmed.value)
    )
    helix = {o["id"]: o["helix"] for o in await Organisation.select(Organisation.id, Organisation.helix)}
    tokens: list[tuple[int, int, str]] = []
    for row in rows:
        _, token = await services.participant_link(admin, event_id, row["person"])
        offers, seeks, sectors, themes = PROFILES.get(
            helix.get(row["organisation"], ""), PROFILES["business"]
        )
        participant = await services.participant_for_token(token)
        await services.update_own_profile(
            participant,
            ProfileUpdate(offers=offers, seeks=seeks, sectors=sectors, themes=themes, visible=True),
        )
        tokens.append((row["person"], row["organisation"], token))
    # A few requests across organisations; every other one accepted.
    pairs = [(a, b) for a in tokens for b in tokens if a[1] < b[1]][:6]
    for n, (asker, asked) in enumerate(pairs):
        try:
            request = await services.create_request(
                await services.participant_for_token(asker[2]),
                RequestCreate(recipient_id=asked[0], message="Kennismaken tijdens de matchmaking?"),
            )
            if n % 2 == 0:
                await services.answer_request(
                    await services.participant_for_token(asked[2]), request.id, True
                )
        except DomainError:  # a limit or a closed booking window: fewer examples, that is all
            continue
