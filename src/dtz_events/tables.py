"""Every table of every domain, in dependency order, for the Piccolo app and the migrations check."""

from __future__ import annotations

from piccolo.table import Table


def all_tables() -> list[type[Table]]:
    from dtz_events.accounts.tables import Account, ApiKey
    from dtz_events.board.tables import (
        ActionItem,
        AgendaItem,
        BoardInvitation,
        BoardMembership,
        BoardSession,
        Decision,
        DecisionCounter,
        PollAnswer,
        PollOption,
    )
    from dtz_events.cooperation.tables import CooperationLink, CooperationRefresh
    from dtz_events.core.lease import Lease
    from dtz_events.events.tables import Event, EventTheme
    from dtz_events.mail.tables import OutboxMessage
    from dtz_events.matchmaking.tables import (
        Matchmaking,
        MatchmakingProfile,
        MatchmakingRun,
        Meeting,
        MeetingRequest,
    )
    from dtz_events.partners.tables import (
        Organisation,
        OrganisationProgramme,
        OrganisationTheme,
        Person,
        Programme,
        Theme,
    )
    from dtz_events.privacy.tables import AuditEntry
    from dtz_events.promotion_days.tables import (
        Rotation,
        RotationAssignment,
        RotationRound,
        SchoolGroup,
        SchoolGroupContact,
        Workshop,
    )
    from dtz_events.registrations.tables import LinkToken, Quota, Registration
    from dtz_events.surveys.tables import ReportedContact, Survey, SurveyInvitation, SurveyResponse

    return [
        Programme,
        Theme,
        Organisation,
        OrganisationProgramme,
        OrganisationTheme,
        Person,
        Account,
        ApiKey,
        Event,
        EventTheme,
        Registration,
        Quota,
        LinkToken,
        OutboxMessage,
        Survey,
        SurveyInvitation,
        SurveyResponse,
        ReportedContact,
        CooperationLink,
        CooperationRefresh,
        BoardMembership,
        BoardSession,
        BoardInvitation,
        AgendaItem,
        DecisionCounter,
        Decision,
        ActionItem,
        PollOption,
        PollAnswer,
        Matchmaking,
        MatchmakingProfile,
        MeetingRequest,
        Meeting,
        MatchmakingRun,
        AuditEntry,
        SchoolGroup,
        SchoolGroupContact,
        Workshop,
        Rotation,
        RotationRound,
        RotationAssignment,
        Lease,
    ]


# Composite unique indexes, created by raw SQL in the migrations: Piccolo's Unique constraint is added with
# ALTER TABLE ... ADD CONSTRAINT, which SQLite does not have. A test checks that each exists.
COMPOSITE_UNIQUE_INDEXES: dict[str, tuple[str, tuple[str, ...]]] = {
    "rotation_assignment_group_round_unique": ("rotation_assignment", ("school_group", "round")),
    "rotation_assignment_group_workshop_unique": ("rotation_assignment", ("school_group", "workshop")),
    "rotation_round_event_number_unique": ("rotation_round", ("event", "number")),
    "organisation_programme_unique": ("organisation_programme", ("organisation", "programme")),
    "organisation_theme_unique": ("organisation_theme", ("organisation", "theme")),
    "event_theme_unique": ("event_theme", ("event", "theme")),
    "registration_event_person_unique": ("registration", ("event", "person")),
    "quota_event_organisation_unique": ("quota", ("event", "organisation")),
    "survey_invitation_registration_wave_unique": ("survey_invitation", ("survey", "registration", "wave")),
    "reported_contact_invitation_other_unique": ("reported_contact", ("invitation", "other")),
    "cooperation_link_pair_event_unique": ("cooperation_link", ("org_a", "org_b", "event")),
    "matchmaking_profile_event_person_unique": ("matchmaking_profile", ("event", "person")),
    # SQLite cannot ADD COLUMN ... UNIQUE either.
    "registration_checkin_code_unique": ("registration", ("checkin_code",)),
}
