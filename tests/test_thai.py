"""The Thai normaliser (publisher/extract/thai.py): digits, numbers, percentages, years, dates, marks, markup.

Examples come from the vendored reports; properties say what must hold for any value, so a
published number can be printed back into the report's notation and read again unchanged.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from publisher.extract import thai
from publisher.reports.registry import load_registry

REGISTRY = load_registry()
REPORTS = [REGISTRY.report(i) for i in ("000", "001", "002", "003", "004")]  # the five reports, not code lists

# BE years parse_be_year accepts, and the CE dates whose BE year (or fiscal year) lies in that range
FIRST_BE, LAST_BE = 2400, 2700
FIRST_DAY = date(thai.be_to_ce(FIRST_BE), 1, 1)
LAST_DAY = date(thai.be_to_ce(LAST_BE) - 1, 9, 30)

integers = st.integers()
decimals = st.builds(lambda n, places: Decimal(f"{n}E-{places}"), st.integers(), st.integers(0, 12))
digit_free_text = st.text(alphabet=st.characters(blacklist_categories=("Cs",)))


def line(report: str, number: int) -> str:
    return REGISTRY.report(report).line(number)


# --- digits --------------------------------------------------------------------------

def test_thai_digits_map_one_to_one_onto_arabic_digits():
    """๐–๙ are the reports' own digits; each must become exactly its Arabic twin."""
    assert thai.to_arabic_digits("๐๑๒๓๔๕๖๗๘๙") == "0123456789"
    assert thai.to_thai_digits("0123456789") == "๐๑๒๓๔๕๖๗๘๙"
    assert thai.to_arabic_digits("นร ๑๒๐๐/๕๐") == "นร 1200/50"


@given(st.text())
def test_thai_to_arabic_to_thai_round_trips_any_text_without_arabic_digits(text):
    """Converting changes digits only, so text written in Thai digits comes back unchanged."""
    thai_text = thai.to_thai_digits(text)
    assert thai.to_thai_digits(thai.to_arabic_digits(thai_text)) == thai_text
    assert len(thai.to_arabic_digits(thai_text)) == len(thai_text)


@given(st.text())
def test_arabic_to_thai_to_arabic_round_trips_any_text_without_thai_digits(text):
    arabic_text = thai.to_arabic_digits(text)
    assert thai.to_arabic_digits(thai.to_thai_digits(arabic_text)) == arabic_text
    assert not set(thai.to_arabic_digits(arabic_text)) & set(thai.THAI_DIGITS)


# --- numbers -------------------------------------------------------------------------

@pytest.mark.parametrize("text, value", [
    ("๒,๔๗๕", Decimal("2475")),
    ("๕๖.๔๑", Decimal("56.41")),
    ("1,206,349,014", Decimal("1206349014")),
    ("๑,๒๐๖,๓๔๙,๐๑๔", Decimal("1206349014")),
    ("๖๑.๑๐", Decimal("61.10")),
    (" ๙๐ ", Decimal("90")),
    ("2564", Decimal("2564")),
])
def test_numbers_are_read_in_thai_or_arabic_digits_with_thousands_separators(text, value):
    assert thai.parse_number(text) == value


def test_a_decimal_keeps_the_scale_the_report_printed():
    """61.10 is published as 61.10, not 61.1: the trailing zero is what the report says."""
    assert str(thai.parse_number("๖๑.๑๐")) == "61.10"
    assert thai.parse_number("๖๑.๑๐").as_tuple().exponent == -2


@pytest.mark.parametrize("text", [
    "1,23", "12a", "๕ พันกว่า", "๒,๔๗", "1,2345", "1234,567", ",123", "1,,234", "1.2.3", ".5", "5.",
    "12 34", "๒,๔๗๕ บาท", "ร้อยละ ๕๖.๔๑", "๘๐%", "๑๐๐ %", "หนึ่งร้อย", "1e5", "0x10", "NaN", "Infinity",
])
def test_anything_but_a_bare_number_is_refused_naming_the_text(text):
    """A number silently misread is worse than a build that stops: say which text was refused."""
    with pytest.raises(ValueError) as refused:
        thai.parse_number(text)
    assert repr(text) in str(refused.value)


@pytest.mark.parametrize("text", ["", " ", "\t"])
def test_empty_text_is_not_zero(text):
    with pytest.raises(ValueError, match="not a number"):
        thai.parse_number(text)


@pytest.mark.parametrize("text", ["١٢", "１２", "১২", "๑٢"])
def test_digits_of_other_scripts_are_refused(text):
    """Only Thai and Arabic digits occur in the reports; Arabic-Indic, full-width or Bengali
    digits (003 has Bengali letters in a name) are not read as numbers."""
    with pytest.raises(ValueError):
        thai.parse_number(text)


