"""Maps on the pages: the tiles the settings name (``domain/tiles.py``), and the supervisor's visit map.

  GET /visits/map        the visits the submission list's filters select (a period, a station, a state…) on
                         one map, clustered, coloured by review state or by risk, each point linking to its
                         submission: "where have we been, and where not"
  GET /visits/map.json   its points (the same filters and scope), the newest MAP_POINT_LIMIT of them
"""
from __future__ import annotations

from flask import current_app, render_template, request, url_for
from flask_babel import gettext as _

from server.domain.clock import beijing_time
from server.domain.geo import for_tiles
from server.domain.tiles import TileSource, tile_source
from server.queries import places as place_queries
from server.queries import submissions as queries
from server.web import bp
from server.web.auth import current_scope, login_required
from server.web.labels import N_

MAP_POINT_LIMIT = 5000  # a county's quarter of visits; past it the page says how many are not shown
MAP_FILTERS = ("form", "county", "station", "worker", "case", "from", "to", "review_state", "risk", "flag")
STATE_LABELS = {"received": N_("received"), "approved": N_("approved"), "has_issues": N_("has_issues"),
                "rejected": N_("rejected"), "edited": N_("edited")}
RISK_LABELS = {"low": N_("risk_low"), "medium": N_("risk_medium"), "high": N_("risk_high")}


def map_tiles() -> TileSource | None:
    """The tiles of every map, from the settings (None: no tiles; the maps show the points and say why)."""
    config = current_app.config
    preset = config["MAP_TILES"] or ("custom" if config["MAP_TILE_URL"] else "")
    return tile_source(preset, config["MAP_TIANDITU_KEY"], config["MAP_TILE_URL"], config["MAP_TILE_DATUM"],
                       config["MAP_TILE_ATTRIBUTION"])


def tile_settings() -> dict[str, object]:
    """What a map element carries for map.js: its layers (JSON), attribution and datum."""
    tiles = map_tiles()
    if tiles is None:
        return {"layers": [], "attribution": "", "datum": "wgs84"}
    return {"layers": [layer.as_dict() for layer in tiles.layers], "attribution": tiles.attribution,
            "datum": tiles.datum}


@bp.get("/visits/map")
@login_required
def visit_map():
    from server.web.submissions import filter_choices  # the list's filter menus (imported late: no cycle)

    from server.web.submissions import list_filters

    args = {name: request.args.get(name, "").strip() for name in MAP_FILTERS}
    list_filters(args, current_scope())  # a filter that cannot be read is refused here, not by the map's data
    given = {name: value for name, value in args.items() if value}
    return render_template("visit_map.html", args=args, tiles=tile_settings(), limit=MAP_POINT_LIMIT,
                           points_url=url_for("web.visit_map_points", **given),
                           list_url=url_for("web.submission_list", **given), **filter_choices(current_scope()))


@bp.get("/visits/map.json")
@login_required
def visit_map_points():
    from server.web.submissions import list_filters

    args = {name: request.args.get(name, "").strip() for name in MAP_FILTERS}
    scope = current_scope()
    filters = list_filters(args, scope)
    datum = tile_settings()["datum"]
    rows = queries.list_map_points(scope, filters, MAP_POINT_LIMIT)
    points = []
    for row in rows:
        latitude, longitude = for_tiles(row.latitude, row.longitude, str(datum))
        state = str(getattr(row.review_state, "value", row.review_state))
        points.append({"lat": round(latitude, 6), "lon": round(longitude, 6), "state": state,
                       "state_label": _(STATE_LABELS.get(state, state)), "risk": row.risk_level or "",
                       "risk_label": _(RISK_LABELS[row.risk_level]) if row.risk_level in RISK_LABELS else "",
                       "title": row.case_label or row.form_title or "", "station": row.station_name,
                       "time": beijing_time(row.created_at),
                       "url": url_for("web.submission_detail", instance_id=row.instance_id)})
    total = queries.count_map_points(scope, filters)
    return {"points": points, "total": total, "shown": len(points), "limit": MAP_POINT_LIMIT,
            "stations": len(place_queries.list_stations_in_scope(scope))}
