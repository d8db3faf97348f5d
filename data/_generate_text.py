"""Plausible, fake Chinese personal data and fault texts for the scenario generator.

Everything is drawn from a caller's ``numpy.random.Generator``; nothing here is real
personal data. Names follow the frequency of common surnames, phones look like mainland
mobile numbers, addresses read ``区 + 路 + 号 + 室``.
"""

from __future__ import annotations

import numpy as np

_SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程"
    "苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵"
)
#: Zipf-like: the first surnames (王, 李, 张, 刘, 陈) are far more common than the last.
_SURNAME_P = 1.0 / np.arange(1, len(_SURNAMES) + 1) ** 0.9
_SURNAME_P /= _SURNAME_P.sum()

_MALE_GIVEN = "伟强磊军勇杰涛斌超明刚平辉鹏华飞鑫波宇浩凯健俊帆帅旭宁龙林洋峰亮建国志海东文晨阳"
_FEMALE_GIVEN = "芳娜敏静丽艳娟霞燕玲婷雪琳颖慧洁红梅英兰"


def _words(spaced: str) -> tuple[str, ...]:
    return tuple(spaced.split())


_MOBILE_PREFIXES = _words("138 139 137 136 135 150 151 152 158 159 186 187 188 189 133 153 180 181 177 199")
_ROADS = _words(
    "人民路 中山路 解放路 建设路 长江路 和平路 新华路 胜利路 文化路 青年路 光明路 友谊路 幸福路 "
    "朝阳路 东风路 滨江路 湖滨路 学院路 金桥路 科技路 创业路 春晖路 花园路 海棠路 桂花路 枫林路 "
    "翠竹路 银杏路 锦绣路 振兴路 复兴路 民生路 工农路 迎宾路 南湖路 北环路 西园路 东方路"
)
_ESTATES = _words(
    "阳光花园 锦绣家园 金色港湾 翠湖天地 碧桂园 万科城 绿地新都会 保利花园 和谐家园 华府天地 "
    "滨江苑 紫荆公寓 香樟苑 御景湾 东方名城 新城佳苑"
)

#: Product -> (normal faults, high-impact faults, safety faults). A product without
#: safety faults is never an emergency (a purifier does not leak gas).
FAULTS: dict[str, tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]] = {
    "water_heater": (
        ("加热慢", "显示E2故障代码", "漏水", "水温忽高忽低", "需要清洗内胆", "更换镁棒"),
        ("不加热，家中无热水", "通电无反应", "频繁跳闸"),
        ("漏电，洗澡时有麻感", "冒烟并有焦糊味"),
    ),
    "gas_water_heater": (
        ("点火困难", "水温不稳定", "显示E1故障代码", "噪音大", "出水时冷时热"),
        ("无法点火，无热水", "开热水不启动"),
        ("燃气泄漏，有明显燃气味", "熄火后仍有燃气味"),
    ),
    "gas_stove": (
        ("火力小", "一侧打不着火", "熄火保护失灵", "面板有裂纹", "点火针故障"),
        ("两个灶眼都打不着火",),
        ("燃气泄漏，有燃气味", "阀门关不严，有燃气味"),
    ),
    "range_hood": (
        ("吸力不足", "噪音大", "漏油", "照明灯不亮", "需要清洗"),
        ("不通电，无法启动",),
        ("电机冒烟", "冒烟，有焦糊味"),
    ),
    "water_purifier": (
        ("更换滤芯", "出水慢", "滤芯提示灯亮", "废水不停", "TDS偏高"),
        ("漏水严重，已关总阀",),
        (),
    ),
    "dishwasher": (("洗不干净", "不排水", "显示E4故障代码", "门关不严"), ("漏水到地板",), ("漏电",)),
    "refrigerator": (("冷藏不冷", "结霜严重", "噪音大"), ("完全不制冷",), ("压缩机冒烟",)),
    "washing_machine": (("不脱水", "不排水", "噪音大", "门锁打不开"), ("漏水",), ("漏电，机身有麻感",)),
    "air_conditioner": (
        ("制冷效果差", "室内机漏水", "异响", "需要加氟"),
        ("不制热", "不开机"),
        ("室外机冒烟",),
    ),
    "wall_boiler": (("壁挂炉不点火", "暖气不热"), ("壁挂炉报故障停机，家中无暖气",), ()),
}


def _pick(rng: np.random.Generator, options: tuple[str, ...] | list[str] | str) -> str:
    return str(options[int(rng.integers(len(options)))])


def surname(rng: np.random.Generator) -> str:
    """A common Chinese surname, drawn by frequency."""
    return _SURNAMES[int(rng.choice(len(_SURNAMES), p=_SURNAME_P))]


def person_name(rng: np.random.Generator, female_share: float = 0.08) -> str:
    """A full name (surname + one or two given characters), e.g. ``王建国``."""
    chars = _FEMALE_GIVEN if rng.random() < female_share else _MALE_GIVEN
    given = "".join(_pick(rng, chars) for _ in range(1 + int(rng.random() < 0.6)))
    return surname(rng) + given


def customer_name(rng: np.random.Generator) -> str:
    """How a call centre records a customer: surname + 先生 / 女士."""
    return surname(rng) + ("女士" if rng.random() < 0.5 else "先生")


def mobile(rng: np.random.Generator) -> str:
    """An 11-digit mainland mobile number with a common prefix, e.g. ``138xxxxxxxx``."""
    return _pick(rng, _MOBILE_PREFIXES) + "".join(str(d) for d in rng.integers(0, 10, 8))


def address(rng: np.random.Generator, district: str) -> str:
    """A street address in ``district``, e.g. ``浦东新区花园路128弄12号602室``."""
    room = f"{int(rng.integers(1, 28))}{int(rng.integers(1, 5)):02d}"
    number = int(rng.integers(1, 1200))
    kind = rng.random()
    if kind < 0.4:
        estate = _pick(rng, _ESTATES)
        return f"{district}{_pick(rng, _ROADS)}{number}号{estate}{int(rng.integers(1, 30))}号楼{room}室"
    if kind < 0.7:
        return f"{district}{_pick(rng, _ROADS)}{number}弄{int(rng.integers(1, 40))}号{room}室"
    return f"{district}{_pick(rng, _ROADS)}{number}号"


def fault(rng: np.random.Generator, product: str, severity: int) -> str:
    """A fault description: ``severity`` 0 normal, 1 high impact, 2 a safety hazard."""
    options = FAULTS.get(product, (("无法正常使用",), ("无法正常使用",), ()))
    chosen = options[severity] or options[0]
    return _pick(rng, chosen)
