"""The cooperation ledger for organisers: the report page (charts as server-drawn SVG, the network picture)
and the one-page funder report per period, printable to PDF by the browser. Both read the same service
functions as the API, so the numbers on the page are the API's numbers."""

from __future__ import annotations

import math
from datetime import timedelta
from typing import Annotated, Any

from litestar import Controller, Request, get
from litestar.params import QueryParameter
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_400_BAD_REQUEST

from dtz_events.cooperation import services
from dtz_events.cooperation.schemas import HELIXES, Basis, Funnel, HelixMatrix, Network, NewLinks, Selection
from dtz_events.core.auth import PUBLIC, STAFF, Principal, roles
from dtz_events.core.errors import InvalidInput, NotFound
from dtz_events.core.i18n import gettext
from dtz_events.events.schemas import EventKind
from dtz_events.pages.controllers import problem_page
from dtz_events.pages.organiser import _lang, _login_redirect, _not_found
from dtz_events.partners.tables import Programme, Theme

Text = Annotated[str | None, QueryParameter(max_length=100)]

HELIX_LABELS = {"business": "Business", "education": "Education", "government": "Government"}
OUTCOME_LABELS = {
    "contact": "Contact made",
    "follow_up": "Follow-up planned",
    "joint_project": "Joint project or proposal",
    "agreement": "Agreement",
    "hire_or_internship": "Hire or internship",
}
KIND_LABELS = {
    "promotion_day": "Promotion day",
    "network_meeting": "Network meeting",
    "board_session": "Board session",
}


# ---------------------------------------------------------------- chart geometry (drawn by the templates)


def columns(new: NewLinks, lang: str) -> dict[str, Any]:
    """New links per quarter: a column per quarter, the confirmed part darker."""
    width, height, left, bottom = 560, 220, 40, 30
    top = max((q.new for q in new.quarters), default=0) or 1
    step = (width - left) / max(len(new.quarters), 1)
    bars = []
    for i, q in enumerate(new.quarters):
        h = (height - bottom - 20) * q.new / top
        hc = (height - bottom - 20) * q.confirmed / top
        x = left + i * step + step * 0.15
        bars.append(
            {
                "label": q.quarter,
                "count": q.new,
                "confirmed": q.confirmed,
                "x": round(x, 1),
                "w": round(step * 0.7, 1),
                "y": round(height - bottom - h, 1),
                "h": round(h, 1),
                "yc": round(height - bottom - hc, 1),
                "hc": round(hc, 1),
                "cx": round(x + step * 0.35, 1),
            }
        )
    return {"width": width, "height": height, "base": height - bottom, "bars": bars, "small": len(bars) > 8}


def matrix(m: HelixMatrix) -> dict[str, Any]:
    """The triple helix as a symmetric 3×3 grid; the darker a cell, the more links."""
    counts = {(c.helix_a, c.helix_b): c for c in m.cells}
    top = max((c.links for c in m.cells), default=0) or 1
    cells = []
    for row, a in enumerate(HELIXES):
        for col, b in enumerate(HELIXES):
            cell = counts.get((a, b)) or counts.get((b, a))
            assert cell is not None
            share = cell.links / top
            cells.append(
                {
                    "pair": cell.pair,
                    "row": row,
                    "col": col,
                    "count": cell.links,
                    "confirmed": cell.confirmed,
                    "x": 130 + col * 110,
                    "y": 30 + row * 60,
                    "fill": f"rgba(11, 92, 173, {0.08 + 0.8 * share:.2f})",
                    "dark": share > 0.5,
                }
            )
    return {"cells": cells, "helixes": HELIXES}


def funnel_bars(f: Funnel) -> list[dict[str, Any]]:
    top = f.rungs[0].links if f.rungs and f.rungs[0].links else 1
    return [
        {"outcome": r.outcome, "count": r.links, "w": round(260 * r.links / top, 1), "y": i * 30 + 4}
        for i, r in enumerate(f.rungs)
    ]


