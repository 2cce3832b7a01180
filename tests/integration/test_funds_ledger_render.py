"""The ledger renderer's worker processes: page ranges rendered by children of the
pre-warmed render server, merged in order; a failed range is reported with its error
and the next ledger still renders; the server ends when the app process goes away."""
from __future__ import annotations

import io
import time

import pytest
from pypdf import PdfReader

from aid.core.money import capital_amount
from aid.funds import ledger as L


def _ledger(n: int) -> L.Ledger:
    rows = [L.LedgerRow(i, f"学生{i}", "2024级数控1班", f"350102********{i:04d}", f"6217***********{i:04d}",
                        "国家助学金", "一般困难", 50000 + i) for i in range(1, n + 1)]
    total = sum(r.amount_fen for r in rows)
    return L.Ledger(title="国家助学金发放台账", school="测试技工学校", programme="国家助学金",
                    period_label="2025年秋季学期", batch_no=7, pages=L.paginate(rows, 2), count=n, total_fen=total,
                    total_capital=capital_amount(total), preparer="经办人", leader="校长")


@pytest.fixture
def small_chunks(monkeypatch):
    monkeypatch.setattr(L, "IN_PROCESS_MAX_PAGES", 1)
    monkeypatch.setattr(L, "PAGES_PER_CHUNK", 1)  # one page per worker: the order of the merge shows


def _texts(data: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(data)).pages]


def test_page_ranges_render_on_the_server_and_merge_in_order(ctx, small_chunks):
    led = _ledger(7)  # 4 pages of 2 rows
    seen = []
    first_stats, again_stats = {}, {}
    first = L.render_ledger_pdf(led, progress=lambda done, total: seen.append((done, total)), workers=2,
                                stats=first_stats)
    again = L.render_ledger_pdf(led, workers=2, stats=again_stats)
    assert first_stats["mode"] in ("server", "server_cold") and again_stats["mode"] == "server"
    assert first_stats["chunks"] == 4 and first_stats["worker_peak_mb"] > 0
    texts = _texts(first)
    assert len(texts) == 4
    for n, text in enumerate(texts, start=1):
        assert f"第 {n} 页 共 4 页" in text
        assert f"学生{2 * n - 1}" in text
    assert "合计（7人）" in texts[3] and capital_amount(led.total_fen) in texts[3]
    assert _texts(again) == texts
    assert sorted(seen)[-1] == (7, 7) and len(seen) == 4


def test_a_failed_range_is_reported_and_the_next_ledger_renders(ctx, small_chunks, monkeypatch):
    original = L._RenderServer.run

    def lose_one_file(self, jobs, workers, on_done):
        jobs = list(jobs)
        html, pdf, rows = jobs[1]
        jobs[1] = (html.with_name("missing.html"), pdf, rows)
        return original(self, jobs, workers, on_done)

    monkeypatch.setattr(L._RenderServer, "run", lose_one_file)
    with pytest.raises(RuntimeError, match="ledger worker failed"):
        L.render_ledger_pdf(_ledger(5), workers=2)
    monkeypatch.setattr(L._RenderServer, "run", original)
    stats = {}
    data = L.render_ledger_pdf(_ledger(5), workers=2, stats=stats)
    assert stats["mode"] == "server_cold"  # the failed one was closed, a new one started
    assert "第 3 页 共 3 页" in _texts(data)[2]


def test_the_server_ends_when_its_input_closes(ctx):
    server = L._RenderServer()
    server.proc.stdin.close()
    deadline = time.time() + 30
    while server.proc.poll() is None and time.time() < deadline:
        time.sleep(0.1)
    assert server.proc.returncode == 0
