from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, Response, get, patch, post, put
from litestar.params import JSONBody, PathParameter
from litestar.status_codes import HTTP_200_OK, HTTP_202_ACCEPTED

from dtz_events.core.auth import ORGANISERS, PUBLIC, Principal, Role, roles
from dtz_events.events.controllers import EventId
from dtz_events.matchmaking import services
from dtz_events.matchmaking.emails import agenda_url
from dtz_events.matchmaking.schemas import (
    LinksSentOut,
    MatchmakingOut,
    MatchmakingSettings,
    MeetingOut,
    MeetingUpdate,
    OwnProfileOut,
    ParticipantLinkOut,
    ProfileOut,
    ProfileUpdate,
    RequestCreate,
    RequestOut,
    ScheduleRunOut,
    SuggestionOut,
)
from dtz_events.partners.controllers import PersonId

MeetingId = Annotated[int, PathParameter(ge=1, le=2**53, description="Meeting id")]
RequestId = Annotated[int, PathParameter(ge=1, le=2**53, description="Meeting request id")]
RunId = Annotated[int, PathParameter(ge=1, le=2**53, description="Schedule run id")]
Token = Annotated[str, PathParameter(max_length=210, description="The participant's matchmaking link token")]
ORGANISERS_AND_PARTNERS = roles(ORGANISERS, Role.partner_coordinator)


class MatchmakingController(Controller):
    """The organiser's side: the matchmaking window, the schedule, meetings; and links for participants."""

    path = "/api/events/{event_id:int}/matchmaking"
    tags = ["matchmaking"]

    @get("", opt=roles(ORGANISERS))
    async def get_settings(self, request: Request[Principal, Any, Any], event_id: EventId) -> MatchmakingOut:
        return await services.get_settings(request.user, event_id)

    @put("", opt=roles(ORGANISERS))
    async def set_settings(
        self, request: Request[Principal, Any, Any], event_id: EventId, data: JSONBody[MatchmakingSettings]
    ) -> MatchmakingOut:
        return await services.set_settings(request.user, event_id, data)

    @post("/schedule", opt=roles(ORGANISERS), status_code=HTTP_202_ACCEPTED)
    async def schedule(
        self, request: Request[Principal, Any, Any], event_id: EventId
    ) -> Response[ScheduleRunOut]:
        """Queue a schedule run (a worker runs the solver, up to 20 s): 202 with the run, whose
        `status_url` (also the Location) tells how it goes. 409 while another run is queued or running."""
        run = await services.request_schedule(request.user, event_id)
        return Response(run, status_code=HTTP_202_ACCEPTED, headers={"Location": run.status_url})

    @get("/runs/{run_id:int}", opt=roles(ORGANISERS))
    async def get_run(
        self, request: Request[Principal, Any, Any], event_id: EventId, run_id: RunId
    ) -> ScheduleRunOut:
        """A schedule run: queued, running, done (with its figures) or failed."""
        return await services.get_run(request.user, event_id, run_id)

    @post("/agendas", opt=roles(ORGANISERS), status_code=HTTP_200_OK)
    async def send_agendas(self, request: Request[Principal, Any, Any], event_id: EventId) -> LinksSentOut:
        return LinksSentOut(queued=await services.send_agendas(request.user, event_id))

    @get("/meetings", opt=ORGANISERS_AND_PARTNERS)
    async def list_meetings(
        self, request: Request[Principal, Any, Any], event_id: EventId
    ) -> list[MeetingOut]:
        return await services.list_meetings(request.user, event_id)

    @post("/people/{person_id:int}/link", opt=ORGANISERS_AND_PARTNERS, status_code=HTTP_200_OK)
    async def participant_link(
        self, request: Request[Principal, Any, Any], event_id: EventId, person_id: PersonId
    ) -> ParticipantLinkOut:
        """A participant's matchmaking link: a coordinator acts for its own organisation's people with it."""
        participant, token = await services.participant_link(request.user, event_id, person_id)
        return ParticipantLinkOut(person_id=participant.person_id, token=token, agenda_url=agenda_url(token))


class MeetingController(Controller):
    path = "/api/meetings"
    tags = ["matchmaking"]

    @patch("/{meeting_id:int}", opt=roles(ORGANISERS))
    async def update_meeting(
        self, request: Request[Principal, Any, Any], meeting_id: MeetingId, data: JSONBody[MeetingUpdate]
    ) -> MeetingOut:
        return await services.update_meeting(request.user, meeting_id, data)

    @post("/{meeting_id:int}/drop", opt=roles(ORGANISERS), status_code=HTTP_200_OK)
    async def drop_meeting(self, request: Request[Principal, Any, Any], meeting_id: MeetingId) -> MeetingOut:
        return await services.drop_meeting(request.user, meeting_id)


class ParticipantController(Controller):
    """The participant's side, behind their matchmaking link (no account): profile, others' profiles,
    suggestions, requests and meetings. A bad or revoked link answers 404."""

    path = "/api/matchmaking/{token:str}"
    tags = ["matchmaking (participants)"]

    @get("/profile", opt=roles(PUBLIC))
    async def get_profile(self, token: Token) -> OwnProfileOut:
        return await services.get_own_profile(await services.participant_for_token(token))

    @put("/profile", opt=roles(PUBLIC))
    async def update_profile(self, token: Token, data: JSONBody[ProfileUpdate]) -> OwnProfileOut:
        return await services.update_own_profile(await services.participant_for_token(token), data)

    @get("/profiles", opt=roles(PUBLIC))
    async def list_profiles(self, token: Token) -> list[ProfileOut]:
        return await services.list_profiles(await services.participant_for_token(token))

    @get("/profiles/{person_id:int}", opt=roles(PUBLIC))
    async def get_other_profile(self, token: Token, person_id: PersonId) -> ProfileOut:
        return await services.get_profile(await services.participant_for_token(token), person_id)

    @get("/suggestions", opt=roles(PUBLIC))
    async def suggestions(self, token: Token) -> list[SuggestionOut]:
        return await services.suggestions(await services.participant_for_token(token))

    @get("/requests", opt=roles(PUBLIC))
    async def list_requests(self, token: Token) -> list[RequestOut]:
        return await services.list_requests(await services.participant_for_token(token))

    @post("/requests", opt=roles(PUBLIC))
    async def create_request(self, token: Token, data: JSONBody[RequestCreate]) -> RequestOut:
        return await services.create_request(await services.participant_for_token(token), data)

    @post("/requests/{request_id:int}/accept", opt=roles(PUBLIC), status_code=HTTP_200_OK)
    async def accept(self, token: Token, request_id: RequestId) -> RequestOut:
        return await services.answer_request(await services.participant_for_token(token), request_id, True)

    @post("/requests/{request_id:int}/decline", opt=roles(PUBLIC), status_code=HTTP_200_OK)
    async def decline(self, token: Token, request_id: RequestId) -> RequestOut:
        return await services.answer_request(await services.participant_for_token(token), request_id, False)

    @post("/requests/{request_id:int}/withdraw", opt=roles(PUBLIC), status_code=HTTP_200_OK)
    async def withdraw(self, token: Token, request_id: RequestId) -> RequestOut:
        return await services.withdraw_request(await services.participant_for_token(token), request_id)

    @get("/meetings", opt=roles(PUBLIC))
    async def meetings(self, token: Token) -> list[MeetingOut]:
        return await services.participant_meetings(await services.participant_for_token(token))


MATCHMAKING_HANDLERS = [MatchmakingController, MeetingController, ParticipantController]
