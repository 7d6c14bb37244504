"""ECharts options built from selector rows. Every data item carries ``link``: the page's script opens it on
click, so each figure leads to the rows behind it."""

from __future__ import annotations

from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from accounts.choices import Region

PALETTE = ["#0b4f8a", "#2f9e44", "#f08c00", "#c92a2a", "#7048e8", "#1098ad", "#5c940d", "#d6336c", "#495057"]
GEO_FILES = {"BJ": "beijing", "TJ": "tianjin", "HB": "hebei"}


def bar(categories: list, data: list[dict], *, name: str, horizontal: bool = False) -> dict:
    cat_axis = {"type": "category", "data": [str(c) for c in categories], "axisLabel": {"interval": 0}}
    val_axis = {"type": "value"}
    if horizontal:
        cat_axis["inverse"] = True
        cat_axis["axisLabel"] = {"width": 150, "overflow": "truncate"}
    else:
        cat_axis["axisLabel"] = {"rotate": 30 if len(categories) > 6 else 0, "interval": 0}
    return {
        "color": PALETTE,
        "tooltip": {"trigger": "axis"},
        "grid": {"left": 170 if horizontal else 50, "right": 20, "top": 20, "bottom": 60},
        "xAxis": val_axis if horizontal else cat_axis,
        "yAxis": cat_axis if horizontal else val_axis,
        "series": [{"type": "bar", "name": name, "data": data, "cursor": "pointer"}],
    }


def pie(data: list[dict]) -> dict:
    return {
        "color": PALETTE,
        "tooltip": {"trigger": "item", "formatter": "{b}: {c} ({d}%)"},
        "legend": {"bottom": 0, "type": "scroll"},
        "series": [{"type": "pie", "radius": ["35%", "65%"], "top": -20, "data": data, "cursor": "pointer"}],
    }


def node_label(key: str) -> str:
    stage, _sep, region = key.partition(":")
    names = {
        "retired": _("Retired"),
        "service_point": _("Service points"),
        "hub": _("Logistics hub"),
        "cascade_use": _("Cascade use"),
        "regeneration": _("Regeneration"),
        "outside": _("Outside Jingjinji"),
    }
    label = str(names.get(stage, stage))
    if region and region != "-":
        label = f"{label} · {Region(region).label if region in Region.values else region}"
    return label


def sankey(rows: list[dict]) -> dict:
    nodes = []
    for r in rows:
        for key in (r["src"], r["dst"]):
            if key not in nodes:
                nodes.append(key)
    return {
        "color": PALETTE,
        "tooltip": {"trigger": "item", "triggerOn": "mousemove"},
        "series": [
            {
                "type": "sankey",
                "emphasis": {"focus": "adjacency"},
                "nodeAlign": "left",
                "left": 10,
                "right": 140,
                "data": [{"name": node_label(k)} for k in nodes],
                "links": [
                    {
                        "source": node_label(r["src"]),
                        "target": node_label(r["dst"]),
                        "value": round(r["tonnes"], 3),
                        "packs": r["packs"],
                        "link": r["link"],
                    }
                    for r in rows
                ],
                "lineStyle": {"color": "gradient", "curveness": 0.5, "opacity": 0.4},
                "label": {"fontSize": 12},
            }
        ],
    }


def point_map(region: str, points: list[dict], *, zh: bool) -> dict:
    """Published service points on the boundary map of the region (or all three)."""
    kind_colour = {"fixed": PALETTE[0], "mobile": PALETTE[2], "comprehensive": PALETTE[1], "hub": PALETTE[3]}
    return {
        "mapName": region.lower(),
        "geoFiles": [GEO_FILES[r] for r in (GEO_FILES if region == "JJJ" else [region])],
        "tooltip": {"trigger": "item"},
        "geo": {
            "map": region.lower(),
            "roam": True,
            "itemStyle": {"areaColor": "#e9f1f8", "borderColor": "#7a9cc0"},
            "emphasis": {"itemStyle": {"areaColor": "#cfe0f0"}, "label": {"show": False}},
        },
        "series": [
            {
                "type": "scatter",
                "coordinateSystem": "geo",
                "symbolSize": 9,
                "data": [
                    {
                        "name": (p["name_zh"] if zh else p["name_en"] or p["name_zh"]),
                        "value": [p["lon"], p["lat"]],
                        "itemStyle": {"color": kind_colour.get(p["kind"], PALETTE[0])},
                    }
                    for p in points
                ],
            }
        ],
    }


LATE_DECAL = {"symbol": "rect", "dashArrayX": [1, 0], "dashArrayY": [3, 3], "rotation": -0.785}


