"""QA figures as files: CSV (UTF-8 with a BOM, so Excel reads the Chinese) and XLSX (XlsxWriter), the same rows
as the page's table with headers in the viewer's language, or both; numbers plain (no % sign, no units)."""

from __future__ import annotations

import csv
import io
from typing import Any

import xlsxwriter

from contactcenter.audit.search import _inert

GROUP_HEADERS = {"agent": ("坐席", "Agent"), "team": ("团队", "Team"), "queue": ("队列", "Queue")}
COLUMNS = (
    ("team", ("团队", "Team")),
    ("count", ("评估数", "Evaluations")),
    ("average", ("平均分", "Average score")),
    ("pass_rate", ("合格率 %", "Pass rate %")),
    ("excellent_rate", ("优秀率 %", "Excellent rate %")),
    ("critical_failures", ("致命错误", "Critical failures")),
    ("weakest", ("最弱问题", "Weakest question")),
    ("weakest_percent", ("最弱问题得分 %", "Weakest question %")),
)
NO_TEAM = ("未分组", "No team")
TOTAL = ("合计", "Total")
WEAKEST_HEADERS = (("评分表", "Scorecard"), ("问题", "Question"), ("平均得分 %", "Average %"), ("回答数", "Answers"))
TREND_HEADERS = (("起始日", "From"), ("评估数", "Evaluations"), ("平均分", "Average score"))


def _word(pair: tuple[str, str], lang: str | None) -> str:
    """A header in the viewer's language ("zh", "en"), or both ("坐席 Agent")."""
    return pair[0] if lang == "zh" else pair[1] if lang == "en" else f"{pair[0]} {pair[1]}"


def _text(label: dict[str, str], lang: str | None) -> str:
    return _word((label["zh"], label["en"]), lang)


def header(result: dict[str, Any], lang: str | None) -> list[str]:
    """The table's header row."""
    columns = [c for c in COLUMNS if c[0] != "team" or result["group"] == "agent"]
    return [_word(GROUP_HEADERS[result["group"]], lang)] + [_word(words, lang) for _, words in columns]


def table(result: dict[str, Any], lang: str | None) -> list[list[Any]]:
    """The rows of the table (a row per agent, team or queue, then the total), as cells."""
    agents = result["group"] == "agent"
    lines = []
    for row in [*result["rows"], {**result["totals"], "name": _word(TOTAL, lang), "weakest": result["weakest"]}]:
        name = _word(NO_TEAM, lang) if row.get("no_team") else row.get("name") or row.get("key") or ""
        weakest = row["weakest"][0] if row.get("weakest") else None
        cells: list[Any] = [str(name)]
        if agents:
            cells.append(row.get("team") or "")
        cells += [row["count"], row["average"], row["pass_rate"], row["excellent_rate"], row["critical_failures"]]
        cells += [_text(weakest["text"], lang) if weakest else "", weakest["average_percent"] if weakest else None]
        lines.append(cells)
    return lines


def csv_bytes(result: dict[str, Any], lang: str | None) -> bytes:
    """The table as CSV: a BOM, the header, the rows; an empty cell where there is no figure."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header(result, lang))
    for cells in table(result, lang):
        writer.writerow(["" if cell is None else _inert(cell) for cell in cells])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def xlsx_bytes(result: dict[str, Any], lang: str | None) -> bytes:
    """A workbook: the table on its first sheet, then the weakest questions and the trend."""
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    bold = book.add_format({"bold": True})
    _sheet(book, _word(("质检数据", "QA figures"), lang), header(result, lang), table(result, lang), bold)
    weakest = [[q["scorecard"], _text(q["text"], lang), q["average_percent"], q["answers"]] for q in result["weakest"]]
    _sheet(book, _word(("最弱问题", "Weakest"), lang), [_word(h, lang) for h in WEAKEST_HEADERS], weakest, bold)
    trend = [[b["start"], b["count"], b["average"]] for b in result["trend"]]
    _sheet(book, _word(("趋势", "Trend"), lang), [_word(h, lang) for h in TREND_HEADERS], trend, bold)
    book.close()
    return buffer.getvalue()


def _sheet(book: Any, name: str, headers: list[str], rows: list[list[Any]], bold: Any) -> None:
    sheet = book.add_worksheet(name[:31])
    for column, text in enumerate(headers):
        sheet.write_string(0, column, text, bold)
        sheet.set_column(column, column, max(12, len(text) + 2))
    for line, cells in enumerate(rows, 1):
        for column, cell in enumerate(cells):
            if isinstance(cell, int | float) and not isinstance(cell, bool):
                sheet.write_number(line, column, cell)
            elif cell is not None:
                sheet.write_string(line, column, str(cell))  # a string, never a formula
