"""The demo district: 福建省 with three cities, six schools, ~600 students.

Deterministic (a fixed random seed) and idempotent (a second run changes
nothing). IDs are generated with valid checksums and random sequence digits;
they belong to no real person. Later areas add their demo data in
aid/<area>/demo.py (demo_step(ctx)), run in AREAS order inside one transaction.
"""
from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date

from pypinyin import lazy_pinyin
from sqlalchemy import select

from aid.audit.service import record
from aid.auth.models import User
from aid.auth.service import hash_password
from aid.core.identity import generate_bank_card, generate_resident_id
from aid.extensions import db
from aid.org.models import Authority, School
from aid.students.models import Major, SchoolClass, Student
from aid.students.personal import set_aid_card, set_id_number, set_phone

PROVINCE = "福建省人力资源和社会保障厅"
DEMO_PASSWORD = "Demo-2026-aid"

CITIES = [("福州市人力资源和社会保障局", "3501", "350102"), ("厦门市人力资源和社会保障局", "3502", "350203"),
          ("泉州市人力资源和社会保障局", "3505", "350502")]
COUNTY = ("安溪县人力资源和社会保障局", "3505", "350524")

# code, name, kind, ownership, authority key, flags, majors
SCHOOLS = [
    ("3500001", "福建省技师学院", "技师学院", "public", "province", {}, ["数控加工", "电气自动化设备安装与维修", "现代农业技术"]),
    ("3501001", "福州技师学院", "技师学院", "public", "福州", {}, ["汽车维修", "计算机网络应用", "烹饪（中式烹调）"]),
    ("3501002", "福州东方技工学校", "技工学校", "private", "福州", {}, ["电子商务", "美容美发与造型", "戏曲表演"]),
    ("3502001", "厦门技师学院", "技师学院", "public", "厦门", {}, ["工业机器人应用与维护", "物流服务与管理", "舞蹈表演"]),
    ("3505001", "泉州高级技工学校", "高级技工学校", "public", "泉州", {}, ["服装设计与制作", "建筑施工", "园林技术"]),
    ("3505241", "安溪茶业技工学校", "技工学校", "public", "安溪", {"ethnic_minority_area": False},
     ["茶叶生产与加工", "农业机械使用与维护", "酒店服务"]),
]
AGRICULTURE = {"现代农业技术", "园林技术", "茶叶生产与加工", "农业机械使用与维护"}
OPERA = {"戏曲表演"}
OTHER_PERFORMING = {"舞蹈表演"}

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董潘袁蔡蒋余于杜叶程魏苏吕丁任沈姚卢傅钟姜崔谭廖范汪陆金石戴贾韦夏邱方侯邹熊孟秦白江阎薛尹段雷黎史龙陶贺顾毛郝龚邵万钱严覃武洪赖"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉萍红娥玲芬燕彬鑫浩宇轩然子涵欣怡梓睿诗琪博文思雨嘉豪俊杰晨曦雅婷佳琪雨桐一诺昊天浩然泽宇紫萱梦琪晓东志强建国丽君"


@dataclass
class DemoContext:
    rng: random.Random
    province: Authority
    authorities: dict[str, Authority] = field(default_factory=dict)
    schools: list[School] = field(default_factory=list)
    students: list[Student] = field(default_factory=list)
    users: dict[str, User] = field(default_factory=dict)
    logins: list[tuple[str, str, str]] = field(default_factory=list)




def _name(rng: random.Random) -> str:
    given = "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2, 2))))
    return rng.choice(SURNAMES) + given


def _user(ctx: DemoContext, username: str, display: str, role: str, **scope) -> User:
    user = User(username=username, display_name=display, role=role, password_hash=hash_password(DEMO_PASSWORD),
                must_change_password=False, **scope)
    db.session.add(user)
    db.session.flush()
    ctx.users[username] = user
    ctx.logins.append((role, username, DEMO_PASSWORD))
    return user