def timeliness(rows: list[dict], region: str, year: int, kind_labels: dict, actor: int | None = None) -> dict:
    """Uploads per month in two stacks, on time and late (hatched), coloured by event kind.

    The legend names each event kind once (its on-time and late series share the name, so one click hides
    both); each bar's own label ("kind · on time/late") shows in the tooltip."""
    months = sorted({r["month"] for r in rows})
    kinds = sorted({r["kind"] for r in rows})
    base = {"region": region, "year": year}
    if actor:
        base["actor"] = actor
    events_url = reverse("dashboards:events")
    series = []
    for index, kind in enumerate(kinds):
        by_month = {r["month"]: r for r in rows if r["kind"] == kind}
        colour = PALETTE[index % len(PALETTE)]
        name = str(kind_labels.get(kind, kind))
        for flag, label, column in (("true", _("on time"), "on_time"), ("false", _("late"), "late")):
            style = {"color": colour}
            if flag == "false":
                style["decal"] = {**LATE_DECAL, "color": "rgba(255, 255, 255, 0.6)"}
            series.append(
                {
                    "type": "bar",
                    "stack": column,
                    "name": name,
                    "itemStyle": style,
                    "barMaxWidth": 28,
                    "data": [
                        {
                            "value": int(by_month[m][column]) if m in by_month else 0,
                            "label_text": f"{name} · {label}",
                            "link": f"{events_url}?"
                            + urlencode({**base, "kind": kind, "on_time": flag, "month": m.isoformat()}),
                        }
                        for m in months
                    ],
                }
            )
    return {
        "color": PALETTE,
        "tooltip": {"trigger": "axis", "axisPointer": {"type": "shadow"}},
        "tooltipLabels": True,
        "legend": {"type": "scroll", "top": 0, "data": [str(kind_labels.get(k, k)) for k in kinds]},
        "grid": {"left": 50, "right": 20, "top": 40, "bottom": 30},
        "xAxis": {"type": "category", "data": [m.strftime("%Y-%m") for m in months]},
        "yAxis": {"type": "value"},
        "series": series,
    }


def forecast(data: dict) -> dict:
    years = [str(y) for y in data["years"]]
    return {
        "color": [PALETTE[0], PALETTE[1], PALETTE[3]],
        "tooltip": {"trigger": "axis"},
        "legend": {"bottom": 0},
        "grid": {"left": 60, "right": 20, "top": 20, "bottom": 50},
        "xAxis": {"type": "category", "data": years},
        "yAxis": {"type": "value", "name": "t"},
        "series": [
            {"type": "bar", "name": _("Platform vehicles (forecast)"), "data": data["platform"]},
            {"type": "bar", "name": _("Imported cohorts (forecast)"), "data": data["imported"]},
            {
                "type": "line",
                "name": _("Pilot plan reference"),
                "data": data["reference"],
                "connectNulls": False,
                "symbolSize": 8,
                "lineStyle": {"type": "dashed"},
            },
        ],
    }


def forecast_outlook(outlook: dict) -> dict:
    """Stanford-model forecast of the sourced cohorts with its band, the plan's figures and the platform's
    observed retirements; projection years are shaded."""
    rows = outlook["rows"]
    years = [str(r["year"]) for r in rows]
    low = [r["low"] for r in rows]
    spread = [None if r["low"] is None else round(r["high"] - r["low"], 1) for r in rows]
    projection = [str(r["year"]) for r in rows if r["kind"] == "projection"]
    first_projection = projection[0] if projection else None
    forecast_line = {
        "type": "line",
        "name": _("Forecast (sourced cohorts)"),
        "data": [r["forecast"] for r in rows],
        "symbolSize": 4,
        "z": 3,
    }
    if first_projection:
        forecast_line["markArea"] = {
            "silent": True,
            "itemStyle": {"color": "rgba(73,80,87,0.06)"},
            "label": {"show": True, "position": "insideTop", "color": "#495057"},
            "data": [[{"name": _("projection"), "xAxis": first_projection}, {"xAxis": projection[-1]}]],
        }
    return {
        "color": [PALETTE[0], PALETTE[0], PALETTE[3], PALETTE[2]],
        "tooltip": {"trigger": "axis"},
        "legend": {
            "bottom": 0,
            "data": [
                _("Forecast (sourced cohorts)"),
                _("Band"),
                _("Pilot plan reference"),
                _("Observed on the platform"),
            ],
        },
        "grid": {"left": 60, "right": 20, "top": 20, "bottom": 50},
        "xAxis": {"type": "category", "data": years},
        "yAxis": {"type": "value", "name": "t"},
        "series": [
            {
                "type": "line",
                "name": "low",
                "data": low,
                "stack": "band",
                "lineStyle": {"opacity": 0},
                "symbol": "none",
                "tooltip": {"show": False},
            },
            {
                "type": "line",
                "name": _("Band"),
                "data": spread,
                "stack": "band",
                "lineStyle": {"opacity": 0},
                "symbol": "none",
                "areaStyle": {"color": "rgba(11,79,138,0.18)"},
            },
            forecast_line,
            {
                "type": "line",
                "name": _("Pilot plan reference"),
                "data": [r["reference"] for r in rows],
                "connectNulls": False,
                "symbolSize": 8,
                "lineStyle": {"type": "dashed"},
            },
            {
                "type": "bar",
                "name": _("Observed on the platform"),
                "data": [r["observed_tonnes"] for r in rows],
            },
        ],
    }
