"""Bank files: the payment file for the paying bank (.xlsx, full card numbers —
its export is an audited action) and the bank's return file, which marks lines
paid or failed. A return file with any unknown card number, mismatching amount
or unreadable row is refused as a whole, with a Chinese message per row."""
from __future__ import annotations

import io
from decimal import Decimal
import zipfile
from dataclasses import dataclass, field

from openpyxl import Workbook, load_workbook
from openpyxl.cell import WriteOnlyCell
from sqlalchemy import select

from aid.audit.service import record
from aid.core.errors import InvalidValue
from aid.core.identity import mask_card, normalize_digits
from aid.core.money import format_fen, parse_yuan
from aid.core.protected import open_sealed, search_hash
from aid.extensions import db
from aid.funds.models import PaymentBatch, PaymentLine
from aid.funds.service import FundsError, disburse_application
from aid.funds.workflow import BATCH_WORKFLOW
from aid.students.models import Student
from aid.timeutil import utcnow
from aid.workflow import TransitionError, apply_transition

HEADERS = ("序号", "姓名", "卡号", "金额（元）", "发放结果", "失败原因")
SUCCESS = {"成功", "已发放", "发放成功", "已入账", "success", "ok"}
FAILURE = {"失败", "发放失败", "退回", "已退回", "fail", "failed"}
MAX_UPLOAD_ROWS = 20000


def _text_cell(ws, value: str) -> WriteOnlyCell:
    """Text, never a formula: values starting with = + - @ are stored as strings."""
    cell = WriteOnlyCell(ws, value=value)
    cell.data_type = "s"
    cell.number_format = "@"
    return cell


def export_payment_file(user, batch: PaymentBatch) -> bytes:
    if user.role not in ("school_officer", "school_leader"):
        raise FundsError("银行代发文件由学校导出")
    if not batch.programme.paid_to_card:
        raise FundsError("免学费不发放到卡，没有银行代发文件")
    if not batch.is_locked:
        raise FundsError("批次锁定后才能导出银行代发文件")
    rows = db.session.execute(
        select(PaymentLine, Student.name).join(Student, Student.id == PaymentLine.student_id)
        .where(PaymentLine.batch_id == batch.id, PaymentLine.status == "pending")
        .order_by(PaymentLine.serial)).all()
    if not rows:
        raise FundsError("该批次没有待发放的记录（银行已全部回盘）")
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("代发明细")
    ws.column_dimensions["B"].width = 14
    ws.column_dimensions["C"].width = 24
    ws.column_dimensions["F"].width = 24
    ws.append([_text_cell(ws, h) for h in HEADERS])
    total = 0
    for line, name in rows:
        amount = WriteOnlyCell(ws, value=Decimal(line.amount_fen) / 100)  # exact, no float
        amount.number_format = "0.00"
        ws.append([line.serial, _text_cell(ws, name), _text_cell(ws, open_sealed(line.card_enc)), amount,
                   _text_cell(ws, ""), _text_cell(ws, "")])
        total += line.amount_fen
    buffer = io.BytesIO()
    wb.save(buffer)
    batch.bank_exported_at = utcnow()
    record("funds.bank_export", batch, user=user, after={"lines": len(rows), "total_fen": total},
           summary=f"导出银行代发文件（含完整卡号）：{len(rows)}笔，{format_fen(total)}元")
    return buffer.getvalue()


@dataclass
class ReturnResult:
    paid: int = 0
    failed: int = 0
    failed_lines: list[PaymentLine] = field(default_factory=list)


class BankReturnError(FundsError):
    def __init__(self, errors: list[str]):
        super().__init__("银行回盘文件未导入：" + "；".join(errors[:5]) + ("……" if len(errors) > 5 else ""))
        self.errors = errors


def _column(headers: list[str], *needles: str) -> int | None:
    for i, h in enumerate(headers):
        if any(n in h for n in needles):
            return i
    return None