def build_demo() -> bool:
    """Create the district; False (and no change) when it already exists."""
    if db.session.scalar(select(Authority.id).where(Authority.name == PROVINCE)):
        return False
    rng = random.Random(20230612)
    province = Authority(name=PROVINCE, level="province", region_code="350000")
    db.session.add(province)
    db.session.flush()
    ctx = DemoContext(rng=rng, province=province, authorities={"province": province})
    for name, code, _region in CITIES:
        a = Authority(name=name, level="city", parent_id=province.id, region_code=code)
        db.session.add(a)
        ctx.authorities[name[:3]] = a
    db.session.flush()
    county = Authority(name=COUNTY[0], level="county", parent_id=ctx.authorities["泉州市"].id, region_code=COUNTY[1])
    db.session.add(county)
    db.session.flush()
    ctx.authorities["安溪"] = county
    keys = {"福州": "福州市", "厦门": "厦门市", "泉州": "泉州市", "province": "province", "安溪": "安溪"}

    _user(ctx, "admin", "省技工教育中心管理员", "province_admin", authority_id=province.id)
    _user(ctx, "fz_bureau", "福州市人社局经办", "bureau_officer", authority_id=ctx.authorities["福州市"].id)
    _user(ctx, "xm_bureau", "厦门市人社局经办", "bureau_officer", authority_id=ctx.authorities["厦门市"].id)
    _user(ctx, "qz_bureau", "泉州市人社局经办", "bureau_officer", authority_id=ctx.authorities["泉州市"].id)
    _user(ctx, "ax_bureau", "安溪县人社局经办", "bureau_officer", authority_id=county.id)
    _user(ctx, "prov_bureau", "省人社厅技工教育处经办", "bureau_officer", authority_id=province.id)

    for n, (code, name, kind, ownership, key, flags, majors) in enumerate(SCHOOLS):
        school = School(code=code, name=name, kind=kind, ownership=ownership,
                        authority_id=ctx.authorities[keys[key]].id,
                        address=f"福建省{name[:2]}市学府路{10 + n}号", credit_code=_credit_code(rng),
                        legal_representative=_name(rng), contact_phone=f"0591-8750{5300 + n}", **flags)
        db.session.add(school)
        db.session.flush()
        ctx.schools.append(school)
        _user(ctx, f"s{code}_officer", f"{name}资助经办", "school_officer", school_id=school.id)
        _user(ctx, f"s{code}_leader", f"{name}校长", "school_leader", school_id=school.id)
        _build_school_register(ctx, school, majors, n)
    for i, student in enumerate(s for s in ctx.students if s.status == "在籍" and s.study_mode == "full_time"):
        if i >= 2:
            break
        _user(ctx, f"stu{student.register_no[-6:]}", student.name, "student",
              school_id=student.school_id, student_id=student.id)
    record("demo_build", object_type="demo", summary="创建演示数据")
    from aid import AREAS, area_module
    for area in AREAS:  # each area's aid/<area>/demo.py adds its records
        module = area_module(area, "demo")
        if module is not None:
            module.demo_step(ctx)
    db.session.commit()
    _LAST_LOGINS[:] = ctx.logins
    return True


_LAST_LOGINS: list[tuple[str, str, str]] = []


def demo_logins() -> list[tuple[str, str, str]]:
    """One line per role and jurisdiction (the demo password is the same for all)."""
    users = db.session.execute(select(User).order_by(User.id)).scalars().all()
    return [(u.role, u.username, DEMO_PASSWORD) for u in users]


def _credit_code(rng: random.Random) -> str:
    from stdnum.cn import uscc
    body = "52350100" + "".join(rng.choice("0123456789ABCDEFGHJKLMNPQRTUWXY") for _ in range(9))
    return body + uscc.calc_check_digit(body)


def _build_school_register(ctx: DemoContext, school: School, major_names: list[str], n: int) -> None:
    rng = ctx.rng
    region = {"province": "350102", "福州": "350102", "厦门": "350203", "泉州": "350502", "安溪": "350524"}
    region_code = region[SCHOOLS[n][4]]
    majors = []
    for i, mname in enumerate(major_names):
        tuition = rng.choice((240000, 280000, 320000))
        m = Major(school_id=school.id, code=f"{i + 1:04d}", name=mname, training_level="中级工",
                  agriculture_related=mname in AGRICULTURE, opera_performance=mname in OPERA,
                  other_performing_arts=mname in OTHER_PERFORMING, tuition_fen_per_year=tuition,
                  public_tuition_fen_per_year=240000 if school.ownership == "private" else None)
        db.session.add(m)
        majors.append(m)
    db.session.flush()
    classes = []
    for m in majors:
        for year in (2023, 2024, 2025):
            c = SchoolClass(school_id=school.id, major_id=m.id, name=f"{year}级{m.name}{1}班",
                            intake_date=date(year, 9, 1), level="中级工", entry_point="初中起点",
                            programme_years=3, study_mode="full_time")
            db.session.add(c)
            classes.append(c)
    part_time = SchoolClass(school_id=school.id, major_id=majors[0].id, name=f"2024级{majors[0].name}非全日制班",
                            intake_date=date(2024, 9, 1), level="中级工", entry_point="高中起点",
                            programme_years=2, study_mode="part_time")
    db.session.add(part_time)
    db.session.flush()
    for k in range(100):
        cls = part_time if k >= 92 else classes[k % len(classes)]
        born = date(cls.intake_date.year - 15 - (1 if cls.study_mode == "part_time" else 0) - rng.choice((0, 0, 1)),
                    rng.randint(1, 12), rng.randint(1, 28))
        gender = rng.choice(("男", "女"))
        number = generate_resident_id(rng, region_code, born, gender)
        name = _name(rng)
        state = rng.choices(("verified", "submitted", "draft", "returned"), weights=(80, 8, 8, 4))[0]
        status = rng.choices(("在籍", "休学", "退学"), weights=(94, 4, 2))[0] if cls.study_mode == "full_time" else "在籍"
        s = Student(school_id=school.id, class_id=cls.id, register_no=f"{school.code}{cls.intake_date.year}{k + 1:04d}",
                    name=name, name_sort="".join(lazy_pinyin(name)), gender=gender, birth_date=born,
                    household=rng.choices(("rural", "urban"), weights=(65, 35))[0], study_mode=cls.study_mode,
                    enrolment_date=cls.intake_date, status=status, registration_state=state,
                    registration_note="照片与身份证信息不一致，请核对" if state == "returned" else "",
                    address=f"福建省某县某镇{rng.randint(1, 99)}号")
        set_id_number(s, number)
        if rng.random() < 0.93:
            set_aid_card(s, generate_bank_card(rng))
        set_phone(s, f"13{rng.randint(0, 9)}{rng.randint(10000000, 99999999)}")
        db.session.add(s)
        ctx.students.append(s)
    db.session.flush()