def network_picture(n: Network) -> dict[str, Any]:
    width, height = 640, 440
    where = {
        d.organisation_id: (round((d.x or 0.5) * width, 1), round((d.y or 0.5) * height, 1)) for d in n.drawn
    }
    nodes = [
        {
            "id": d.organisation_id,
            "name": d.name,
            "helix": d.helix,
            "degree": d.degree,
            "x": where[d.organisation_id][0],
            "y": where[d.organisation_id][1],
            "r": round(4 + 2 * math.sqrt(d.degree), 1),
            "labelled": i < 8,
        }
        for i, d in enumerate(n.drawn)
    ]
    edges = [
        {
            "x1": where[e.a][0],
            "y1": where[e.a][1],
            "x2": where[e.b][0],
            "y2": where[e.b][1],
            "status": e.status.value,
        }
        for e in n.edges
        if e.a in where and e.b in where
    ]
    return {"width": width, "height": height, "nodes": nodes, "edges": edges}


# ---------------------------------------------------------------- the pages


async def _figures(principal: Principal, query: dict[str, Any]) -> dict[str, Any]:
    s = await services.selection(principal, **query)
    network_selection = Selection(**{**_fields(s), "links": query.get("links") or Basis.reported})
    new = await services.new_links(s)
    helix = await services.helix_matrix(s)
    funnel = await services.funnel(s)
    network = await services.network(network_selection)
    return {
        "selection": s,
        "last_day": s.end - timedelta(days=1),
        "summary": await services.summary(s),
        "active": await services.active_organisations(s),
        "new": new,
        "helix": helix,
        "funnel": funnel,
        "pupils": await services.pupils(s),
        "partners": (await services.partners(s)).items[:15],
        "isolated": (await services.isolated(s)).items,
        "network": network,
        "columns": columns(new, ""),
        "matrix": matrix(helix),
        "funnel_bars": funnel_bars(funnel),
        "picture": network_picture(network),
    }


def _fields(s: Selection) -> dict[str, Any]:
    return {f: getattr(s, f) for f in s.__struct_fields__}


def _query(
    period: str | None, municipality: str | None, programme: str | None, theme: str | None, kind: str | None
) -> dict[str, Any]:
    if kind is not None and kind not in {k.value for k in EventKind}:
        raise InvalidInput("kind", "unknown kind of event")
    return {
        "period": period or None,
        "municipality": municipality or None,
        "programme": programme or None,
        "theme": theme or None,
        "kind": EventKind(kind) if kind else None,
    }


class CooperationPages(Controller):
    path = "/organiser/cooperation"
    include_in_schema = False

    @get("/", opt=roles(PUBLIC))
    async def report(
        self,
        request: Request[Any, Any, Any],
        period: Text = None,
        municipality: Text = None,
        programme: Text = None,
        theme: Text = None,
        kind: Text = None,
    ) -> Template | Redirect:
        return await self._render(
            request, "cooperation/report.html.j2", _query(period, municipality, programme, theme, kind)
        )

    @get("/funder-report", opt=roles(PUBLIC))
    async def funder_report(
        self,
        request: Request[Any, Any, Any],
        period: Text = None,
        municipality: Text = None,
        programme: Text = None,
        theme: Text = None,
        kind: Text = None,
    ) -> Template | Redirect:
        return await self._render(
            request, "cooperation/funder_report.html.j2", _query(period, municipality, programme, theme, kind)
        )

    async def _render(
        self, request: Request[Any, Any, Any], template: str, query: dict[str, Any]
    ) -> Template | Redirect:
        principal: Principal | None = request.user
        if principal is None:
            return _login_redirect(request)
        lang = _lang(request, principal)
        if principal.role not in STAFF:
            return _not_found(lang)  # partner coordinators read their own figures through the API
        try:
            figures = await _figures(principal, query)
        except (InvalidInput, NotFound) as exc:
            return problem_page(lang, HTTP_400_BAD_REQUEST, "These filters do not work", str(exc))
        name = "name_nl" if lang == "nl" else "name_en"
        programmes = [
            {"slug": p["slug"], "name": p[name]} for p in await Programme.select().order_by(Programme.slug)
        ]
        themes = [{"slug": t["slug"], "name": t[name]} for t in await Theme.select().order_by(Theme.slug)]
        return Template(
            template,
            context={
                "lang": lang,
                "principal": principal,
                **figures,
                "programmes": programmes,
                "themes": themes,
                "kinds": {k: gettext(lang, v) for k, v in KIND_LABELS.items()},
                "helix_labels": {k: gettext(lang, v) for k, v in HELIX_LABELS.items()},
                "outcome_labels": {k: gettext(lang, v) for k, v in OUTCOME_LABELS.items()},
                "query_string": str(request.url.query or ""),
            },
        )
