import random
from datetime import date, datetime
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from stdnum import luhn
from stdnum.cn import ric

from aid.core import errors
from aid.core.identity import (
    InvalidValue, ResidentId, check_id_consistency, generate_bank_card,
    generate_resident_id, id_number_problem, mask_card, mask_id, mask_phone, normalize_digits,
    parse_resident_id, validate_bank_card, validate_phone, validate_social_security_card,
)

TODAY = date(2025, 9, 1)

# Check digits below were computed independently of the code under test and are literals
# on purpose; 11010519491231002X is the worked example of GB 11643.
GB_EXAMPLE = "11010519491231002X"
LEAP_GIRL = "350102200802290025"      # 2008-02-29, sequence 002 -> 女
LEAP_BOY = "350102200802290017"       # 2008-02-29, sequence 001 -> 男
NOT_LEAP = "35010220070229001X"       # 2007-02-29 does not exist, check digit is right
MONTH_13 = "350102200813010017"
BORN_1899 = "350102189912310010"
FUTURE = "350102209901010018"
DONGGUAN = "441900200803150028"       # prefecture-level city without districts
CHANGLE = "350112200501010037"        # 福州长乐区, created 2017
HK_PERMIT = "810000200606060049"      # 港澳台居民居住证
BAD_PROVINCE = "990105200801010018"
CARD_19 = "6217001234567890122"
CARD_16 = "6222021234567894"


def err(fn, *args, **kw) -> str:
    with pytest.raises(InvalidValue) as e:
        fn(*args, **kw)
    return str(e.value)


# --- errors -------------------------------------------------------------------------------

def test_invalid_value_is_shared_and_carries_message():
    assert InvalidValue is errors.InvalidValue
    e = InvalidValue("身份证号码校验位错误")
    assert isinstance(e, ValueError)
    assert str(e) == e.message == "身份证号码校验位错误"


# --- normalize_digits ---------------------------------------------------------------------

@pytest.mark.parametrize("raw, expected", [
    ("11010519491231002x", GB_EXAMPLE),
    ("１１０１０５１９４９１２３１００２Ｘ", GB_EXAMPLE),
    ("１１０１０５１９４９１２３１００２ｘ", GB_EXAMPLE),
    (" 110105 19491231 002X\t", GB_EXAMPLE),
    ("\u3000110105\u00a019491231002X\u3000", GB_EXAMPLE),
    ("\ufeff110105\u200b19491231002X\r\n", GB_EXAMPLE),
    ("", ""),
])
def test_normalize_digits(raw, expected):
    assert normalize_digits(raw) == expected


# --- parse_resident_id --------------------------------------------------------------------

def test_parse_gb_example():
    rid = parse_resident_id(GB_EXAMPLE, today=TODAY)
    assert rid == ResidentId(GB_EXAMPLE, date(1949, 12, 31), "女", "110105")
    assert rid.birth_place == "北京市朝阳区"


def test_parse_stdnum_doc_example_is_male():
    rid = parse_resident_id("360426199101010071", today=TODAY)
    assert (rid.birth_date, rid.gender, rid.region_code) == (date(1991, 1, 1), "男", "360426")


@pytest.mark.parametrize("raw", [
    "11010519491231002x",
    "１１０１０５１９４９１２３１００２ｘ",
    "  110105 1949 1231 002X ",
    "\u3000" + GB_EXAMPLE + "\u00a0",
])
def test_parse_normalizes_input(raw):
    assert parse_resident_id(raw, today=TODAY).number == GB_EXAMPLE


def test_leap_day_2008_is_valid_and_gender_follows_digit_17():
    girl = parse_resident_id(LEAP_GIRL, today=TODAY)
    boy = parse_resident_id(LEAP_BOY, today=TODAY)
    assert girl.birth_date == boy.birth_date == date(2008, 2, 29)
    assert (girl.gender, boy.gender) == ("女", "男")


@pytest.mark.parametrize("raw", [NOT_LEAP, MONTH_13, BORN_1899])
def test_impossible_birth_date(raw):
    assert err(parse_resident_id, raw, today=TODAY) == "身份证号码中的出生日期无效"


