from decimal import Decimal

import cn2an
import pytest
from hypothesis import given
from hypothesis import strategies as st

from aid.core.errors import InvalidValue
from aid.core.money import MAX_FEN, capital_amount, format_fen, parse_yuan


def err(fn, *args) -> str:
    with pytest.raises(InvalidValue) as e:
        fn(*args)
    return str(e.value)


# --- format_fen ---------------------------------------------------------------------------

@pytest.mark.parametrize("fen, text", [
    (0, "0.00"), (1, "0.01"), (10, "0.10"), (99, "0.99"), (100, "1.00"),
    (150000, "1,500.00"), (150050, "1,500.50"), (-150000, "-1,500.00"), (-5, "-0.05"),
    (100000000, "1,000,000.00"), (123456789012, "1,234,567,890.12"),
])
def test_format_fen(fen, text):
    assert format_fen(fen) == text


@pytest.mark.parametrize("bad", [15.0, Decimal("15"), "1500", True, None])
def test_format_fen_rejects_non_int(bad):
    with pytest.raises(TypeError):
        format_fen(bad)


# --- capital_amount -----------------------------------------------------------------------

# Worked examples from 《支付结算办法》 附件一 (where the rule allows two forms, cn2an's
# is the one asserted), plus the brief's cases.
@pytest.mark.parametrize("fen, text", [
    (150000, "壹仟伍佰元整"),
    (150050, "壹仟伍佰元伍角整"),
    (150005, "壹仟伍佰元零伍分"),
    (150055, "壹仟伍佰元伍角伍分"),
    (0, "零元整"),
    (100000000, "壹佰万元整"),
    (140950, "壹仟肆佰零玖元伍角整"),
    (600714, "陆仟零柒元壹角肆分"),
    (168032, "壹仟陆佰捌拾元叁角贰分"),
    (10700053, "壹拾万零柒仟元伍角叁分"),
    (32504, "叁佰贰拾伍元零肆分"),
    (1000, "壹拾元整"),
    (101000, "壹仟零壹拾元整"),
    (1000100, "壹万零壹元整"),
    (2000000007, "贰仟万元零柒分"),
    (10000000001, "壹亿元零壹分"),
    (5, "伍分"),
    (50, "伍角整"),
    (55, "伍角伍分"),
    (-150000, "负壹仟伍佰元整"),
    (-50, "负伍角整"),
    (MAX_FEN, "壹佰亿元整"),
])
def test_capital_amount(fen, text):
    assert capital_amount(fen) == text


def test_cn2an_difference_is_only_zheng_after_jiao():
    # Guards the post-processing: if a cn2an upgrade starts writing 角整 itself, we'd
    # otherwise end up with 角整整; if it changes anything else, this fails too.
    assert cn2an.an2cn("1500.50", "rmb") == "壹仟伍佰元伍角"
    assert cn2an.an2cn("1500.00", "rmb") == "壹仟伍佰元整"


def test_capital_amount_rejects_float():
    with pytest.raises(TypeError):
        capital_amount(1500.5)


@given(st.integers(-MAX_FEN, MAX_FEN))
def test_capital_amount_shape(fen):
    text = capital_amount(fen)
    assert text.startswith("负") == (fen < 0)
    assert not text.endswith("角") and not text.endswith("分整")
    assert text.endswith("整") == (abs(fen) % 10 == 0)
    assert set(text) <= set("零壹贰叁肆伍陆柒捌玖拾佰仟万亿元角分整负")


# --- parse_yuan ---------------------------------------------------------------------------

@pytest.mark.parametrize("text, fen", [
    ("1500", 150000), ("1,500", 150000), ("1,500.50", 150050), ("1500.5", 150050),
    ("1500.05", 150005), ("0.01", 1), ("0", 0), ("0.00", 0), ("00015", 1500),
    ("１５００", 150000), ("１，５００．５０", 150050), (" 1 500 ", 150000),
    ("\u30001500\u00a0", 150000), ("¥1500", 150000), ("￥1,500.00", 150000),
    ("1500元", 150000), ("1500.500", 150050), ("1,234,567.89", 123456789),
    ("10000000000", MAX_FEN), ("10000000000.00", MAX_FEN),
    (1500, 150000), (1500.5, 150050), (0.1, 10), (Decimal("1500.50"), 150050),
])
def test_parse_yuan(text, fen):
    assert parse_yuan(text) == fen


@pytest.mark.parametrize("text", ["-1", "-0.01", "－1500", -1500, -0.5])
def test_parse_yuan_negative(text):
    assert err(parse_yuan, text) == "金额不能为负数"


@pytest.mark.parametrize("text", ["1500.555", "0.001", "1.0000000000000000000000000001",
                                  0.1 + 0.2])
def test_parse_yuan_too_many_decimals(text):
    assert err(parse_yuan, text) == "金额最多保留两位小数（精确到分）"


@pytest.mark.parametrize("text", ["10000000000.01", "350102200802290025",
                                  "9" * 5000, 1e15 + 2])
def test_parse_yuan_too_large(text):
    assert err(parse_yuan, text) == "金额过大，请核对是否填错"


@pytest.mark.parametrize("text", ["abc", "一千五百", "1.5e3", "1e3", "1,50", "15,00.00",
                                  ",1500", "1500.", ".5", "1.2.3", "NaN", "inf", "+",
                                  True, float("nan")])
def test_parse_yuan_not_a_number(text):
    assert err(parse_yuan, text) == "金额格式不正确，请填写数字，如 1500 或 1,500.50"


@pytest.mark.parametrize("text", [None, "", "   ", "元", "¥"])
def test_parse_yuan_empty(text):
    assert err(parse_yuan, text) == "请填写金额"


@given(st.integers(0, MAX_FEN))
def test_format_then_parse_round_trips(fen):
    assert parse_yuan(format_fen(fen)) == fen
