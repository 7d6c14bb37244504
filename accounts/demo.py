"""Demo organisations and users: regulators of the three regions and the enterprises of the chain."""

from __future__ import annotations

import random

from django.contrib.auth.hashers import make_password

from accounts.choices import Department, Role
from accounts.models import User
from accounts.services import organisation_register
from accounts.uscc import ALPHABET, check_character
from core.demo import DEMO_PASSWORD, DemoWorld

REGION_NAMES = {"BJ": ("北京市", "Beijing"), "TJ": ("天津市", "Tianjin"), "HB": ("河北省", "Hebei")}
DEPARTMENT_NAMES = {
    Department.INDUSTRY_IT: ("经济和信息化局", "Economy and Information Technology Bureau"),
    Department.ECOLOGY_ENVIRONMENT: ("生态环境局", "Ecology and Environment Bureau"),
    Department.TRANSPORT: ("交通委员会", "Transport Commission"),
    Department.COMMERCE: ("商务局", "Commerce Bureau"),
    Department.MARKET_SUPERVISION: ("市场监督管理局", "Market Supervision Administration"),
    Department.ENERGY: ("发展和改革委员会（能源）", "Development and Reform Commission (Energy)"),
    Department.SCIENCE_TECHNOLOGY: ("科学技术委员会", "Science and Technology Commission"),
}
DIVISION = {"BJ": "110000", "TJ": "120000", "HB": "130000", "OUT": "440300"}

# key, Chinese name, English name, region, kinds
ENTERPRISES: list[tuple[str, str, str, str, list[str]]] = [
    ("baic", "北京新能源汽车股份有限公司", "BAIC BJEV", "BJ", ["automaker"]),
    ("lixiang", "北京理想汽车有限公司", "Li Auto Beijing", "BJ", ["automaker"]),
    ("xiaomi", "小米汽车科技有限公司", "Xiaomi EV", "BJ", ["automaker"]),
    ("foton", "北汽福田汽车股份有限公司", "Foton Motor", "BJ", ["automaker"]),
    ("faw-tj", "一汽丰田（天津）新能源汽车有限公司", "FAW Toyota Tianjin NEV", "TJ", ["automaker"]),
    ("great-wall", "长城汽车股份有限公司", "Great Wall Motor", "HB", ["automaker"]),
    ("byd", "比亚迪汽车工业有限公司", "BYD Auto", "OUT", ["automaker", "battery_maker"]),
    ("tesla", "特斯拉（上海）有限公司", "Tesla Shanghai", "OUT", ["automaker"]),
    ("geely", "浙江吉利汽车有限公司", "Geely Auto", "OUT", ["automaker"]),
    ("nio", "蔚来汽车科技（安徽）有限公司", "NIO", "OUT", ["automaker"]),
    ("yutong", "宇通客车股份有限公司", "Yutong Bus", "OUT", ["automaker"]),
    ("catl", "宁德时代新能源科技股份有限公司", "CATL", "OUT", ["battery_maker"]),
    ("calb", "中创新航科技集团股份有限公司", "CALB", "OUT", ["battery_maker"]),
    ("tjlishen", "天津力神电池股份有限公司", "Tianjin Lishen Battery", "TJ", ["battery_maker"]),
    ("svolt", "蜂巢能源科技股份有限公司", "SVOLT Energy", "HB", ["battery_maker"]),
    ("bj-4s", "北京亚运村汽车服务有限公司", "Beijing Yayuncun Auto Service", "BJ", ["after_sales"]),
    ("tj-4s", "天津市滨海汽车销售服务有限公司", "Tianjin Binhai Auto Sales", "TJ", ["after_sales"]),
    ("hb-4s", "石家庄新能源汽车服务有限公司", "Shijiazhuang NEV Service", "HB", ["after_sales"]),
    (
        "bj-recycle",
        "北京京环电池回收服务有限公司",
        "Beijing Jinghuan Battery Recovery",
        "BJ",
        ["service_operator"],
    ),
    (
        "tj-recycle",
        "天津津绿电池回收服务有限公司",
        "Tianjin Jinlv Battery Recovery",
        "TJ",
        ["service_operator"],
    ),
    (
        "hb-recycle",
        "河北冀新电池回收服务有限公司",
        "Hebei Jixin Battery Recovery",
        "HB",
        ["service_operator"],
    ),
    (
        "hub",
        "京津冀动力电池物流仓储集散中心有限公司",
        "JJJ Battery Logistics Hub",
        "TJ",
        ["service_operator", "logistics"],
    ),
    (
        "bj-dismantle",
        "北京华星报废汽车回收拆解有限公司",
        "Beijing Huaxing Vehicle Dismantling",
        "BJ",
        ["dismantler"],
    ),
    ("tj-dismantle", "天津报废汽车回收拆解有限公司", "Tianjin Vehicle Dismantling", "TJ", ["dismantler"]),
    ("hb-dismantle", "保定报废汽车回收拆解有限公司", "Baoding Vehicle Dismantling", "HB", ["dismantler"]),
    ("cascade-bj", "北京梯次储能科技有限公司", "Beijing Second-Life Storage Tech", "BJ", ["cascade_use"]),
    ("cascade-hb", "河北梯能新能源科技有限公司", "Hebei Tineng Second-Life Energy", "HB", ["cascade_use"]),
    ("regen-tj", "天津绿色再生资源利用有限公司", "Tianjin Green Regeneration", "TJ", ["regeneration"]),
    ("regen-hb", "河北金属材料再生利用有限公司", "Hebei Metal Regeneration", "HB", ["regeneration"]),
    ("logistics", "京津冀危险货物运输有限公司", "JJJ Dangerous Goods Transport", "BJ", ["logistics"]),
    ("bus-fleet", "北京公交新能源车队管理有限公司", "Beijing Bus NEV Fleet", "BJ", ["fleet_operator"]),
    ("assessor", "中汽数据电池评估中心有限公司", "Battery Assessment Centre", "TJ", ["assessor"]),
    (
        "alliance",
        "京津冀动力电池回收利用产业联盟秘书处",
        "JJJ Battery Recycling Alliance Secretariat",
        "BJ",
        ["alliance_secretariat", "research"],
    ),
]


