"""Printed ledger cells never cut text: a long name, class or programme is set smaller (or on
two lines) so that all of it lies inside its cell on the page students sign."""
from __future__ import annotations

from weasyprint import HTML

from aid.core.money import capital_amount
from aid.funds import ledger as L
from aid.printing.fit import LEGIBLE_MIN_PT, cell_fit, fitted_size, text_width_em

LONG_NAME = "阿卜杜热合曼·艾则孜·买买提"  # 14 characters in a 22 mm column
LONG_CLASS = "2024级新能源汽车检测与维修（中高职贯通培养）实验班"
LONG_PROGRAMME = "中等职业教育国家助学金（家庭经济困难学生）"


def test_text_that_fits_keeps_its_size():
    assert fitted_size("张三", 22, 9.5) == (9.5, False)
    assert cell_fit("张三", 22) == ""


def test_long_text_shrinks_and_then_wraps():
    size, wraps = fitted_size("欧阳娜娜娜娜", 22, 9.5)  # 6 characters: shrinks, one line
    assert LEGIBLE_MIN_PT <= size < 9.5 and not wraps
    assert size * text_width_em("欧阳娜娜娜娜") * 25.4 / 72 <= 22
    assert fitted_size(LONG_NAME, 22, 9.5) == (LEGIBLE_MIN_PT, True)
    assert "white-space:normal" in cell_fit(LONG_NAME, 22)


def test_latin_letters_count_narrower_than_chinese():
    assert text_width_em("ABCD") < text_width_em("甲乙丙丁") == 4


def _boxes(box):
    yield box
    for child in getattr(box, "children", []):
        yield from _boxes(child)


def test_no_text_in_a_rendered_ledger_runs_past_its_cell(ctx):
    rows = [L.LedgerRow(1, LONG_NAME, LONG_CLASS, "350102********0001", "6217***********0001",
                        LONG_PROGRAMME, "一般困难", 100000),
            L.LedgerRow(2, "王五", "2024级数控1班", "350102********0002", "6217***********0002",
                        "国家助学金", "一般困难", 100000)]
    led = L.Ledger(title="国家助学金发放台账", school="测试技工学校", programme=LONG_PROGRAMME,
                   period_label="2025年秋季学期", batch_no=1, pages=L.paginate(rows), count=2,
                   total_fen=200000, total_capital=capital_amount(200000))
    document = HTML(string=L.ledger_html(led)).render()
    cells, printed = 0, ""
    for box in _boxes(document.pages[0]._page_box):
        if type(box).__name__ != "TableCellBox" or box.element_tag != "td":
            continue
        left = box.content_box_x()
        right = left + box.width
        bottom = box.content_box_y() + box.height
        for inner in _boxes(box):
            if type(inner).__name__ == "TextBox":
                cells += 1
                printed += inner.text
                assert inner.position_x >= left - 0.5 and inner.position_x + inner.width <= right + 0.5, inner.text
                assert inner.position_y + inner.height <= bottom + 0.5, inner.text
    assert cells > 10
    for text in (LONG_NAME, LONG_CLASS, LONG_PROGRAMME):
        assert text.replace("·", "") in printed.replace("·", "")
