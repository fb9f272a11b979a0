"""Tab tables as the vendored reports print them: merged headers, group rows, page-break repeats
and continuation rows (publisher.thai.parse_tab_table / merge_header), on the hardest real passages."""

from __future__ import annotations

from decimal import Decimal

import pytest

from publisher.extract import thai
from publisher.extract.recipes import table_block
from publisher.reports.registry import load_registry

REGISTRY = load_registry()


def passage(report: str, first: int, last: int) -> list[tuple[int, str]]:
    """Lines first..last of a report as (line number, text), blank lines left out."""
    source = REGISTRY.report(report)
    return [(n, source.line(n)) for n in range(first, last + 1) if source.line(n).strip()]


def cell(row: thai.Row, index: int) -> str:
    return thai.strip_markup(row.cells[index]) if index < len(row.cells) else ""


# --- 000: example KPIs affected by COVID-19 (L65-84) ---------------------------------

KPI = thai.parse_tab_table(passage("000", 67, 84), header_rows=2)


def test_the_kpi_table_header_merges_the_spanning_year_cell_over_both_years():
    """'ปีที่ได้รับผลกระทบ' spans two columns (L67, with a trailing tab); L68 names them and starts
    with two empty cells."""
    assert REGISTRY.report("000").line(67) == "ลำดับ\tตัวชี้วัด\tปีที่ได้รับผลกระทบ\t"
    assert REGISTRY.report("000").line(68) == "\t\tปี ๒๕๖๓\tปี ๒๕๖๔"
    assert KPI.header == ["ลำดับ", "ตัวชี้วัด", "ปีที่ได้รับผลกระทบ ปี ๒๕๖๓", "ปีที่ได้รับผลกระทบ ปี ๒๕๖๔"]


def test_the_kpi_table_has_thirteen_rows_numbered_in_thai_digits():
    assert len(KPI.rows) == 13
    assert [thai.parse_integer(row.cells[0]) for row in KPI.rows] == list(range(1, 14))
    assert KPI.rows[-1].cells[0] == "๑๓"
    assert [row.line for row in KPI.rows] == [70, 71, 72, 73, 74, 75, 77, 78, 79, 81, 82, 83, 84]


def test_bold_rows_become_the_group_of_the_rows_below_them():
    """L69, L76 and L80 are '<b>…</b>' labels with three empty cells, not KPIs."""
    groups = {}
    for row in KPI.rows:
        groups.setdefault(row.group, []).append(thai.parse_integer(row.cells[0]))
    assert groups == {
        "ด้านเศรษฐกิจ": [1, 2, 3, 4, 5, 6],
        "ด้านการช่วยเหลือทางสังคม และการดูแลผู้เปราะบาง": [7, 8, 9],
        "ด้านแรงงานและการสร้างความสามารถในการแข่งขันให้กับประเทศ": [10, 11, 12, 13],
    }


def test_check_marks_give_eleven_kpis_affected_in_2563_and_six_in_2564():
    affected = {thai.parse_integer(row.cells[0]): (thai.parse_check_mark(row.cells[2]),
                                                   thai.parse_check_mark(row.cells[3])) for row in KPI.rows}
    assert sum(a2563 for a2563, _ in affected.values()) == 11
    assert sum(a2564 for _, a2564 in affected.values()) == 6
    assert {seq for seq, (a2563, a2564) in affected.items() if a2563 and a2564} == {3, 6, 7, 12}
    assert {seq for seq, (a2563, a2564) in affected.items() if a2564 and not a2563} == {9, 13}


def test_a_kpi_name_with_thai_digits_and_parentheses_stays_one_cell():
    row = KPI.rows[9]
    assert row.cells[1].endswith("(๘๓ สาขาอาชีพ)")
    assert len(row.cells) == 4


# --- 003 Table 4: practices by kind of change (L477-484) -----------------------------

TABLE_4 = thai.parse_tab_table(passage("003", 477, 484), header_rows=2)
KINDS = ["MB", "PB", "DB", "CB", "BB", "IB"]


def test_table_4_header_puts_basic_over_mb_pb_db_and_advance_over_cb_bb_ib():
    basic, advance = "Basic (เติบโตพื้นฐาน)", "Advance (เติบโตแบบก้าวกระโดด)"
    assert TABLE_4.header == ["แนวทางปฏิบัติ"] + [f"{basic} {k}" for k in KINDS[:3]] + \
        [f"{advance} {k}" for k in KINDS[3:]]


