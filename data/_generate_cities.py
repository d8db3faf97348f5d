"""Chinese cities the scenario generator knows: centres and approximate district seats.

A point is named after the district whose seat is nearest: coarse (seats are rounded to
about a kilometre and boundaries are not followed) but east reads east, so a branch in the
east of Shanghai is in 浦东新区. Coordinates use a flat-earth approximation around the
centre, good to well under a percent at city scale.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

KM_PER_DEG = 111.32


@dataclass(frozen=True, slots=True)
class City:
    """A city: its Chinese name, centre, district seats, and the latitude land ends south.

    ``min_lat`` keeps generated points on the mainland side of a border or coast
    (Shenzhen's border with Hong Kong).
    """

    name_zh: str
    lat: float
    lon: float
    districts: tuple[tuple[str, float, float], ...]
    min_lat: float = -90.0

    def point(self, north_km: float, east_km: float) -> tuple[float, float]:
        """The point ``north_km`` north and ``east_km`` east of the centre."""
        lat = self.lat + north_km / KM_PER_DEG
        return lat, self.lon + east_km / (KM_PER_DEG * math.cos(math.radians(self.lat)))

    def offset_km(self, lat: float, lon: float) -> tuple[float, float]:
        """The (north, east) km of a point from the centre."""
        east = (lon - self.lon) * KM_PER_DEG * math.cos(math.radians(self.lat))
        return (lat - self.lat) * KM_PER_DEG, east

    def on_land(self, lat: float) -> bool:
        """Whether a point is on the city's side of its southern limit."""
        return lat >= self.min_lat

    def district_at(self, lat: float, lon: float) -> str:
        """The district whose seat is nearest to the point."""
        north, east = self.offset_km(lat, lon)

        def gap(seat: tuple[str, float, float]) -> float:
            n, e = self.offset_km(seat[1], seat[2])
            return math.hypot(n - north, e - east)

        return min(self.districts, key=gap)[0]


def _city(zh: str, lat: float, lon: float, seats: str, min_lat: float = -90.0) -> City:
    """A city from ``"name lat lon; name lat lon; ..."``."""
    parsed = tuple((n, float(a), float(b)) for n, a, b in (s.split() for s in seats.split(";")))
    return City(zh, lat, lon, parsed, min_lat)


#: Cities the generator knows, keyed by their English name.
CITIES: dict[str, City] = {
    "Shanghai": _city(
        "上海", 31.2304, 121.4737,
        "黄浦区 31.23 121.48; 静安区 31.25 121.45; 徐汇区 31.19 121.44; 长宁区 31.22 121.42; "
        "虹口区 31.27 121.50; 普陀区 31.25 121.40; 杨浦区 31.27 121.53; 浦东新区 31.21 121.58; "
        "闵行区 31.11 121.38; 宝山区 31.40 121.49; 嘉定区 31.37 121.25; 松江区 31.03 121.23; "
        "青浦区 31.15 121.12",
    ),
    "Beijing": _city(
        "北京", 39.9042, 116.4074,
        "东城区 39.93 116.42; 西城区 39.91 116.37; 朝阳区 39.92 116.49; 海淀区 39.96 116.30; "
        "丰台区 39.86 116.29; 石景山区 39.91 116.22; 通州区 39.91 116.66; 昌平区 40.22 116.23; "
        "大兴区 39.73 116.34; 顺义区 40.13 116.65; 房山区 39.75 116.14; 门头沟区 39.94 116.10",
    ),
    "Guangzhou": _city(
        "广州", 23.1291, 113.2644,
        "越秀区 23.13 113.27; 荔湾区 23.11 113.23; 海珠区 23.10 113.32; 天河区 23.14 113.36; "
        "白云区 23.22 113.28; 黄埔区 23.10 113.46; 番禺区 22.94 113.38; 花都区 23.40 113.22; "
        "南沙区 22.80 113.53",
    ),
    "Shenzhen": _city(
        "深圳", 22.5431, 114.0579,
        "福田区 22.54 114.06; 罗湖区 22.55 114.13; 南山区 22.53 113.93; 宝安区 22.56 113.88; "
        "龙岗区 22.72 114.25; 龙华区 22.66 114.04; 盐田区 22.56 114.24; 光明区 22.75 113.94; "
        "坪山区 22.69 114.35",
        min_lat=22.515,
    ),
    "Hangzhou": _city(
        "杭州", 30.2741, 120.1551,
        "上城区 30.25 120.17; 拱墅区 30.32 120.14; 西湖区 30.26 120.10; 滨江区 30.21 120.21; "
        "萧山区 30.16 120.27; 余杭区 30.29 120.00; 临平区 30.42 120.30; 钱塘区 30.31 120.40; "
        "富阳区 30.05 119.96",
    ),
    "Chengdu": _city(
        "成都", 30.6570, 104.0665,
        "锦江区 30.64 104.10; 青羊区 30.67 104.04; 金牛区 30.69 104.05; 武侯区 30.63 104.04; "
        "成华区 30.66 104.10; 高新区 30.57 104.06; 龙泉驿区 30.56 104.27; 新都区 30.82 104.16; "
        "温江区 30.69 103.84; 双流区 30.57 103.92; 郫都区 30.80 103.90; 青白江区 30.88 104.25",
    ),
    "Wuhan": _city(
        "武汉", 30.5928, 114.3055,
        "江岸区 30.60 114.31; 江汉区 30.60 114.27; 硚口区 30.58 114.22; 汉阳区 30.55 114.22; "
        "武昌区 30.55 114.32; 青山区 30.63 114.39; 洪山区 30.50 114.34; 东西湖区 30.62 114.14; "
        "江夏区 30.38 114.32; 黄陂区 30.88 114.38; 蔡甸区 30.58 114.03; 汉南区 30.31 114.08; "
        "新洲区 30.84 114.80",
    ),
    "Nanjing": _city(
        "南京", 32.0415, 118.7781,
        "玄武区 32.05 118.80; 秦淮区 32.02 118.80; 建邺区 32.00 118.73; 鼓楼区 32.07 118.77; "
        "栖霞区 32.10 118.91; 雨花台区 31.99 118.78; 江宁区 31.95 118.84; 浦口区 32.06 118.63; "
        "六合区 32.32 118.83; 溧水区 31.65 119.03",
    ),
    "Xi'an": _city(
        "西安", 34.2610, 108.9423,
        "新城区 34.27 108.96; 碑林区 34.25 108.94; 莲湖区 34.27 108.91; 雁塔区 34.22 108.95; "
        "未央区 34.32 108.93; 灞桥区 34.27 109.06; 长安区 34.16 108.91; 临潼区 34.37 109.21; "
        "阎良区 34.66 109.23; 高陵区 34.53 109.09; 鄠邑区 34.11 108.60",
    ),
    "Chongqing": _city(
        "重庆", 29.5570, 106.5770,
        "渝中区 29.55 106.57; 江北区 29.60 106.57; 南岸区 29.52 106.61; 沙坪坝区 29.54 106.46; "
        "九龙坡区 29.50 106.51; 大渡口区 29.48 106.48; 渝北区 29.72 106.63; 巴南区 29.40 106.54; "
        "北碚区 29.81 106.40",
    ),
}  # fmt: skip


def city_by_name(name: str) -> City:
    """The city called ``name`` (case, spaces and apostrophes ignored)."""
    key = name.lower().replace("'", "").replace(" ", "")
    for known, city in CITIES.items():
        if known.lower().replace("'", "") == key:
            return city
    raise ValueError(f"unknown city {name!r}; known: {', '.join(CITIES)}")
