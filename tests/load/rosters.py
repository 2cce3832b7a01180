"""Big rosters (.xlsx) with distinct, checksum-valid IDs, and a multipart upload helper."""
from __future__ import annotations

import io
import secrets
from datetime import date, timedelta

from openpyxl import Workbook
from stdnum.cn import ric

HEADER = ["姓名", "身份证号码", "班级", "学籍号", "户口性质", "资助卡号"]


def resident_id(i: int, born0=date(2007, 1, 1)) -> str:
    """The i-th distinct ID: 1,000 per birth date (two sequence digits and the gender digit)."""
    born = born0 + timedelta(days=i // 1000)
    rest = i % 1000
    body = f"350102{born:%Y%m%d}{rest // 10:02d}{rest % 10}"
    return body + ric.calc_check_digit(body + "0")


def bank_card(i: int) -> str:
    from stdnum import luhn

    body = f"621700{i:012d}"
    return body + luhn.calc_check_digit(body)


def roster(rows: int, class_name: str, first: int = 0, prefix: str = "R") -> tuple[bytes, list[str], list[str]]:
    """A write-only workbook; returns its bytes and the full IDs and cards it holds."""
    wb = Workbook(write_only=True)
    ws = wb.create_sheet()
    ws.append(HEADER)
    ids, cards = [], []
    for n in range(first, first + rows):
        number, card = resident_id(n), bank_card(n)
        ids.append(number)
        cards.append(card)
        ws.append([f"学生{n:05d}", number, class_name, f"{prefix}{n:06d}", "农村" if n % 3 else "城镇", card])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue(), ids, cards


def multipart(fields: dict[str, str], files: dict[str, tuple[str, bytes, str]]) -> tuple[bytes, str]:
    boundary = "----aid" + secrets.token_hex(12)
    parts = []
    for name, value in fields.items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
    for name, (filename, data, mimetype) in files.items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
                     f"Content-Type: {mimetype}\r\n\r\n".encode() + data + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
