"""rules_json: every shipped programme survives the round trip, and bad JSON is refused."""
import json
from dataclasses import replace

import pytest

from aid.programmes.defaults import DEFAULT_PROGRAMMES, NATIONAL_GRANT_2025
from aid.programmes.eligibility import Level, levels_average_fen
from aid.programmes.rules_io import rules_from_json, rules_to_dict, rules_to_json
from aid.programmes.semesters import Semester


@pytest.mark.parametrize("rules", DEFAULT_PROGRAMMES, ids=lambda r: f"{r.code}-{r.valid_from}")
def test_round_trip_of_the_shipped_defaults(rules):
    assert rules_from_json(rules_to_json(rules)) == rules


def test_round_trip_keeps_levels_weights_and_semesters():
    rules = replace(NATIONAL_GRANT_2025, levels=(Level("特别困难", 330000), Level("一般困难", 150000)),
                    level_weights=(3, 1), valid_to=Semester(2027, "spring"), quota=7)
    back = rules_from_json(rules_to_json(rules))
    assert back == rules
    assert back.levels[0] == Level("特别困难", 330000)
    assert back.valid_to == Semester(2027, "spring")
    data = json.loads(rules_to_json(rules))
    assert data["valid_from"] == "2025-spring" and data["levels"][1] == {"name": "一般困难", "annual_fen": 150000}


def test_weighted_average_reaches_the_2025_policy_average():
    # 3000/2000/1000 at 4:3:3 head counts averages 2100; 6:2:2 reaches 2300 yuan
    levels = NATIONAL_GRANT_2025.levels
    assert levels_average_fen(levels) == 200000
    assert levels_average_fen(levels, (6, 2, 2)) == 240000
    assert levels_average_fen(levels, (5, 3, 2)) == 230000


def test_unknown_fields_and_bad_values_are_refused():
    data = rules_to_dict(NATIONAL_GRANT_2025)
    with pytest.raises(ValueError):
        rules_from_json(json.dumps({**data, "include_everyone": True}))
    with pytest.raises(ValueError):
        rules_from_json(json.dumps({**data, "valid_from": "2025-summer"}))
    with pytest.raises(ValueError):
        rules_from_json(json.dumps({**data, "level_weights": [1, 2]}))