def test_impossible_date_reported_even_with_wrong_check_digit():
    assert err(parse_resident_id, NOT_LEAP[:-1] + "3", today=TODAY) == "身份证号码中的出生日期无效"


def test_future_birth_date():
    assert err(parse_resident_id, FUTURE, today=TODAY) == "身份证号码中的出生日期晚于今天"
    # today defaults to the real date; 2099 stays in the future for this code's lifetime
    assert "晚于今天" in err(parse_resident_id, FUTURE)


def test_born_today_is_accepted():
    number = generate_resident_id(random.Random(0), "350102", TODAY, "男")
    assert parse_resident_id(number, today=TODAY).birth_date == TODAY


@pytest.mark.parametrize("raw", [
    "110105194912310021",  # last digit should be X
    "110105194912310020",
    "360426199101010070",
    LEAP_GIRL[:-1] + "7",
])
def test_bad_check_digit(raw):
    assert err(parse_resident_id, raw, today=TODAY) == "身份证号码校验位错误"


def test_transposed_digits_fail_checksum():
    swapped = "11010519491213002X"  # day 31 -> 13: still a real date
    assert sorted(swapped) == sorted(GB_EXAMPLE) and swapped != GB_EXAMPLE
    assert err(parse_resident_id, swapped, today=TODAY) == "身份证号码校验位错误"


@pytest.mark.parametrize("raw", [None, "", "   ", "\u3000\t"])
def test_empty(raw):
    assert err(parse_resident_id, raw) == "身份证号码不能为空"


def test_old_15_digit_id():
    assert err(parse_resident_id, "110105491231002") == "15位旧身份证号码已停用，请使用18位居民身份证号码"


@pytest.mark.parametrize("raw, n", [("1101051949123100", 16), ("11010519491231002X1", 19),
                                    ("12345", 5)])
def test_wrong_length(raw, n):
    assert err(parse_resident_id, raw) == f"身份证号码应为18位，当前为{n}位"


@pytest.mark.parametrize("raw", ["11010519491231002A", "1101051949123100X2",
                                 "11010519491231O02X", "11010519491231-02X"])
def test_non_digits(raw):
    assert err(parse_resident_id, raw) == "身份证号码只能由数字组成，最后一位可以是X"


@pytest.mark.parametrize("raw", [110105194912310021, 1.1010519491231002e17,
                                 Decimal("110105194912310021")])
def test_excel_number_cell(raw):
    assert err(parse_resident_id, raw) == "身份证号码被存为数字，可能已丢失位数，请将该列设为文本格式后重新填写"


def test_excel_float_really_lost_digits():
    # The reason for the rule: a float keeps ~15-17 significant digits.
    assert str(int(float("350102200802290025"))) != "350102200802290025"


def test_unknown_province_rejected_like_stdnum():
    assert not ric.is_valid(BAD_PROVINCE)
    assert err(parse_resident_id, BAD_PROVINCE, today=TODAY) == "身份证号码前两位不是有效的省级行政区划代码"


@pytest.mark.parametrize("number, region", [(DONGGUAN, "441900"), (CHANGLE, "350112"),
                                            (HK_PERMIT, "810000")])
def test_real_region_codes_missing_from_stdnum_table_are_accepted(number, region):
    assert not ric.is_valid(number)  # documents why ric.validate() is not the gate
    rid = parse_resident_id(number, today=TODAY)
    assert rid.region_code == region
    assert rid.birth_place is None


def test_repr_masks_number():
    r = repr(parse_resident_id(LEAP_GIRL, today=TODAY))
    assert LEAP_GIRL not in r
    assert "350102********0025" in r


def test_resident_id_is_frozen():
    rid = parse_resident_id(LEAP_GIRL, today=TODAY)
    with pytest.raises(AttributeError):
        rid.gender = "男"


# --- check_id_consistency -----------------------------------------------------------------

def test_consistent_record_has_no_messages():
    rid = parse_resident_id(LEAP_GIRL, today=TODAY)
    assert check_id_consistency(rid, date(2008, 2, 29), "女") == []
    assert check_id_consistency(rid, datetime(2008, 2, 29, 0, 0), " 女 ") == []
    assert check_id_consistency(rid, None, None) == []
    assert check_id_consistency(rid, None, "") == []


