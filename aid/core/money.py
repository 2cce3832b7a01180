"""Money is an int number of fen (分) everywhere; these are the only conversions."""

from __future__ import annotations

import re
import unicodedata
import cn2an

from aid.core.errors import InvalidValue

MAX_FEN = 10**12  # 100亿元: far above any aid budget, catches pasted IDs and card numbers

_AMOUNT_RE = re.compile(r"(?:[0-9]+|[0-9]{1,3}(?:,[0-9]{3})+)(?:\.[0-9]+)?")


def _check_int(fen: object) -> int:
    if not isinstance(fen, int) or isinstance(fen, bool):
        raise TypeError(f"amount must be int fen, got {type(fen).__name__}")
    return fen


def format_fen(fen: int) -> str:
    """150050 -> '1,500.50'; -150000 -> '-1,500.00'."""
    fen = _check_int(fen)
    yuan, cents = divmod(abs(fen), 100)
    return f"{'-' if fen < 0 else ''}{yuan:,}.{cents:02d}"


def capital_amount(fen: int) -> str:
    """Chinese capital numerals (大写金额) for printed ledgers and settlements.

    Follows 《支付结算办法》 附件一: '整' after 元; after 角 we also write '整' (the rule makes
    it optional, we pick one form); never after 分. cn2an's 'rmb' mode matches the rule
    (零 for zero runs inside the number, 元零伍分 for a zero 角, 壹拾 not 拾) except that it
    omits '整' after 角, which is the only post-processing here.
    """
    fen = _check_int(fen)
    yuan, cents = divmod(abs(fen), 100)
    text = cn2an.an2cn(f"{yuan}.{cents:02d}", "rmb")
    if text.endswith("角"):
        text += "整"
    return ("负" if fen < 0 else "") + text


def parse_yuan(text: object) -> int:
    """Fen from a yuan amount typed by a user or read from a spreadsheet cell:
    '1500', '1,500.50', '１５００', '¥1500元'. Parsed from the digit string, never via float."""
    if text is None:
        raise InvalidValue("请填写金额")
    if isinstance(text, bool):
        raise InvalidValue("金额格式不正确，请填写数字，如 1500 或 1,500.50")
    # Spreadsheet numbers arrive as int/float: str() of a float is its shortest round-trip
    # repr ('1500.5', not '1500.4999…'), so parsing that text is exact.
    s = unicodedata.normalize("NFKC", str(text))
    s = "".join(s.split())
    s = s.removeprefix("¥").removesuffix("元")  # NFKC has folded ￥ to ¥
    if not s:
        raise InvalidValue("请填写金额")
    if s.startswith("-"):
        raise InvalidValue("金额不能为负数")
    if not _AMOUNT_RE.fullmatch(s):
        raise InvalidValue("金额格式不正确，请填写数字，如 1500 或 1,500.50")
    whole, _, frac = s.replace(",", "").partition(".")
    frac = frac.rstrip("0")
    if len(frac) > 2:
        raise InvalidValue("金额最多保留两位小数（精确到分）")
    # Integer arithmetic on the digit strings: exact at any length, unlike Decimal's
    # 28-digit context, which would round '1.000…0001' to a whole number.
    whole = whole.lstrip("0")
    fen = int(whole or 0) * 100 + int(frac.ljust(2, "0")) if len(whole) <= 11 else MAX_FEN + 1
    if fen > MAX_FEN:
        raise InvalidValue("金额过大，请核对是否填错")
    return fen