def test_table_4_rows_keep_each_count_under_its_own_column_even_when_cells_are_empty():
    counts = {}
    for row in TABLE_4.rows:
        values = [thai.parse_integer(row.cells[i]) if row.cells[i].strip() else None for i in range(1, 7)]
        counts[cell(row, 0)] = dict(zip(KINDS, values))
    assert counts["1. การพัฒนาระบบโครงสร้างพื้นฐานด้าน IT และระบบดิจิทัล"] == \
        {"MB": None, "PB": 2, "DB": 1, "CB": 1, "BB": 2, "IB": 4}
    assert counts["2. การพัฒนาทักษะภาครัฐ และช่องทางการสื่อสารกับประชาชน"] == \
        {"MB": 3, "PB": 1, "DB": 1, "CB": 1, "BB": None, "IB": None}
    assert counts["3. การพัฒนาเชื่อมโยงฐานข้อมูล"] == {"MB": 1, "PB": 2, "DB": 1, "CB": 1, "BB": 1, "IB": 1}
    assert counts["4. การพัฒนาระดับการให้บริการดิจิทัล e service, e payment"] == \
        {"MB": 7, "PB": 10, "DB": 11, "CB": 6, "BB": 6, "IB": 4}
    assert counts["5. การบริหารความร่วมมือภายใน ภายนอกองค์กร ในประเทศและระหว่างประเทศ"] == \
        {"MB": 1, "PB": 1, "DB": 2, "CB": 1, "BB": 1, "IB": None}
    assert counts["รวม"] == {"MB": None, "PB": 44, "DB": None, "CB": 29, "BB": None, "IB": None}


def test_table_4_practices_add_up_to_its_total_row_and_to_the_text_above_it():
    """The 'รวม' row prints 44 basic and 29 leaps in merged cells; L473 says the same in words."""
    practices = [row for row in TABLE_4.rows if cell(row, 0) != "รวม"]
    assert len(practices) == 5
    basic = sum(thai.parse_integer(r.cells[i]) for r in practices for i in (1, 2, 3) if r.cells[i].strip())
    advance = sum(thai.parse_integer(r.cells[i]) for r in practices for i in (4, 5, 6) if r.cells[i].strip())
    assert (basic, advance) == (44, 29)
    text = REGISTRY.report("003").line(473)
    assert "จำนวน 44 กิจกรรม" in text and "จำนวน 29 กิจกรรม" in text


# --- 003 Table 7: challenges and risks (L558-574) ------------------------------------

TABLE_7 = thai.parse_tab_table(passage("003", 560, 574))


def test_table_7_drops_the_header_repeated_after_each_page_break():
    """L564 and L571 repeat the header of L560; they are not challenges."""
    source = REGISTRY.report("003")
    assert source.line(564) == source.line(571) == source.line(560)
    assert TABLE_7.header == ["แนวทางปฏิบัติเพื่อบรรลุเป้าหมาย", "ความท้าทาย", "ความเสี่ยง", "การบริหารความเสี่ยง"]
    merged = [n for row in TABLE_7.rows for n in row.lines]
    assert 564 not in merged and 571 not in merged
    assert not [row for row in TABLE_7.rows if cell(row, 0) == TABLE_7.header[0]]


def test_table_7_continuation_after_a_page_break_joins_the_row_it_belongs_to():
    """L572 has only its last cell: the end of L569's risk management, cut by the page break."""
    assert REGISTRY.report("003").line(572) == "\t\t\tมีการประเมินทักษะดิจิทัลบุคลากรทุกระดับ"
    row = next(r for r in TABLE_7.rows if r.line == 569)
    assert row.lines == [569, 572] and row.last_line == 572
    assert row.cells[0].startswith("การพัฒนาทักษะดิจิทัล พัฒนาศักยภาพบุคลากรภาครัฐ")
    assert row.cells[3].endswith("อย่างมีประสิทธิภาพ มีการประเมินทักษะดิจิทัลบุคลากรทุกระดับ")
    assert len(row.cells) == 4


def test_table_7_has_nine_rows_of_four_cells():
    assert [row.line for row in TABLE_7.rows] == [561, 562, 565, 566, 567, 568, 569, 573, 574]
    assert all(len(row.cells) == 4 and all(c.strip() for c in row.cells) for row in TABLE_7.rows)


def test_without_continuation_the_cut_row_stays_a_row_of_its_own():
    rows = thai.parse_tab_table(passage("003", 560, 574), continuation=False).rows
    assert len(rows) == 10
    assert next(r for r in rows if r.line == 572).cells[0] == ""


def test_the_extractor_finds_table_7_from_its_caption_across_blank_lines():
    block = table_block(REGISTRY.report("003"), "ตารางที่ 7 ความท้าทาย", None)
    assert block == passage("003", 560, 574)


# --- 003 Table 3: activities, practices and agencies (L444-471) ----------------------

TABLE_3 = thai.parse_tab_table(passage("003", 444, 471))