def test_parse_integer_refuses_a_fraction():
    assert thai.parse_integer("๑๓") == 13
    with pytest.raises(ValueError, match="whole number"):
        thai.parse_integer("๘๗.๓๘")


@given(integers, st.booleans(), st.booleans())
@example(12345678901234567890, True, True)
def test_an_integer_printed_in_any_notation_reads_back_as_the_same_integer(value, thousands, thai_digits):
    """Integers have no decimal places: '5', never '5.000000' (and no float rounding of big ones)."""
    text = thai.format_number(value, thousands=thousands, thai_digits=thai_digits)
    parsed = thai.parse_number(text)
    assert parsed == value
    assert parsed.as_tuple().exponent == 0
    assert ("," in text) == (thousands and abs(value) >= 1000)


@given(decimals, st.booleans(), st.booleans())
@example(Decimal("56.41"), False, True)
@example(Decimal("61.10"), True, True)
@example(Decimal("0.00"), True, False)
def test_a_decimal_printed_in_any_notation_reads_back_with_its_scale(value, thousands, thai_digits):
    text = thai.format_number(value, thousands=thousands, thai_digits=thai_digits)
    parsed = thai.parse_number(text)
    assert parsed == value
    assert parsed.as_tuple().exponent == value.as_tuple().exponent
    assert not (thai_digits and set(text) & set("0123456789"))


def test_format_number_prints_the_reports_notation():
    assert thai.format_number(Decimal("2475"), thousands=True, thai_digits=True) == "๒,๔๗๕"
    assert thai.format_number(1206349014, thousands=True, thai_digits=True) == "๑,๒๐๖,๓๔๙,๐๑๔"
    assert thai.format_number(Decimal("87.38")) == "87.38"


# --- percentages ---------------------------------------------------------------------

@pytest.mark.parametrize("text, value", [
    ("ร้อยละ ๕๖.๔๑", Decimal("56.41")),   # 000 L49
    ("ร้อยละ๓๙.๔๗", Decimal("39.47")),
    ("ร้อยละ ๘๐", Decimal("80")),          # 004 L122
    ("๘๐%", Decimal("80")),                # 004 L127, the callout repeating L122
    ("๑๐๐%", Decimal("100")),
    ("56.41 %", Decimal("56.41")),
    ("ร้อยละ 16.07", Decimal("16.07")),
])
def test_percentages_are_read_from_ร้อยละ_or_a_percent_sign(text, value):
    assert thai.parse_percent(text) == value


@pytest.mark.parametrize("text", [
    "๕๖.๔๑", "56", "ร้อยละ", "%", "ร้อยละ ห้าสิบ", "ร้อยละ 5%", "50%%", "% 50", "ประมาณร้อยละ ๕๐", "๕๐ เปอร์เซ็นต์",
])
def test_a_bare_number_or_garbage_is_not_a_percentage(text):
    """A bare number may be a count; only ร้อยละ or % makes it a share. The error names the text."""
    with pytest.raises(ValueError) as refused:
        thai.parse_percent(text)
    assert repr(text) in str(refused.value)


@given(decimals.filter(lambda d: d >= 0), st.booleans(), st.booleans())
def test_a_percentage_printed_either_way_reads_back(value, word, thai_digits):
    number = thai.format_number(value, thai_digits=thai_digits)
    text = f"ร้อยละ {number}" if word else f"{number}%"
    assert thai.parse_percent(text) == value


# --- years ---------------------------------------------------------------------------

def test_buddhist_era_is_common_era_plus_543():
    assert thai.be_to_ce(2564) == 2021
    assert thai.ce_to_be(2022) == 2565


@given(st.integers(-10_000, 10_000))
def test_be_and_ce_round_trip(year):
    assert thai.be_to_ce(thai.ce_to_be(year)) == year
    assert thai.ce_to_be(thai.be_to_ce(year)) == year


@pytest.mark.parametrize("text, year", [
    ("๒๕๖๔", 2564), ("พ.ศ. ๒๕๖๓", 2563), ("พ.ศ.2548", 2548), ("ปีงบประมาณ พ.ศ. ๒๕๖๔", 2564),
    ("ปี ๒๕๖๔", 2564), ("ปีงบประมาณ 2563", 2563),
])
def test_be_years_are_read_with_their_usual_prefixes(text, year):
    assert thai.parse_be_year(text) == year


@pytest.mark.parametrize("text", ["2021", "ค.ศ. 2021", "๒๕๖", "พ.ศ.", "พ.ศ. ๒๕๖๔ - ๒๕๖๕", "ปี พ.ศ. สองพัน"])
def test_ce_years_and_garbage_are_not_be_years(text):
    """A CE year published as BE would shift every date by 543 years."""
    with pytest.raises(ValueError) as refused:
        thai.parse_be_year(text)
    assert repr(text) in str(refused.value)


