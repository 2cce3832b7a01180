"""SVG charts: presentation attributes only (the CSP forbids inline styles), labels escaped."""
from aid.reports.charts import bar_chart


def test_chart_has_one_bar_per_item_and_no_style_attribute():
    svg = str(bar_chart([("全日制", 90), ("非全日制", 10)], "在籍学生", "人"))
    assert svg.count("<rect") == 2
    assert "style=" not in svg and "<script" not in svg
    assert "90人" in svg and "非全日制" in svg


def test_chart_escapes_labels_and_handles_no_data():
    svg = str(bar_chart([("<b>", 0)], "t&t"))
    assert "<b>" not in svg and "&lt;b&gt;" in svg and "t&amp;t" in svg
    assert "暂无数据" in str(bar_chart([], "空"))