def test_inconsistent_birth_date_and_gender():
    rid = parse_resident_id(LEAP_GIRL, today=TODAY)
    assert check_id_consistency(rid, date(2008, 3, 1), "男") == [
        "出生日期2008-03-01与身份证号码中的出生日期2008-02-29不一致",
        "性别“男”与身份证号码（女）不一致",
    ]


def test_unrecognised_gender():
    rid = parse_resident_id(LEAP_BOY, today=TODAY)
    assert check_id_consistency(rid, None, "M") == ["性别“M”无法识别，应填写“男”或“女”"]


# --- cards --------------------------------------------------------------------------------

def test_literal_cards_are_luhn_valid():
    assert luhn.is_valid(CARD_19) and luhn.is_valid(CARD_16)


@pytest.mark.parametrize("raw, expected", [
    (CARD_19, CARD_19),
    (CARD_16, CARD_16),
    ("6217 0012 3456 7890 122", CARD_19),
    ("６２１７００１２３４５６７８９０１２２", CARD_19),
    ("6222-0212-3456-7894", CARD_16),
])
def test_bank_card_valid(raw, expected):
    assert validate_bank_card(raw) == expected


def test_bank_card_errors():
    assert err(validate_bank_card, CARD_19[:-1] + "3") == "银行卡号校验失败，请核对是否抄错"
    assert err(validate_bank_card, "621700123456789") == "银行卡号应为16至19位数字，当前为15位"
    assert err(validate_bank_card, "62170012345678901223") == "银行卡号应为16至19位数字，当前为20位"
    assert err(validate_bank_card, "6217A01234567890122") == "银行卡号只能包含数字"
    assert err(validate_bank_card, None) == "银行卡号不能为空"
    assert err(validate_bank_card, "", label="资助卡号") == "资助卡号不能为空"
    assert "被存为数字" in err(validate_bank_card, 6217001234567890122)


@pytest.mark.parametrize("raw, expected", [
    ("a12345678", "A12345678"),
    ("Ａ１２３４５６７８", "A12345678"),
    ("123456789", "123456789"),
    (CARD_19, CARD_19),
    ("6222 0212 3456 7894", CARD_16),
])
def test_social_security_card_valid(raw, expected):
    assert validate_social_security_card(raw) == expected


def test_social_security_card_errors():
    assert err(validate_social_security_card, "A1234567") == "社会保障卡号应为9位卡号或16至19位银行账号"
    assert err(validate_social_security_card, "A123456789") == "社会保障卡号应为9位卡号或16至19位银行账号"
    assert err(validate_social_security_card, CARD_19[:-1] + "3") == "社会保障卡号校验失败，请核对是否抄错"
    assert luhn.is_valid(LEAP_GIRL)  # would pass as a bank account number
    for number in (LEAP_GIRL, LEAP_BOY, GB_EXAMPLE):
        assert err(validate_social_security_card, number) == (
            "填写的是身份证号码（社会保障号码），请填写社会保障卡卡号或卡上的银行账号")
    assert err(validate_social_security_card, "") == "社会保障卡号不能为空"


# --- phone --------------------------------------------------------------------------------

@pytest.mark.parametrize("raw, expected", [
    ("13800138000", "13800138000"),
    ("138 0013 8000", "13800138000"),
    ("138-0013-8000", "13800138000"),
    ("+86 138 0013 8000", "13800138000"),
    ("8613800138000", "13800138000"),
    ("１９９１２３４５６７８", "19912345678"),
    ("0591-87505352", "0591-87505352"),
    ("059187505352", "0591-87505352"),
    ("(0591)87505352", "0591-87505352"),
    ("（０５９１）８７５０５３５２", "0591-87505352"),
    ("010-62345678", "010-62345678"),
    ("02087654321", "020-87654321"),
    ("0754-8765432", "0754-8765432"),
])
def test_phone_valid(raw, expected):
    assert validate_phone(raw) == expected


