"""A small two-province world for integration and access tests.

Province P (the test user's) has city A with schools A1 and A2, city B with
school B1; province Z has school Z1 that nobody in P may reach. Every school
gets the same set of objects, so a test can ask for "the same kind of record in
another jurisdiction". Areas add their objects in tests/areas/<area>.py (build_world).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from types import SimpleNamespace

from aid.auth.models import User
from aid.auth.service import hash_password
from aid.core.identity import generate_bank_card, generate_resident_id
from aid.extensions import db
from aid.org.models import Authority, School
from aid.students.models import Major, SchoolClass, Student
from aid.students.personal import set_aid_card, set_id_number, set_phone

PASSWORD = "Test-pass-2026"
SCHOOL_KEYS = ("A1", "A2", "B1", "Z1")
# which keys are outside each role's jurisdiction (the user of each role sits in A1 / city A / province P)
FOREIGN_KEYS = {
    "student": ("A1b", "A2", "B1", "Z1"),
    "school_officer": ("A2", "B1", "Z1"),
    "school_leader": ("A2", "B1", "Z1"),
    "bureau_officer": ("B1", "Z1"),
    "province_admin": ("Z1",),
}


@dataclass
class World:
    authorities: dict[str, Authority] = field(default_factory=dict)
    schools: dict[str, School] = field(default_factory=dict)
    users: dict[str, User] = field(default_factory=dict)
    obj: dict[str, SimpleNamespace] = field(default_factory=dict)

    def user(self, role: str) -> User:
        return self.users[role]


_HASH = None


def _hash():
    global _HASH
    if _HASH is None:
        _HASH = hash_password(PASSWORD)
    return _HASH


def add_user(w: World, key: str, username: str, role: str, **scope) -> User:
    u = User(username=username, display_name=username, role=role, password_hash=_hash(),
             must_change_password=False, **scope)
    db.session.add(u)
    db.session.flush()
    w.users[key] = u
    return u


_SEQ = [0]
_REGIONS = ("350102", "350103", "350104", "350105", "350111", "350121", "350122", "350123", "350124", "350125")


class _Counted:
    """Stands in for the rng of generate_resident_id: distinct digits for 5,000 calls in a row."""

    def __init__(self, n: int):
        self.n = n

    def choice(self, options: str) -> str:
        return options[(self.n // 100) % len(options)]

    def randrange(self, stop: int) -> int:
        return self.n % stop


def add_student(school: School, cls: SchoolClass, name: str, *, study_mode="full_time", status="在籍",
                registration_state="verified", household="rural", born=date(2008, 5, 17), gender="男",
                rng_seed: int = 0, card=True) -> Student:
    import random

    _SEQ[0] += 1
    rng = random.Random(rng_seed or _SEQ[0] * 7919)
    # the ID's sequence digits follow the counter, not the rng: two students of one world must never
    # share an ID by chance (with one birth date and gender there are only 500 sequences per region)
    number = generate_resident_id(rng if rng_seed else _Counted(_SEQ[0]),
                                  _REGIONS[(_SEQ[0] // 500) % len(_REGIONS)], born, gender)
    s = Student(school_id=school.id, class_id=cls.id, register_no=f"{school.code}-{_SEQ[0]:05d}", name=name,
                name_sort=name, gender=gender, birth_date=born, household=household, study_mode=study_mode,
                enrolment_date=cls.intake_date, status=status, registration_state=registration_state)
    set_id_number(s, number)
    if card:
        set_aid_card(s, generate_bank_card(rng))
    set_phone(s, f"138{rng.randint(10000000, 99999999)}")
    db.session.add(s)
    db.session.flush()
    return s


def build_world() -> World:
    w = World()
    p = Authority(name="测试省人社厅", level="province")
    z = Authority(name="外省人社厅", level="province")
    db.session.add_all([p, z])
    db.session.flush()
    a = Authority(name="甲市人社局", level="city", parent_id=p.id)
    b = Authority(name="乙市人社局", level="city", parent_id=p.id)
    db.session.add_all([a, b])
    db.session.flush()
    w.authorities.update(P=p, Z=z, A=a, B=b)
    parents = {"A1": a, "A2": a, "B1": b, "Z1": z}
    for i, key in enumerate(SCHOOL_KEYS):
        s = School(code=f"T{i + 1:03d}", name=f"{key}技工学校", kind="技工学校", ownership="public",
                   authority_id=parents[key].id, address=f"{key}路{i}号")
        db.session.add(s)
        db.session.flush()
        w.schools[key] = s
        major = Major(school_id=s.id, code="0101", name=f"{key}数控加工", tuition_fen_per_year=240000)
        db.session.add(major)
        db.session.flush()
        cls = SchoolClass(school_id=s.id, major_id=major.id, name=f"{key}2025级1班", intake_date=date(2025, 9, 1))
        db.session.add(cls)
        db.session.flush()
        student = add_student(s, cls, f"{key}学生甲")
        w.obj[key] = SimpleNamespace(school=s, major=major, school_class=cls, student=student)
    other = add_student(w.schools["A1"], w.obj["A1"].school_class, "A1学生乙")
    w.obj["A1b"] = SimpleNamespace(school=w.schools["A1"], major=w.obj["A1"].major,
                                   school_class=w.obj["A1"].school_class, student=other)
    add_user(w, "province_admin", "p_admin", "province_admin", authority_id=p.id)
    add_user(w, "bureau_officer", "a_bureau", "bureau_officer", authority_id=a.id)
    add_user(w, "bureau_officer_b", "b_bureau", "bureau_officer", authority_id=b.id)
    add_user(w, "school_officer", "a1_officer", "school_officer", school_id=w.schools["A1"].id)
    add_user(w, "school_officer_2", "a1_officer2", "school_officer", school_id=w.schools["A1"].id)
    add_user(w, "school_leader", "a1_leader", "school_leader", school_id=w.schools["A1"].id)
    add_user(w, "school_officer_a2", "a2_officer", "school_officer", school_id=w.schools["A2"].id)
    add_user(w, "student", "a1_student", "student", school_id=w.schools["A1"].id, student_id=w.obj["A1"].student.id)
    add_user(w, "z_admin", "z_admin", "province_admin", authority_id=z.id)
    from tests.areas import area_modules

    for module in area_modules():  # each area's tests/areas/<area>.py adds its records
        builder = getattr(module, "build_world", None)
        if builder is not None:
            for key in SCHOOL_KEYS + ("A1b",):
                builder(w, key, w.obj[key])
    db.session.commit()
    return w
