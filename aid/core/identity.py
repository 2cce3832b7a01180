"""Resident ID, aid card and phone validation, masking, and demo-data generators."""

from __future__ import annotations

import random
import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from stdnum import luhn
from stdnum.cn import ric
from stdnum.exceptions import ValidationError

from aid.core.errors import InvalidValue

__all__ = [
    "InvalidValue", "ResidentId", "normalize_digits", "parse_resident_id",
    "check_id_consistency", "id_number_problem", "validate_bank_card", "validate_social_security_card",
    "validate_phone", "mask_id", "mask_card", "mask_phone",
    "generate_resident_id", "generate_bank_card",
]

# Zero-width characters survive copy-paste from web pages and Word but are not isspace().
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"))

# GB/T 2260 province-level codes, plus 71 (台湾) and 81/82/83 used by residence permits for
# Hong Kong, Macao and Taiwan residents (港澳台居民居住证), which share the 18-digit format.
_PROVINCES = frozenset(
    "11 12 13 14 15 21 22 23 31 32 33 34 35 36 37 41 42 43 44 45 46 "
    "50 51 52 53 54 61 62 63 64 65 71 81 82 83".split()
)

_ID_RE = re.compile(r"[0-9]{17}[0-9X]")
_CARD_RE = re.compile(r"[0-9]{16,19}")
_SSC_RE = re.compile(r"[0-9A-Z]{9}")
_MOBILE_RE = re.compile(r"1[3-9][0-9]{9}")
_LOCAL_RE = re.compile(r"[2-9][0-9]{6,7}")


def normalize_digits(s: str) -> str:
    """Remove all whitespace (full-width, NBSP, tabs, zero-width), fold full-width
    characters to ASCII (NFKC) and upper-case letters (x -> X)."""
    s = unicodedata.normalize("NFKC", s).translate(_INVISIBLE)
    return "".join(s.split()).upper()


def _text(raw: object, label: str) -> str:
    """Common front door for identifiers: reject empty and Excel-number cells, normalize."""
    if raw is None:
        raise InvalidValue(f"{label}不能为空")
    if isinstance(raw, (int, float, Decimal)) and not isinstance(raw, bool):
        # Excel keeps 15 significant digits: an 18/19-digit number cell has already lost digits.
        raise InvalidValue(f"{label}被存为数字，可能已丢失位数，请将该列设为文本格式后重新填写")
    s = normalize_digits(str(raw))
    if not s:
        raise InvalidValue(f"{label}不能为空")
    return s


@dataclass(frozen=True)
class ResidentId:
    number: str
    birth_date: date
    gender: str  # '男' | '女'
    region_code: str

    @property
    def birth_place(self) -> str | None:
        """Place name for the region code, or None when stdnum's table does not know it."""
        try:
            place = ric.get_birth_place(self.number)
        except ValidationError:
            return None
        parts = [place.get("province"), place.get("prefecture"), place.get("county")]
        return "".join(p for p in parts if p and p not in ("市辖区", "县"))

    def __repr__(self) -> str:  # keep full ID numbers out of logs and tracebacks
        return (f"ResidentId({mask_id(self.number)!r}, birth_date={self.birth_date!r}, "
                f"gender={self.gender!r}, region_code={self.region_code!r})")


def parse_resident_id(raw: object, today: date | None = None) -> ResidentId:
    """Validate an 18-digit 居民身份证号码 and split it into its parts.

    stdnum's ric.validate() is not used as the gate because it also requires the first six
    digits to be in its GB2260 table, which lacks codes that real IDs carry: prefecture-level
    cities without districts (东莞 441900, 中山 442000, 嘉峪关 620200, 儋州 460400), districts
    created after the table was cut (福州长乐区 350112) and the 81/82/83 residence permits.
    We check the province prefix only, plus length, format, birth date and check digit.
    """
    s = _text(raw, "身份证号码")
    if len(s) == 15 and s.isascii() and s.isdigit():
        raise InvalidValue("15位旧身份证号码已停用，请使用18位居民身份证号码")
    if len(s) != 18:
        raise InvalidValue(f"身份证号码应为18位，当前为{len(s)}位")
    if not _ID_RE.fullmatch(s):
        raise InvalidValue("身份证号码只能由数字组成，最后一位可以是X")
    if s[:2] not in _PROVINCES:
        raise InvalidValue("身份证号码前两位不是有效的省级行政区划代码")
    # The date is checked before the check digit: when both are wrong, the date message
    # tells the user where the typo is.
    try:
        birth = ric.get_birth_date(s)
    except ValidationError:
        raise InvalidValue("身份证号码中的出生日期无效") from None
    if birth.year < 1900:
        raise InvalidValue("身份证号码中的出生日期无效")
    if birth > (today or date.today()):
        raise InvalidValue("身份证号码中的出生日期晚于今天")
    if ric.calc_check_digit(s) != s[17]:
        raise InvalidValue("身份证号码校验位错误")
    return ResidentId(s, birth, "男" if int(s[16]) % 2 else "女", s[:6])


def check_id_consistency(rid: ResidentId, birth_date: date | None,
                         gender: str | None) -> list[str]:
    """Messages for a record whose own birth date / gender disagree with its ID number.
    Missing values (None/'') are not reported here."""
    problems = []
    if isinstance(birth_date, datetime):  # openpyxl returns datetime for date cells
        birth_date = birth_date.date()
    if birth_date and birth_date != rid.birth_date:
        problems.append(f"出生日期{birth_date.isoformat()}与身份证号码中的出生日期"
                        f"{rid.birth_date.isoformat()}不一致")
    g = (gender or "").strip()
    if g and g not in ("男", "女"):
        problems.append(f"性别“{g}”无法识别，应填写“男”或“女”")
    elif g and g != rid.gender:
        problems.append(f"性别“{g}”与身份证号码（{rid.gender}）不一致")
    return problems