def test_table_3_repeated_headers_match_whatever_their_spacing():
    """L444 spells 'หน่วยงานรับผิดชอบ', the page-break repeats 'หน่วยงาน รับผิดชอบ'; both are the header."""
    source = REGISTRY.report("003")
    assert source.line(444).split("\t")[2] == "หน่วยงานรับผิดชอบ"
    repeats = [n for n in range(445, 472) if source.line(n).startswith("กิจกรรม\tแนวทางการปฏิบัติสำคัญ\t")]
    assert repeats == [448, 454, 459, 464, 469]
    assert all(source.line(n).split("\t")[2] == "หน่วยงาน รับผิดชอบ" for n in repeats)
    merged = {n for row in TABLE_3.rows for n in row.lines}
    assert not merged & set(repeats)
    assert TABLE_3.header == ["กิจกรรม", "แนวทางการปฏิบัติสำคัญ", "หน่วยงานรับผิดชอบ"]


def test_table_3_holds_the_ten_activities_and_their_page_break_continuations():
    activities = [row for row in TABLE_3.rows if cell(row, 0)[:1].isdigit()]
    assert [int(cell(row, 0).split(".")[0]) for row in activities] == list(range(1, 11))
    continued = {row.line: row.lines for row in activities if len(row.lines) > 1}
    assert continued == {446: [446, 449], 457: [457, 460], 462: [462, 465], 467: [467, 470]}
    stages = [cell(row, 0) for row in TABLE_3.rows if row not in activities]
    assert stages == ["กิจกรรมพัฒนาต้นน้ำ (Up Stream)", "กิจกรรมพัฒนาภากลางน้ำ (Main Stream)",
                      "กิจกรรมพัฒนาปลายน้ำ (Down Stream)"]


# --- merge_header on its own ---------------------------------------------------------

def test_a_one_row_header_is_its_cells_without_markup():
    assert thai.merge_header([["<b>ลำดับ</b>", "ตัวชี้วัด "]]) == ["ลำดับ", "ตัวชี้วัด"]


def test_a_top_cell_does_not_span_columns_the_lower_row_leaves_unnamed():
    """The first column of Table 4 is named only above; nothing spills into it or out of it."""
    assert thai.merge_header([["แนวทางปฏิบัติ", "Basic", "", ""], ["", "MB", "PB", ""]]) == \
        ["แนวทางปฏิบัติ", "Basic MB", "Basic PB", ""]


# --- Thai-digit numbers quoted in the prose around the tables ------------------------

@pytest.mark.parametrize("report, number, literal, value", [
    ("000", 49, "๕๖.๔๑", Decimal("56.41")),
    ("000", 49, "๓๙.๔๗", Decimal("39.47")),
    ("000", 106, "๘๗.๓๘", Decimal("87.38")),
    ("000", 142, "๒,๔๗๕", Decimal("2475")),
    ("000", 142, "๓,๙๐๕", Decimal("3905")),
    ("004", 87, "๒,๐๖๕", Decimal("2065")),
    ("004", 185, "๑,๒๐๖,๓๔๙,๐๑๔", Decimal("1206349014")),
    ("004", 214, "๕๖๐,๗๔๑,๓๖๓", Decimal("560741363")),
    ("004", 110, "๕๖.๐๑", Decimal("56.01")),
])
def test_thai_digit_figures_are_read_exactly_as_printed(report, number, literal, value):
    assert literal in REGISTRY.report(report).line(number)
    assert thai.parse_number(literal) == value


def test_the_figures_agree_with_the_ratios_the_reports_state():
    """000 L106: 90 of 103 processes = 87.38%; L142: 2,475 → 3,905 datasets = +57.78%;
    004 L87: 1,096 + 401 + 568 trainees = 2,065."""
    lines = {(r, n): REGISTRY.report(r).line(n) for r, n in (("000", 106), ("000", 142), ("004", 87))}
    assert "แล้วจำนวน ๙๐ กระบวนงาน จากจำนวนทั้งสิ้น ๑๐๓ กระบวนงาน คิดเป็นร้อยละ ๘๗.๓๘" in lines["000", 106]
    assert "(เพิ่มขึ้นร้อยละ ๕๗.๗๘)" in lines["000", 142]
    assert "๑) ระดับพื้นฐาน จำนวน ๑,๐๙๖ คน ๒) ระดับสูง จำนวน ๔๐๑ คน และ ๓) ระดับผู้เชี่ยวชาญ จำนวน ๕๖๘ คน" \
        in lines["004", 87]
    done, total = thai.parse_number("๙๐"), thai.parse_number("๑๐๓")
    assert round(done / total * 100, 2) == thai.parse_number("๘๗.๓๘")
    before, after = thai.parse_number("๒,๔๗๕"), thai.parse_number("๓,๙๐๕")
    assert round((after - before) / before * 100, 2) == thai.parse_percent("ร้อยละ ๕๗.๗๘")
    assert sum(thai.parse_number(t) for t in ("๑,๐๙๖", "๔๐๑", "๕๖๘")) == thai.parse_number("๒,๐๖๕")
