"""ProgrammeRules <-> rules_json (the text stored in ProgrammeVersion.rules_json).

The JSON is a flat object of the dataclass fields: semesters as "2025-spring",
levels as [{"name": ..., "annual_fen": ...}], tuples as lists. Unknown keys are
refused so a typo in stored policy never passes silently.
"""
from __future__ import annotations

import json
from dataclasses import fields

from .eligibility import Level, ProgrammeRules
from .semesters import Semester

_SEMESTER_FIELDS = ("valid_from", "valid_to")
_TUPLE_FIELDS = ("years_of_study", "performing_arts_allowed_via", "level_weights")


def rules_to_dict(rules: ProgrammeRules) -> dict:
    out: dict = {}
    for f in fields(ProgrammeRules):
        value = getattr(rules, f.name)
        if f.name in _SEMESTER_FIELDS:
            value = str(value) if value is not None else None
        elif f.name == "levels":
            value = [{"name": lv.name, "annual_fen": lv.annual_fen} for lv in value]
        elif f.name in _TUPLE_FIELDS:
            value = list(value)
        out[f.name] = value
    return out


def rules_to_json(rules: ProgrammeRules) -> str:
    return json.dumps(rules_to_dict(rules), ensure_ascii=False, sort_keys=True)


def rules_from_dict(data: dict) -> ProgrammeRules:
    known = {f.name for f in fields(ProgrammeRules)}
    unknown = set(data) - known
    if unknown:
        raise ValueError(f"unknown rule fields: {sorted(unknown)}")
    kwargs = dict(data)
    for name in _SEMESTER_FIELDS:
        if kwargs.get(name) is not None:
            kwargs[name] = Semester.parse(kwargs[name])
    if "levels" in kwargs:
        kwargs["levels"] = tuple(Level(str(lv["name"]), int(lv["annual_fen"])) for lv in kwargs["levels"])
    for name in _TUPLE_FIELDS:
        if name in kwargs:
            kwargs[name] = tuple(kwargs[name])
    return ProgrammeRules(**kwargs)


def rules_from_json(text: str) -> ProgrammeRules:
    return rules_from_dict(json.loads(text))