def id_number_problem(number: object, birth_date: date | None, gender: str | None,
                      today: date | None = None) -> str | None:
    """What is wrong with a stored ID number and the record's own birth date and gender, as one
    Chinese message, or None. Stored on the student at every write (students.personal) so the
    data-quality page counts problems instead of decrypting every ID on each view."""
    try:
        rid = parse_resident_id(number, today)
    except InvalidValue as exc:
        return str(exc)
    problems = check_id_consistency(rid, birth_date, gender)
    return "；".join(problems) if problems else None


def _card_digits(raw: object, label: str) -> str:
    return _text(raw, label).replace("-", "")


def validate_bank_card(raw: object, label: str = "银行卡号") -> str:
    """中职学生资助卡 and other UnionPay debit cards: 16-19 digits with a Luhn check digit."""
    s = _card_digits(raw, label)
    if not (s.isascii() and s.isdigit()):
        raise InvalidValue(f"{label}只能包含数字")
    if not _CARD_RE.fullmatch(s):
        raise InvalidValue(f"{label}应为16至19位数字，当前为{len(s)}位")
    if not luhn.is_valid(s):
        raise InvalidValue(f"{label}校验失败，请核对是否抄错")
    return s


def validate_social_security_card(raw: object) -> str:
    """社会保障卡. Schools record either the 9-character card number printed on the card
    (社会保障卡卡号, letters and digits) or the 16-19 digit bank account number of the card's
    financial function, which is what grants are actually paid to. Both are accepted; a
    bank account number must pass Luhn like any bank card."""
    label = "社会保障卡号"
    s = _card_digits(raw, label)
    if _SSC_RE.fullmatch(s):
        return s
    # The card face also shows the 社会保障号码, which is the holder's resident ID, and people
    # copy it into this field. One ID in ten also passes Luhn, so IDs are rejected outright;
    # the price is refusing an 18-digit card that happens to look like a valid ID (62 is
    # also 甘肃's province code), about 1 in 1000 of a length few issuers use.
    if len(s) == 18:
        try:
            parse_resident_id(s)
        except InvalidValue:
            pass
        else:
            raise InvalidValue("填写的是身份证号码（社会保障号码），请填写社会保障卡卡号或卡上的银行账号")
    if _CARD_RE.fullmatch(s):
        if luhn.is_valid(s):
            return s
        raise InvalidValue(f"{label}校验失败，请核对是否抄错")
    raise InvalidValue(f"{label}应为9位卡号或16至19位银行账号")


def validate_phone(raw: object) -> str:
    """Mainland mobile (13800138000) or landline with area code, normalized to 0591-87505352."""
    s = _text(raw, "联系电话")
    s = re.sub(r"[-()]", "", s)
    if s.startswith("+86"):
        s = s[3:]
    elif s.startswith("86") and len(s) == 13:
        s = s[2:]
    if _MOBILE_RE.fullmatch(s):
        return s
    if len(s) > 4 and s.startswith("0") and s.isascii() and s.isdigit():
        # 010 and 02x are the only three-digit area codes; all others have four digits.
        n = 3 if s[1] in "12" else 4
        if _LOCAL_RE.fullmatch(s[n:]):
            return f"{s[:n]}-{s[n:]}"
    raise InvalidValue("联系电话格式不正确：手机号为11位，固定电话请带区号，如0591-87505352")


def _mask(s: str, head: int, tail: int) -> str:
    if len(s) <= head + tail:
        return "*" * len(s)
    return s[:head] + "*" * (len(s) - head - tail) + s[-tail:]


def mask_id(number: str | None) -> str:
    """350102********1234: first 6 and last 4 shown, length kept."""
    return _mask(str(number), 6, 4) if number else ""


def mask_card(number: str | None) -> str:
    """6217***********1234: first 4 and last 4 shown, length kept."""
    return _mask(str(number), 4, 4) if number else ""


def mask_phone(number: str | None) -> str:
    """138****5678; landlines keep the area code: 0591-****5352."""
    if not number:
        return ""
    s = str(number)
    if "-" in s:
        area, _, local = s.partition("-")
        return f"{area}-{_mask(local, 0, 4)}"
    return _mask(s, 3, 4)


def generate_resident_id(rng: random.Random, region_code: str, birth_date: date,
                         gender: str) -> str:
    """A checksum-valid ID for demo data; the sequence digits come from rng."""
    if not re.fullmatch(r"[0-9]{6}", region_code):
        raise ValueError(f"region_code must be 6 digits: {region_code!r}")
    if gender not in ("男", "女"):
        raise ValueError(f"gender must be '男' or '女': {gender!r}")
    parity = rng.choice("13579" if gender == "男" else "02468")
    body = f"{region_code}{birth_date:%Y%m%d}{rng.randrange(100):02d}{parity}"
    return body + ric.calc_check_digit(body + "0")


def generate_bank_card(rng: random.Random, prefix: str = "621700") -> str:
    """A Luhn-valid 19-digit card number for demo data."""
    body = prefix + "".join(rng.choice("0123456789") for _ in range(18 - len(prefix)))
    return body + luhn.calc_check_digit(body)
