"""Graph figures and the network picture's layout, with networkx: components, density, degree centrality,
helix assortativity (do links cross the triple helix more than chance?) and a spring layout. Every
figure here is linear in the links, so it stays fast on a year of a thousand organisations."""

from __future__ import annotations

from typing import Any

import networkx as nx

from dtz_events.cooperation.schemas import Edge, LinkStatus, Network, Node, Selection

SEED = 7  # the same selection draws the same picture


def figures(
    s: Selection, edges: list[tuple[int, int, int]], orgs: dict[int, dict[str, Any]], draw: int
) -> Network:
    g = nx.Graph()
    for org_id, o in orgs.items():
        g.add_node(org_id, helix=o["helix"])
    for a, b, sides in edges:
        g.add_edge(a, b, sides=sides)
    n, m = g.number_of_nodes(), g.number_of_edges()
    components = list(nx.connected_components(g)) if n else []
    centrality = nx.degree_centrality(g) if n > 1 else dict.fromkeys(g.nodes, 0.0)
    ranked = sorted(g.nodes, key=lambda v: (-centrality[v], orgs[v]["name"], v))
    cross = sum(1 for a, b in g.edges if g.nodes[a]["helix"] != g.nodes[b]["helix"])
    drawn_ids = ranked[:draw]
    positions = _layout(g.subgraph(drawn_ids))
    return Network(
        selection=s,
        organisations=n,
        links=m,
        density=round(nx.density(g), 4) if n > 1 else 0.0,
        components=len(components),
        largest_component=max((len(c) for c in components), default=0),
        helix_assortativity=_assortativity(g),
        cross_helix_share=round(cross / m, 4) if m else 0.0,
        top=[_node(g, orgs, v) for v in ranked[:10]],
        drawn=[_node(g, orgs, v, positions.get(v)) for v in drawn_ids],
        edges=[
            Edge(a=a, b=b, status=_status(g.edges[a, b]["sides"]))
            for a, b in sorted(tuple(sorted(e)) for e in g.subgraph(drawn_ids).edges)
        ],
    )


def _node(
    g: nx.Graph, orgs: dict[int, dict[str, Any]], v: int, at: tuple[float, float] | None = None
) -> Node:
    return Node(
        organisation_id=v,
        name=orgs[v]["name"],
        helix=orgs[v]["helix"],
        degree=int(g.degree[v]),
        x=None if at is None else at[0],
        y=None if at is None else at[1],
    )


def _status(sides: int) -> LinkStatus:
    return LinkStatus.confirmed if sides == 2 else LinkStatus.reported if sides == 1 else LinkStatus.observed


def _assortativity(g: nx.Graph) -> float | None:
    """Undefined (None) when there are no links, or every organisation is of one helix."""
    if g.number_of_edges() == 0 or len({h for _, h in g.nodes(data="helix")}) < 2:
        return None
    value = nx.attribute_assortativity_coefficient(g, "helix")
    return None if value != value else round(float(value), 4)  # NaN when undefined


def _layout(g: nx.Graph) -> dict[int, tuple[float, float]]:
    """Spring layout scaled into [0.05, 0.95]², rounded (the picture needs no more)."""
    if g.number_of_nodes() == 0:
        return {}
    if g.number_of_nodes() == 1:
        return {next(iter(g.nodes)): (0.5, 0.5)}
    raw = nx.spring_layout(g, seed=SEED, iterations=60)
    xs = [float(p[0]) for p in raw.values()]
    ys = [float(p[1]) for p in raw.values()]
    span_x, span_y = (max(xs) - min(xs)) or 1.0, (max(ys) - min(ys)) or 1.0
    return {
        v: (
            round(0.05 + 0.9 * (float(p[0]) - min(xs)) / span_x, 4),
            round(0.05 + 0.9 * (float(p[1]) - min(ys)) / span_y, 4),
        )
        for v, p in raw.items()
    }