def read_return_rows(data: bytes) -> list[tuple[int, object, object, object, object]]:
    """(row number, card, amount, result, reason) for each non-empty row."""
    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise FundsError("无法读取回盘文件：请上传银行提供的 .xlsx 文件") from exc
    try:
        ws = wb.worksheets[0]
        rows = ws.iter_rows(values_only=True)
        header = next(rows, None)
        if not header:
            raise FundsError("回盘文件是空的")
        headers = [normalize_digits(str(h or "")) for h in header]
        card_col = _column(headers, "卡号", "账号")
        amount_col = _column(headers, "金额")
        result_col = _column(headers, "结果", "状态")
        reason_col = _column(headers, "原因", "说明")
        missing = [name for name, col in (("卡号", card_col), ("金额", amount_col), ("发放结果", result_col)) if col is None]
        if missing:
            raise FundsError(f"回盘文件缺少列：{'、'.join(missing)}（第一行应为表头）")
        out = []
        for n, row in enumerate(rows, start=2):
            if n > MAX_UPLOAD_ROWS:
                raise FundsError(f"回盘文件超过{MAX_UPLOAD_ROWS}行")
            row = list(row) + [None] * 8
            if all(v in (None, "") for v in row[:len(headers)]):
                continue
            out.append((n, row[card_col], row[amount_col], row[result_col],
                        row[reason_col] if reason_col is not None else None))
        return out
    finally:
        wb.close()


def import_bank_return(user, batch: PaymentBatch, data: bytes) -> ReturnResult:
    if user.role not in ("school_officer", "school_leader"):
        raise FundsError("银行回盘由学校导入")
    if not batch.programme.paid_to_card:
        raise FundsError("免学费不发放到卡，没有银行回盘")
    if batch.state != "locked":
        raise FundsError("只有已锁定、尚未全部回盘的批次可以导入银行回盘文件")
    pending = {line.card_hash: line for line in db.session.execute(
        select(PaymentLine).where(PaymentLine.batch_id == batch.id, PaymentLine.status == "pending")).scalars()}
    rows = read_return_rows(data)
    if not rows:
        raise FundsError("回盘文件没有数据行")
    errors: list[str] = []
    decisions: list[tuple[PaymentLine, bool, str]] = []
    seen: set[str] = set()
    for n, card_raw, amount_raw, result_raw, reason_raw in rows:
        if isinstance(card_raw, (int, float)) and not isinstance(card_raw, bool):
            errors.append(f"第{n}行：卡号被存为数字，可能已丢失位数，请将该列设为文本格式")
            continue
        card = normalize_digits(str(card_raw or "")).replace("-", "")
        if not card:
            errors.append(f"第{n}行：缺少卡号")
            continue
        digest = search_hash(card)
        line = pending.get(digest)
        if line is None:
            errors.append(f"第{n}行：卡号 {mask_card(card)} 不在本批次的待发放名单中")
            continue
        if digest in seen:
            errors.append(f"第{n}行：卡号 {mask_card(card)} 在文件中重复出现")
            continue
        seen.add(digest)
        try:
            amount = parse_yuan(amount_raw)
        except InvalidValue as exc:
            errors.append(f"第{n}行：{exc.message}")
            continue
        if amount != line.amount_fen:
            errors.append(f"第{n}行：金额 {format_fen(amount)} 元与本批次应发金额 {format_fen(line.amount_fen)} 元不一致")
            continue
        result = normalize_digits(str(result_raw or "")).lower()
        if result in SUCCESS:
            decisions.append((line, True, ""))
        elif result in FAILURE:
            reason = str(reason_raw or "").strip()
            if not reason:
                errors.append(f"第{n}行：发放失败必须注明失败原因")
                continue
            decisions.append((line, False, reason[:300]))
        else:
            errors.append(f"第{n}行：发放结果“{str(result_raw or '')[:20]}”无法识别，应为“成功”或“失败”")
    if errors:
        raise BankReturnError(errors)
    now = utcnow()
    result = ReturnResult()
    for line, ok, reason in decisions:
        if ok:
            line.status, line.paid_at = "paid", now
            disburse_application(user, line)
            result.paid += 1
        else:
            line.status, line.failure_reason = "failed", reason
            result.failed += 1
            result.failed_lines.append(line)
    record("funds.bank_return", batch, user=user,
           after={"paid": result.paid, "failed": result.failed,
                  "failed_lines": [ln.id for ln in result.failed_lines]},
           summary=f"导入银行回盘：成功{result.paid}笔，失败{result.failed}笔")
    remaining = len(pending) - len(decisions)
    if remaining == 0:
        try:
            apply_transition(BATCH_WORKFLOW, batch, "bank_return", user)
        except TransitionError as exc:
            raise FundsError(str(exc)) from None
        batch.bank_returned_at = now
    return result
