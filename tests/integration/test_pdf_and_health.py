"""The PDF service prints real Chinese text; /healthz reports what it needs."""
import io

from pypdf import PdfReader

from aid.printing.service import font_health, render_pdf, store_document, verify_document


def test_pdf_contains_the_chinese_text(ctx):
    with ctx.test_request_context():
        data = render_pdf("pdf/selftest.html", title="发放台账测试", rows=["张三丰", "李䶮", "王𠈌"])
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
    assert "发放台账测试" in text and "张三丰" in text
    assert "第 1 页 共 1 页" in text


def test_stored_document_keeps_its_hash(ctx):
    with ctx.test_request_context():
        doc = store_document(b"%PDF-1.7 test", kind="test", title="测试", school_id=None)
        assert verify_document(doc) and len(doc.sha256) == 64


def test_healthz_reports_font_and_subsetter(client):
    body = client.get("/healthz").get_json()
    assert body["database"] is True
    assert body["cjk_font"] is True, "install fonts-noto-cjk"
    assert body["harfbuzz_subset"] is True, "install libharfbuzz-subset0"
    assert font_health()["cjk_fonts"]