def test_fiscal_year_2564_runs_from_1_october_2020_to_30_september_2021():
    assert thai.fiscal_year_range(2564) == (date(2020, 10, 1), date(2021, 9, 30))
    assert thai.fiscal_year_of(date(2020, 9, 30)) == 2563
    assert thai.fiscal_year_of(date(2020, 10, 1)) == 2564
    assert thai.fiscal_year_of(date(2021, 9, 30)) == 2564
    assert thai.fiscal_year_of(date(2021, 10, 1)) == 2565


def test_every_day_lies_in_the_range_of_its_fiscal_year():
    """Checked for every day from the first to the last BE year the parser accepts."""
    day, one = FIRST_DAY, timedelta(days=1)
    start, end = thai.fiscal_year_range(thai.fiscal_year_of(day))
    while day <= LAST_DAY:
        if day > end:  # the next fiscal year starts the day after the last one ends
            assert day == end + one
            start, end = thai.fiscal_year_range(thai.fiscal_year_of(day))
        assert start <= day <= end
        day += one


@given(st.dates(FIRST_DAY, LAST_DAY))
def test_a_date_lies_inside_the_range_of_its_fiscal_year(day):
    start, end = thai.fiscal_year_range(thai.fiscal_year_of(day))
    assert start <= day <= end


@given(st.integers(FIRST_BE, LAST_BE))
def test_a_fiscal_year_is_one_year_long_and_its_ends_belong_to_it(year_be):
    start, end = thai.fiscal_year_range(year_be)
    assert thai.fiscal_year_of(start) == thai.fiscal_year_of(end) == year_be
    assert (end - start).days + 1 in (365, 366)
    assert thai.fiscal_year_range(year_be + 1)[0] == end + timedelta(days=1)


# --- months and dates ----------------------------------------------------------------

@pytest.mark.parametrize("month", range(1, 13))
def test_thai_months_are_known_by_full_and_short_name(month):
    assert thai.thai_month(thai.THAI_MONTHS[month - 1]) == month
    assert thai.thai_month(thai.THAI_MONTHS_SHORT[month - 1]) == month
    assert thai.thai_month(f" {thai.THAI_MONTHS[month - 1]} ") == month


@pytest.mark.parametrize("name", ["March", "มีนา", "มีค", "ม.ค", "", "๓"])
def test_anything_else_is_not_a_month(name):
    with pytest.raises(ValueError) as refused:
        thai.thai_month(name)
    assert repr(name) in str(refused.value)


@pytest.mark.parametrize("report", ["000", "001", "003"])
def test_the_registry_dates_are_the_dates_printed_in_the_reports(report):
    """000 and 001 print Thai digits, 003 Arabic ones; the registry's CE date is what they say."""
    meta = REGISTRY.report(report).meta
    assert meta["date_text"] in line(report, meta["date_line"])
    assert thai.parse_thai_date(meta["date_text"]) == date.fromisoformat(meta["date_ce"])


@pytest.mark.parametrize("text, day", [
    ("๑๗ มีนาคม ๒๕๖๕", date(2022, 3, 17)),     # 000 L15
    ("3 กันยายน 2564", date(2021, 9, 3)),       # 003 L99
    ("๓ ส.ค. ๒๕๖๔", date(2021, 8, 3)),
    ("๑๕ กันยายน พ.ศ. ๒๕๖๓", date(2020, 9, 15)),
    ("๒๓  ก.พ.  ๒๕๖๕", date(2022, 2, 23)),
])
def test_thai_dates_are_read_with_full_or_short_months(text, day):
    assert thai.parse_thai_date(text) == day


@pytest.mark.parametrize("text", [
    "๓๑ กุมภาพันธ์ ๒๕๖๔", "17 March 2565", "๑๗ มีนาคม ๒๐๒๒", "มีนาคม ๒๕๖๕", "๑๗/๐๓/๒๕๖๕", "",
])
def test_impossible_or_foreign_dates_are_refused_naming_the_text(text):
    with pytest.raises(ValueError) as refused:
        thai.parse_thai_date(text)
    assert repr(text) in str(refused.value)


@given(st.dates(date(thai.be_to_ce(FIRST_BE), 1, 1), date(thai.be_to_ce(LAST_BE), 12, 31)), st.booleans())
def test_format_and_parse_thai_date_round_trip(day, thai_digits):
    text = thai.format_thai_date(day, thai_digits=thai_digits)
    assert thai.parse_thai_date(text) == day
    assert thai.THAI_MONTHS[day.month - 1] in text


