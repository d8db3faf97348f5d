"""National scenarios: several cities, each with its branches, as one contract scenario.

Each city is drawn by :func:`data.generate.generate_city` with its own seed, and its ids
are prefixed with the city's code (``C01-B01``, ``C01-E001``, ``C01-R0001``) so that the
tables of all cities join into one scenario in the contract's format. Engineers and
requests are shared out evenly over the cities. The first ten cities are those the city
generator knows; ten more are defined here by their centres and district seats.
"""

from __future__ import annotations

from datetime import date

import pandas as pd

from data._generate_cities import CITIES, City
from data.generate import generate_city

#: Cities beyond the city generator's own, in the same form.
MORE_CITIES: dict[str, City] = {
    "Tianjin": City("天津", 39.0842, 117.2009, (
        ("和平区", 39.12, 117.21), ("河西区", 39.11, 117.22), ("南开区", 39.14, 117.15),
        ("滨海新区", 39.03, 117.71), ("西青区", 39.14, 117.01), ("北辰区", 39.22, 117.13))),
    "Suzhou": City("苏州", 31.2990, 120.5853, (
        ("姑苏区", 31.31, 120.62), ("吴中区", 31.27, 120.63), ("相城区", 31.37, 120.64),
        ("虎丘区", 31.29, 120.57), ("吴江区", 31.14, 120.64))),
    "Changsha": City("长沙", 28.2282, 112.9388, (
        ("芙蓉区", 28.19, 113.03), ("天心区", 28.11, 112.99), ("岳麓区", 28.24, 112.93),
        ("开福区", 28.26, 112.99), ("雨花区", 28.14, 113.04), ("望城区", 28.35, 112.82))),
    "Zhengzhou": City("郑州", 34.7466, 113.6254, (
        ("中原区", 34.75, 113.61), ("二七区", 34.73, 113.64), ("金水区", 34.80, 113.66),
        ("管城区", 34.75, 113.68), ("惠济区", 34.87, 113.62))),
    "Qingdao": City("青岛", 36.0671, 120.3826, (
        ("市南区", 36.07, 120.41), ("市北区", 36.09, 120.37), ("李沧区", 36.15, 120.43),
        ("崂山区", 36.11, 120.47), ("城阳区", 36.31, 120.40), ("黄岛区", 35.96, 120.20)), min_lat=35.95),
    "Shenyang": City("沈阳", 41.8057, 123.4315, (
        ("和平区", 41.79, 123.40), ("沈河区", 41.80, 123.46), ("皇姑区", 41.82, 123.43),
        ("铁西区", 41.80, 123.35), ("大东区", 41.81, 123.47), ("浑南区", 41.71, 123.45))),
    "Hefei": City("合肥", 31.8206, 117.2272, (
        ("蜀山区", 31.85, 117.26), ("庐阳区", 31.88, 117.26), ("瑶海区", 31.86, 117.31),
        ("包河区", 31.79, 117.31), ("肥西县", 31.71, 117.16))),
    "Fuzhou": City("福州", 26.0745, 119.2965, (
        ("鼓楼区", 26.08, 119.30), ("台江区", 26.05, 119.31), ("仓山区", 26.04, 119.32),
        ("晋安区", 26.08, 119.33), ("马尾区", 25.99, 119.46))),
    "Kunming": City("昆明", 24.8801, 102.8329, (
        ("五华区", 25.04, 102.70), ("盘龙区", 25.04, 102.72), ("官渡区", 25.02, 102.74),
        ("西山区", 25.04, 102.66), ("呈贡区", 24.89, 102.82))),
    "Jinan": City("济南", 36.6512, 117.1201, (
        ("历下区", 36.67, 117.08), ("市中区", 36.65, 117.00), ("槐荫区", 36.65, 116.90),
        ("天桥区", 36.68, 116.99), ("历城区", 36.68, 117.06), ("长清区", 36.55, 116.75))),
}  # fmt: skip

#: Every city a national scenario can use, in the order they are taken.
NATIONAL_CITIES: dict[str, City] = {**CITIES, **MORE_CITIES}


def _shares(total: int, parts: int) -> list[int]:
    return [total // parts + (1 if i < total % parts else 0) for i in range(parts)]


def _prefixed(tables: dict[str, pd.DataFrame], code: str) -> dict[str, pd.DataFrame]:
    """The city's tables with every id prefixed by ``code``."""
    out = {name: frame.copy() for name, frame in tables.items()}

    def tag(column: pd.Series) -> pd.Series:
        return column.where(column.fillna("") == "", code + "-" + column.fillna(""))

    for name, columns in {
        "branches": ["branch_id"],
        "engineers": ["engineer_id", "branch_id"],
        "shifts": ["engineer_id"],
        "requests": ["request_id", "preferred_engineer_id"],
    }.items():
        for column in columns:
            out[name][column] = tag(out[name][column])
    return out


def generate_national(
    seed: int,
    day: date,
    *,
    cities: int = 20,
    engineers: int = 2000,
    requests: int = 20000,
    branches_per_city: int = 3,
    days: int = 1,
) -> dict[str, pd.DataFrame]:
    """The contract tables of a national scenario: ``cities`` cities of ``branches_per_city`` branches.

    The same arguments always give the same tables.
    """
    if not 1 <= cities <= len(NATIONAL_CITIES):
        raise ValueError(f"cities must be in 1..{len(NATIONAL_CITIES)}, got {cities}")
    if engineers < cities * branches_per_city:
        raise ValueError(
            f"engineers must be at least one per branch ({cities * branches_per_city}), got {engineers}"
        )
    if requests < 0 or branches_per_city < 1:
        raise ValueError(
            f"requests must not be negative and branches_per_city at least 1, got {requests}, {branches_per_city}"
        )
    frames: dict[str, list[pd.DataFrame]] = {}
    places = list(NATIONAL_CITIES.values())[:cities]
    for i, (city, crew, work) in enumerate(
        zip(places, _shares(engineers, cities), _shares(requests, cities), strict=True)
    ):
        tables = generate_city(
            seed * 1009 + i,
            day,
            engineers=crew,
            requests=work,
            branches=branches_per_city,
            days=days,
            city=city,
        )
        for name, frame in _prefixed(tables, f"C{i + 1:02d}").items():
            frames.setdefault(name, []).append(frame)
    joined = {name: pd.concat(parts, ignore_index=True) for name, parts in frames.items()}
    joined["products"] = frames["products"][0]
    return joined
