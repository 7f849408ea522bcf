from __future__ import annotations

from litestar import Controller, Response, get
from litestar.datastructures import State
from litestar.status_codes import HTTP_200_OK, HTTP_503_SERVICE_UNAVAILABLE

from dtz_events.core import db
from dtz_events.core.auth import PUBLIC, roles
from dtz_events.core.schemas import Output


class HealthOut(Output):
    status: str
    database: bool | None = None


class HealthController(Controller):
    path = "/health"
    tags = ["health"]
    include_in_schema = True

    @get("/live", opt=roles(PUBLIC))
    async def live(self) -> HealthOut:
        return HealthOut(status="ok")

    @get("/ready", opt=roles(PUBLIC))
    async def ready(self, state: State) -> Response[HealthOut]:
        database = await db.ping()
        status = HTTP_200_OK if database else HTTP_503_SERVICE_UNAVAILABLE
        return Response(
            HealthOut(status="ok" if database else "unavailable", database=database), status_code=status
        )
