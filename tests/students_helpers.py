"""Helpers shared by the student register tests: build .xlsx rosters in memory."""
from __future__ import annotations

import io
import random
from datetime import date

from openpyxl import Workbook

from aid.core.identity import generate_bank_card, generate_resident_id

HEADER = ["姓名", "性别", "身份证号码", "出生日期", "班级", "学籍号", "户口性质", "资助卡号", "联系电话"]


def xlsx(rows: list[list], header: list | None = None) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.append(header or HEADER)
    for r in rows:
        ws.append(r)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def person(seed: int, born=date(2008, 3, 9), gender="女") -> tuple[str, str]:
    rng = random.Random(seed)
    return generate_resident_id(rng, "350104", born, gender), generate_bank_card(rng)


def good_row(seed: int, class_name: str, register_no: str, name: str = "林小雨") -> list:
    number, card = person(seed)
    return [name, "女", number, date(2008, 3, 9), class_name, register_no, "农村", card, "13800138000"]
