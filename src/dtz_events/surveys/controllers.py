from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, Response, get, patch, post
from litestar.params import JSONBody, QueryParameter
from litestar.status_codes import HTTP_200_OK

from dtz_events.core.auth import ORGANISERS, Principal, Role, roles
from dtz_events.events.controllers import EventId
from dtz_events.surveys import services
from dtz_events.surveys.schemas import (
    CheckInInput,
    CheckInOut,
    SurveyConfig,
    SurveyResults,
    SurveyUpdate,
    WalkInInput,
)

MANAGERS = roles(ORGANISERS, Role.board_secretary)
Language = Annotated[str, QueryParameter(pattern="^(nl|en)$", description="Language of the labels")]


class SurveyController(Controller):
    path = "/api/events/{event_id:int}"
    tags = ["surveys and check-in"]

    @get("/survey", opt=MANAGERS)
    async def get_survey(self, request: Request[Principal, Any, Any], event_id: EventId) -> SurveyConfig:
        return await services.get_survey(request.user, event_id)

    @patch("/survey", opt=MANAGERS)
    async def update_survey(
        self, request: Request[Principal, Any, Any], event_id: EventId, data: JSONBody[SurveyUpdate]
    ) -> SurveyConfig:
        return await services.update_survey(request.user, event_id, data)

    @get("/survey/results", opt=MANAGERS)
    async def survey_results(
        self, request: Request[Principal, Any, Any], event_id: EventId, lang: Language = "nl"
    ) -> SurveyResults:
        return await services.results(request.user, event_id, lang)

    @get("/survey/results.csv", opt=MANAGERS, media_type="text/csv; charset=utf-8")
    async def survey_results_csv(
        self, request: Request[Principal, Any, Any], event_id: EventId
    ) -> Response[str]:
        body = await services.results_csv(request.user, event_id)
        headers = {"Content-Disposition": f'attachment; filename="survey-event-{event_id}.csv"'}
        return Response(body, media_type="text/csv; charset=utf-8", headers=headers)

    @post("/check-ins", opt=MANAGERS, status_code=HTTP_200_OK)
    async def check_in(
        self, request: Request[Principal, Any, Any], event_id: EventId, data: JSONBody[CheckInInput]
    ) -> CheckInOut:
        return await services.check_in(request.user, event_id, data.code, data.registration_id)

    @post("/walk-ins", opt=MANAGERS)
    async def walk_in(
        self, request: Request[Principal, Any, Any], event_id: EventId, data: JSONBody[WalkInInput]
    ) -> CheckInOut:
        return await services.walk_in(request.user, event_id, data.person_id)
