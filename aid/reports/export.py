"""Report tables as .xlsx (openpyxl write_only; text never becomes a formula)."""
from __future__ import annotations

import io
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell

FORMULA_START = ("=", "+", "-", "@")


def _cell(ws, value, money: bool):
    if money and isinstance(value, int):
        cell = WriteOnlyCell(ws, value=Decimal(value) / 100)
        cell.number_format = "#,##0.00"
        return cell
    if isinstance(value, str):
        cell = WriteOnlyCell(ws, value=value)
        cell.data_type = "s"  # never a formula, even when it starts with = + - @
        cell.number_format = "@"
        return cell
    return WriteOnlyCell(ws, value=value)


def table_xlsx(table, semester_label: str, scope_label: str) -> bytes:
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(table.title[:31].replace("/", "／"))
    ws.append([_cell(ws, f"{table.title}　{scope_label}　{semester_label}", False)])
    if table.note:
        ws.append([_cell(ws, table.note, False)])
    ws.append([_cell(ws, c, False) for c in table.columns])
    for row in table.rows:
        ws.append([_cell(ws, v, i in table.money) for i, v in enumerate(row)])
    if table.total:
        ws.append([_cell(ws, v, i in table.money) for i, v in enumerate(table.total)])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
