"""Render one HTML file to PDF in a separate process: `python aid/funds/pdfworker.py in.html out.pdf [base_url]`.

Used for page ranges of large ledgers, so WeasyPrint's memory stays out of the app
process. Standalone on purpose: it imports WeasyPrint only, not the aid package."""
import sys


def main(argv: list[str]) -> int:
    from weasyprint import HTML

    src, out = argv[1], argv[2]
    base_url = argv[3] if len(argv) > 3 else None
    HTML(filename=src, base_url=base_url).write_pdf(out)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
