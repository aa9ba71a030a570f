"""The event report: HTML for internal stakeholders and a PDF that renders names in any script."""

from __future__ import annotations

import re
import zlib

from liaison.programs import actions
from liaison.programs.queries import event_report
from liaison.programs.report import render_pdf

CJK_NAME = ("伟", "张")
JAPANESE_NAME = ("花子", "やまだ")
GREEK_NAME = ("Γεώργιος", "Παπαδόπουλος")


def _text_of(pdf: bytes) -> str:
    """Every Unicode code point the PDF's ToUnicode maps name, as text: what a text extractor would find."""
    out = []
    for raw in re.findall(rb"stream\r?\n(.*?)\r?\nendstream", pdf, re.S):
        try:
            data = zlib.decompress(raw)
        except zlib.error:
            data = raw  # a stream written uncompressed
        for hexcode in re.findall(rb"<[0-9A-Fa-f]{4}> <([0-9A-Fa-f]{4,8})>", data):
            out.append(bytes.fromhex(hexcode.decode()).decode("utf-16-be"))
    return "".join(out)


def test_it_renders_chinese_japanese_and_greek_names_in_the_pdf(world, board, acting):
    alice = world["alice"]
    with acting(alice):
        for first, last in (CJK_NAME, JAPANESE_NAME, GREEK_NAME):
            actions.add_walk_in(board, acting_user=alice, first_name=first, last_name=last)
        actions.save_minutes(board, acting_user=alice, minutes="Ο πρόεδρος καλωσόρισε τους συμβούλους.")
    pdf = render_pdf(event_report(board, alice))
    assert pdf.startswith(b"%PDF")
    # The fonts are embedded (subset), the Chinese one among them ...
    assert b"+KurintoSans\n" in pdf and b"+KurintoSansSC\n" in pdf
    # ... and every character of the names has its glyph mapped back to it.
    text = _text_of(pdf)
    for name in (*CJK_NAME, *JAPANESE_NAME, *GREEK_NAME):
        assert set(name) <= set(text), name


def test_it_puts_the_outputs_in_the_report(world, board, acting):
    alice = world["alice"]
    with acting(alice):
        actions.capture_insight(board, acting_user=alice, text="Pathologists decide the panel case by case.")
        actions.add_action_item(board, acting_user=alice, title="Draft the pathway summary")
        actions.confirm_attendance(board.participants.get(), acting_user=alice, attendance="attended")
    report = event_report(board, alice)
    assert [i.text for i in report.insights] == ["Pathologists decide the panel case by case."]
    assert report.counts["attended"] == 1 and report.counts["walk_ins"] == 0
    assert [a.title for a in report.action_items] == ["Draft the pathway summary"]
    assert len(render_pdf(report)) > 1000