@given(st.dates(date(thai.be_to_ce(FIRST_BE), 1, 1), date(thai.be_to_ce(LAST_BE), 12, 31)))
def test_a_date_written_with_a_short_month_reads_back(day):
    text = f"{day.day} {thai.THAI_MONTHS_SHORT[day.month - 1]} {thai.ce_to_be(day.year)}"
    assert thai.parse_thai_date(thai.to_thai_digits(text)) == day


# --- check marks ---------------------------------------------------------------------

@pytest.mark.parametrize("text, value", [("✓", True), (" ✓ ", True), ("✔", True), ("X", False), ("x", False),
                                         ("✗", False), ("×", False)])
def test_check_marks_mean_affected_and_x_means_not(text, value):
    """The legend at 000 L86: X หมายถึง ไม่ได้รับผลกระทบ."""
    assert thai.parse_check_mark(text) is value


@pytest.mark.parametrize("text", ["", " ", "✓✓", "✓ X", "Y", "-", "0", "1", "ใช่", "ไม่", "true", "XX"])
def test_anything_else_is_not_a_check_mark(text):
    with pytest.raises(ValueError) as refused:
        thai.parse_check_mark(text)
    assert repr(text) in str(refused.value)


# --- markup --------------------------------------------------------------------------

def test_bold_tags_of_the_kpi_group_rows_are_removed():
    group = line("000", 69).split("\t")[0]
    assert group == "<b>ด้านเศรษฐกิจ</b>"
    assert thai.strip_markup(group) == "ด้านเศรษฐกิจ"


def test_markdown_bold_is_removed_from_a_heading():
    assert line("000", 59).startswith("๑) **กลุ่มตัวชี้วัดด้านเศรษฐกิจที่สำคัญ** :")
    assert thai.strip_markup(line("000", 59)).startswith("๑) กลุ่มตัวชี้วัดด้านเศรษฐกิจที่สำคัญ :")


def test_paragraph_and_list_tags_of_003_table_cells_are_removed():
    activity, practices, agency = line("003", 451).split("\t")
    assert thai.strip_markup(activity) == "3. พัฒนาระบบฐานข้อมูลกฎหมายอุดมศึกษา"
    assert practices.startswith('<ul style="list-style-type: none"> • จัดทำนโยบาย')
    assert thai.strip_markup(practices).startswith("• จัดทำนโยบายการพัฒนาระบบฐานข้อมูลกฎหมายอุดมศึกษา (MB)")
    assert "<" not in thai.strip_markup(agency) and ">" not in thai.strip_markup(agency)


def test_no_markup_is_left_in_any_line_of_any_report():
    for report in REPORTS:
        for number, text in enumerate(report.lines, start=1):
            cleaned = thai.strip_markup(text)
            for remnant in ("<b>", "</b>", "<p>", "</p>", "<ul", "**"):
                assert remnant not in cleaned, (report.id, number, remnant)


def test_links_in_angle_brackets_are_not_markup():
    """000 L142 cites <https://data.go.th>; it is text, not a tag."""
    assert "(<https://data.go.th>)" in line("000", 142)
    assert "<https://data.go.th>" in thai.strip_markup(line("000", 142))


def test_strip_markup_folds_spaces_and_normalises_to_nfc():
    assert thai.strip_markup("  <p>ก</p>\t\u00a0 <b>ข</b>  ") == "ก ข"
    assert thai.strip_markup("e\u0301") == "\u00e9"


# --- stub lines ----------------------------------------------------------------------

def test_the_truncated_placeholders_are_stubs():
    """000 L57 '๑) กลุ่มตัวชี้วัด...' and L90 '(๑) มูลค่า...' repeat the next heading; counting them
    would count items ๑) and (๑) twice."""
    assert line("000", 57) == "๑) กลุ่มตัวชี้วัด..."
    assert line("000", 90) == "(๑) มูลค่า..."
    assert thai.is_stub(line("000", 57)) and thai.is_stub(line("000", 90))
    assert line("000", 59).startswith("๑) **กลุ่มตัวชี้วัด")
    assert line("000", 92).startswith("(๑) มูลค่า")


@pytest.mark.parametrize("number", [55, 59, 65, 67, 69, 70, 86, 92, 106])
def test_ordinary_lines_and_table_rows_are_not_stubs(number):
    assert not thai.is_stub(line("000", number))


def test_the_only_stubs_in_the_reports_are_the_three_placeholders():
    """001 L39 'ส่วนที่ ๒ ...' is the same kind of placeholder for its L41."""
    stubs = {(report.id, number) for report in REPORTS
             for number, text in enumerate(report.lines, start=1) if thai.is_stub(text)}
    assert stubs == {("R000", 57), ("R000", 90), ("R001", 39)}