def synthetic_uscc(rng: random.Random, division: str, org_type: str = "91") -> str:
    """A code that passes the GB 32100 check but belongs to no real organisation."""
    body = org_type + division + "".join(rng.choice(ALPHABET[:10] + "MA") for _ in range(9))
    return body + check_character(body)


def seed(world: DemoWorld) -> None:
    rng = world.rng
    for region, (zh, en) in REGION_NAMES.items():
        for dept, (dzh, den) in DEPARTMENT_NAMES.items():
            org = organisation_register(
                uscc=synthetic_uscc(rng, DIVISION[region], "11"),
                name_zh=f"{zh}{dzh}",
                name_en=f"{en} {den}",
                region=region,
                is_regulator=True,
                department=dept,
            )
            key = f"{region.lower()}-{dept.replace('_', '-')}"
            world.orgs[key] = org
    for key, zh, en, region, kinds in ENTERPRISES:
        world.orgs[key] = organisation_register(
            uscc=synthetic_uscc(rng, DIVISION[region]), name_zh=zh, name_en=en, region=region, kinds=kinds
        )
    # One hash for every demo user: hashing ~60 passwords one by one takes half a minute.
    hashed = make_password(DEMO_PASSWORD)
    accounts = [(key, org, Role.MANAGER) for key, org in world.orgs.items()]
    accounts.append(("bj-viewer", world.orgs["bj-industry-it"], Role.VIEWER))
    for username, org, role in accounts:
        user, _ = User.objects.get_or_create(
            username=username, defaults={"password": hashed, "organisation": org, "role": role}
        )
        world.users[username] = user
    User.objects.get_or_create(
        username="admin",
        defaults={
            "password": hashed,
            "is_superuser": True,
            "is_staff": True,
            "email": "admin@example.invalid",
        },
    )