@pytest.mark.parametrize("raw", ["12800138000", "1380013800", "138001380001", "87505352",
                                 "0591-0750535", "0591-875053521", "abc", "110",
                                 # area-code prefixes alone (a lone "0" once raised IndexError)
                                 "0", "0-", "(0)", "01", "021", "0591"])
def test_phone_invalid(raw):
    assert err(validate_phone, raw) == "联系电话格式不正确：手机号为11位，固定电话请带区号，如0591-87505352"


def test_phone_empty_and_number_cell():
    assert err(validate_phone, None) == "联系电话不能为空"
    assert "被存为数字" in err(validate_phone, 13800138000)


# --- masking ------------------------------------------------------------------------------

def test_mask_id():
    assert mask_id("350102200802291234") == "350102********1234"
    assert mask_id(GB_EXAMPLE) == "110105********002X"
    assert len(mask_id(GB_EXAMPLE)) == 18
    assert mask_id(None) == mask_id("") == ""
    assert mask_id("1234567890") == "**********"  # too short to show anything


def test_mask_card():
    assert mask_card(CARD_19) == "6217***********0122"
    assert mask_card(CARD_16) == "6222********7894"
    assert len(mask_card(CARD_19)) == 19 and len(mask_card(CARD_16)) == 16
    assert mask_card("A12345678") == "A123*5678"
    assert mask_card(None) == mask_card("") == ""


def test_mask_phone():
    assert mask_phone("13812345678") == "138****5678"
    assert mask_phone("0591-87505352") == "0591-****5352"
    assert mask_phone(None) == mask_phone("") == ""


# --- generators ---------------------------------------------------------------------------

def test_generate_resident_id_is_deterministic_per_seed():
    a = generate_resident_id(random.Random(42), "350102", date(2008, 2, 29), "女")
    b = generate_resident_id(random.Random(42), "350102", date(2008, 2, 29), "女")
    assert a == b
    assert a.startswith("35010220080229") and int(a[16]) % 2 == 0


def test_generate_resident_id_rejects_bad_arguments():
    with pytest.raises(ValueError):
        generate_resident_id(random.Random(0), "35010", date(2008, 1, 1), "男")
    with pytest.raises(ValueError):
        generate_resident_id(random.Random(0), "350102", date(2008, 1, 1), "M")


REGIONS = ["110105", "350102", "350128", "441900", "442000", "620200", "460400", "650102"]


@settings(max_examples=300)
@given(seed=st.integers(0, 2**32), region=st.sampled_from(REGIONS),
       birth=st.dates(date(1900, 1, 1), TODAY), gender=st.sampled_from(["男", "女"]))
def test_generated_resident_id_round_trips(seed, region, birth, gender):
    number = generate_resident_id(random.Random(seed), region, birth, gender)
    rid = parse_resident_id(number, today=TODAY)
    assert (rid.number, rid.birth_date, rid.gender, rid.region_code) == (number, birth, gender, region)
    assert check_id_consistency(rid, birth, gender) == []
    assert mask_id(number) == number[:6] + "********" + number[-4:]


@given(seed=st.integers(0, 2**32), prefix=st.sampled_from(["621700", "622202", "623668"]))
def test_generated_bank_card_is_valid(seed, prefix):
    card = generate_bank_card(random.Random(seed), prefix)
    assert len(card) == 19 and card.startswith(prefix)
    assert validate_bank_card(card) == card
    assert validate_social_security_card(card) == card
    broken = card[:-1] + str((int(card[-1]) + 1) % 10)
    assert not luhn.is_valid(broken)


def test_id_number_problem_is_one_message_or_none():
    number = generate_resident_id(random.Random(3), "350102", date(2008, 5, 17), "女")
    assert id_number_problem(number, date(2008, 5, 17), "女", today=TODAY) is None
    assert id_number_problem(number, None, "", today=TODAY) is None  # missing values are not reported
    broken = number[:-1] + ("0" if number[-1] != "0" else "1")
    assert id_number_problem(broken, date(2008, 5, 17), "女", today=TODAY) == "身份证号码校验位错误"
    both = id_number_problem(number, date(2008, 5, 18), "男", today=TODAY)
    assert "出生日期2008-05-18与身份证号码中的出生日期2008-05-17不一致" in both and "；" in both and "（女）" in both
