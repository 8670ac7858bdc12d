"""The broken-workbook corpus: every way a scenario workbook arrives wrong, and what the
planner must answer.

    python tests/broken_corpus.py OUTDIR    # write every case into OUTDIR and list them

:func:`write_corpus` writes each case into a folder and returns its :class:`Case`: the file,
what the planner must conclude (``error``: exit code 2; ``warning``: valid, with a warning;
``valid``), where (sheet, Excel row, column as the contract spells them; ``("", None, "")``
for the file itself) and a fragment of the message found there. Each case starts from the
valid minimal scenario of ``tests/workbooks.py`` (row 2 is every sheet's first record) and
breaks one thing, by editing its tables, its openpyxl workbook, the XML inside the zip, or
its bytes. ``tests/test_broken_workbooks.py`` runs every case through the CLI.

Files that only another program can write (.xls, .ods, an encrypted workbook) are made by
their signatures here, so the corpus needs no spreadsheet program; the tests convert the
real thing with LibreOffice when it is installed.
"""

from __future__ import annotations

import datetime as dt
import io
import random
import re
import sys
import zipfile
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import openpyxl
from openpyxl.styles import PatternFill
from workbooks import MINIMAL_SCENARIO, Tables, add_row, minimal_scenario_tables, set_cell
from workbooks import write_workbook as write_tables

from planner.scenario.schema import Scenario

Where = tuple[str, int | None, str]
"""(sheet, Excel row, column) as a :class:`~planner.errors.Problem` names them."""

Outcome = Literal["error", "warning", "valid"]

FILE: Where = ("", None, "")
"""The location of a problem with the file itself."""


@dataclass(frozen=True)
class Case:
    """One broken (or awkward but valid) workbook and what the planner must say of it."""

    name: str
    """The file's stem."""
    what: str
    """What is wrong with it, in a few words."""
    outcome: Outcome
    where: Where
    """Where the error (or, for ``warning``, the warning) is reported."""
    says: str
    """A fragment of the message reported there."""
    loads_to: Scenario | None = None
    """For a workbook that loads: the scenario it must load to."""

    @property
    def file(self) -> str:
        """The file's name in the corpus folder."""
        return f"{self.name}.xlsx"


Builder = Callable[[Path], None]
"""Writes one case's file to the path given."""

_CASES: list[tuple[Case, Builder]] = []


def _case(
    name: str,
    what: str,
    where: Where,
    says: str,
    *,
    outcome: Outcome = "error",
    loads_to: Scenario | None = None,
) -> Callable[[Builder], Builder]:
    def register(build: Builder) -> Builder:
        _CASES.append((Case(name, what, outcome, where, says, loads_to), build))
        return build

    return register


def write_corpus(folder: Path) -> list[Case]:
    """Write every case into ``folder`` (created if needed) and return the cases.

    Args:
        folder: where the files go; existing files of the same names are replaced.

    Returns:
        The cases, in a fixed order.
    """
    folder.mkdir(parents=True, exist_ok=True)
    for case, build in _CASES:
        build(folder / case.file)
    return [case for case, _ in _CASES]


# --- ways of writing a case ----------------------------------------------------------------

_SHEET_ORDER = list(minimal_scenario_tables())


def _part(sheet: str) -> str:
    """The zip part holding a sheet of the minimal scenario, as openpyxl writes it."""
    return f"xl/worksheets/sheet{_SHEET_ORDER.index(sheet) + 1}.xml"


def _tables(edit: Callable[[Tables], object]) -> Builder:
    """A case made by editing the minimal scenario's tables."""

    def build(path: Path) -> None:
        tables = minimal_scenario_tables()
        edit(tables)
        write_tables(path, tables)

    return build


def _book(edit: Callable[[Any], object], tables: Callable[[Tables], object] = len) -> Builder:
    """A case made by editing the openpyxl workbook (merges, hidden rows, styles)."""

    def build(path: Path) -> None:
        source = minimal_scenario_tables()
        tables(source)
        write_tables(path, source)
        book = openpyxl.load_workbook(path)
        edit(book)
        book.save(path)

    return build


def _patched(
    part: str, old: bytes, new: bytes, tables: Callable[[Tables], object] = len
) -> Builder:
    """A case made by replacing ``old`` by ``new`` in one XML part of the written file."""

    def build(path: Path) -> None:
        source = minimal_scenario_tables()
        tables(source)
        write_tables(path, source)
        patch_part(path, part, lambda data: _replace_once(data, old, new))

    return build


def _replace_once(data: bytes, old: bytes, new: bytes) -> bytes:
    if old not in data:
        raise ValueError(f"{old!r} is not in the part")
    return data.replace(old, new, 1)


def patch_part(path: Path, part: str, change: Callable[[bytes], bytes]) -> None:
    """Rewrite one part of a zip file in place through ``change``.

    Args:
        path: the .xlsx file.
        part: the part's name, e.g. ``xl/workbook.xml``.
        change: takes the part's bytes and returns the new ones.
    """
    with zipfile.ZipFile(path) as source:
        items = [(info, source.read(info)) for info in source.infolist()]
    if part not in {info.filename for info, _ in items}:
        raise ValueError(f"{path} has no part {part}")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for info, data in items:
            target.writestr(info, change(data) if info.filename == part else data)


def _minimal_bytes() -> bytes:
    buffer = io.BytesIO()
    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, rows in minimal_scenario_tables().items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(list(row))
    book.save(buffer)
    return buffer.getvalue()


def _raw(make: Callable[[], bytes]) -> Builder:
    """A case whose bytes are made directly."""

    def build(path: Path) -> None:
        path.write_bytes(make())

    return build


def _doctype(declaration: bytes) -> Callable[[bytes], bytes]:
    """Put a document type declaration at the head of an XML part."""

    def change(data: bytes) -> bytes:
        return re.sub(rb"^(<\?xml[^>]*\?>)?", lambda m: m.group(0) + declaration, data, count=1)

    return change


_SENTINEL = 918273645
"""A number written into a cell so that its ``<v>`` can be found and replaced."""

_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


# --- the file itself -----------------------------------------------------------------------

_case("empty_file", "an empty file", FILE, "the file is empty")(_raw(lambda: b""))
_case("truncated", "cut off halfway", FILE, "damaged or incomplete")(
    _raw(lambda: _minimal_bytes()[: len(_minimal_bytes()) // 2])
)
_case("truncated_end", "its last 100 bytes missing", FILE, "damaged or incomplete")(
    _raw(lambda: _minimal_bytes()[:-100])
)
_case("xls_renamed", "an old .xls renamed to .xlsx", FILE, "old-format Excel file (.xls)")(
    _raw(lambda: _OLE + bytes(504) + "Workbook".encode("utf-16-le") + bytes(64))
)
_case(
    "password_protected",
    "an encrypted workbook (an OLE file with an EncryptionInfo stream)",
    FILE,
    "password-protected",
)(_raw(lambda: _OLE + bytes(504) + "EncryptionInfo".encode("utf-16-le") + bytes(64)))
_case("csv_renamed", "a CSV file renamed to .xlsx", FILE, "text file (CSV or plain text)")(
    _raw(lambda: b"country,name,member,budget\nA,Alpha,yes,100\nB,,yes,50\n")
)
_case("text_renamed", "plain text renamed to .xlsx", FILE, "text file (CSV or plain text)")(
    _raw(lambda: b"Scenario notes: members A and B, budget 100.\n")
)
_case(
    "unicode_text_renamed",
    "a UTF-16 text export renamed to .xlsx",
    FILE,
    "text file (CSV or plain text)",
)(_raw(lambda: "country\tmember\nA\tyes\n".encode("utf-16")))
_case("html_renamed", "a web page saved as .xlsx", FILE, "text file (CSV or plain text)")(
    _raw(lambda: b"<html><body><table><tr><td>country</td></tr></table></body></html>\n")
)
_case("binary_garbage", "random bytes", FILE, "not an Excel workbook (.xlsx)")(
    _raw(lambda: bytes([0x89, 0x50, 0x4E, 0x47]) + random.Random(5).randbytes(3000))
)


def _ods() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        archive.writestr("content.xml", "<office:document-content/>")
        archive.writestr("META-INF/manifest.xml", "<manifest:manifest/>")
    return buffer.getvalue()


_case("ods_renamed", "an OpenDocument spreadsheet renamed", FILE, "OpenDocument spreadsheet")(
    _raw(_ods)
)


def _docx() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    return buffer.getvalue()


_case("zip_not_a_workbook", "a Word document renamed", FILE, "zip archive but not an Excel")(
    _raw(_docx)
)

_LAUGHS = b"".join(
    [b'<!DOCTYPE worksheet [<!ENTITY lol0 "lol">']
    + [f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">'.encode() for i in range(1, 10)]
    + [b"]>"]
)


def _laughs(path: Path) -> None:
    write_tables(path, minimal_scenario_tables())
    patch_part(
        path,
        _part("Scenario"),
        lambda data: _doctype(_LAUGHS)(_replace_once(data, b"<t>minimal</t>", b"<t>&lol9;</t>")),
    )


_case("entity_expansion", 'XML "billion laughs" entities in a sheet', FILE, "XML entity")(_laughs)


def _external_entity(path: Path) -> None:
    write_tables(path, minimal_scenario_tables())
    declaration = b'<!DOCTYPE workbook [<!ENTITY xxe SYSTEM "file:///etc/hostname">]>'
    patch_part(path, "xl/workbook.xml", _doctype(declaration))


_case("external_entity", "an XML external entity in workbook.xml", FILE, "XML entity")(
    _external_entity
)


def _bomb(path: Path) -> None:
    """A small file with one part that unpacks 2,000 times larger."""
    write_tables(path, minimal_scenario_tables())
    with zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/media/padding.bin", bytes(8 * 1024 * 1024))


_case("zip_bomb", "a part compressed 1000 to 1", FILE, "zip bomb")(_bomb)
_case("row_beyond_excel", "a row numbered beyond Excel's last", FILE, "damaged or was not")(
    _patched(
        _part("Countries"),
        b"</sheetData>",
        b'<row r="2000000"><c r="A2000000" t="inlineStr"><is><t>X</t></is></c></row></sheetData>',
    )
)


# --- sheets and headers --------------------------------------------------------------------


def _drop(sheet: str) -> Callable[[Tables], object]:
    return lambda t: t.pop(sheet)


def _rename(old: str, new: str) -> Callable[[Tables], object]:
    def edit(tables: Tables) -> None:
        renamed = {new if k == old else k: v for k, v in tables.items()}
        tables.clear()
        tables.update(renamed)

    return edit


_case("missing_sheet", "no Countries sheet", ("Countries", None, ""), "has no sheet `Countries`")(
    _tables(_drop("Countries"))
)
_case(
    "misspelt_sheet",
    "the Countries sheet named Countires",
    ("Countries", None, ""),
    "rename the sheet `Countires` to `Countries`",
)(_tables(_rename("Countries", "Countires")))
_case(
    "duplicate_sheet",
    "two sheets that both match Targets",
    ("Targets", None, ""),
    "two sheets match `Targets`",
)(_tables(lambda t: t.update({" targets ": [["country", "commodity", "amount"]]})))
_case(
    "misspelt_header",
    "Resources header `availble`",
    ("Resources", 1, "availble"),
    "did you mean `available`?",
)(_tables(lambda t: set_cell(t, "Resources", 1, "available", "availble")))


def _drop_column(sheet: str, column: str) -> Callable[[Tables], object]:
    def edit(tables: Tables) -> None:
        position = tables[sheet][0].index(column)
        for row in tables[sheet]:
            del row[position]

    return edit


_case(
    "missing_header",
    "the Recipe sheet without its amount column",
    ("Recipe", 1, "amount"),
    "required column `amount` is missing",
)(_tables(_drop_column("Recipe", "amount")))
_case(
    "blank_header_row",
    "the Targets header row left empty",
    ("Targets", 1, "country"),
    "required column `country` is missing",
)(_tables(lambda t: t["Targets"].__setitem__(0, [])))
_case(
    "duplicate_header",
    "budget twice in Countries",
    ("Countries", 1, "budget"),
    "appears twice, in columns D and E",
)(_tables(lambda t: set_cell(t, "Countries", 1, "again", " Budget")))
_case(
    "extra_column",
    "an unknown column colour",
    ("Commodities", 1, "colour"),
    "unknown column `colour`",
)(_tables(lambda t: set_cell(t, "Commodities", 2, "colour", "red")))
_case(
    "value_without_header",
    "a value in a column with no header",
    ("Targets", 3, ""),
    "cell F3 holds a value but column F has no header",
)(_tables(lambda t: t["Targets"][2].extend([None, "stray"])))
_case(
    "values_without_header",
    "a column of values with no header",
    ("Targets", 2, ""),
    "2 cells of column F (rows 2 to 3) hold values but column F has no header",
)(_tables(lambda t: [row.extend([None] * (5 - len(row)) + [1]) for row in t["Targets"][1:]]))
_case(
    "empty_sheet",
    "an empty Processes sheet",
    ("Processes", 1, "process"),
    "required column `process` is missing",
)(_tables(lambda t: t.__setitem__("Processes", [])))


# --- ids -----------------------------------------------------------------------------------

_case("blank_id", "a process with a blank id", ("Processes", 3, "process"), "the id is blank")(
    _tables(
        lambda t: (
            set_cell(t, "Processes", 3, "process", "   "),
            set_cell(t, "Processes", 3, "description", "cooling"),
        )
    )
)
_case(
    "duplicate_id",
    "country B twice",
    ("Countries", 5, "country"),
    "`B` is already in row 3",
)(_tables(lambda t: add_row(t, "Countries", {"country": "B", "member": "no"})))
_case(
    "duplicate_id_after_spaces",
    "country ` B ` beside country B",
    ("Countries", 5, "country"),
    "once surrounding spaces are removed",
)(_tables(lambda t: add_row(t, "Countries", {"country": " B ", "member": "no"})))
_case(
    "ids_differing_in_case",
    "commodities chip and Chip",
    ("Commodities", 5, "commodity"),
    "differs from `chip` (row 3) only in case",
)(_tables(lambda t: add_row(t, "Commodities", {"commodity": "Chip", "kind": "product"})))
_case(
    "reference_differing_in_case",
    "a resource of country b (the country is B)",
    ("Resources", 3, "country"),
    "did you mean `B`? (ids are case-sensitive)",
)(_tables(lambda t: set_cell(t, "Resources", 3, "country", "b")))
_case(
    "unknown_reference",
    "a target for commodity compte",
    ("Targets", 3, "commodity"),
    "`compte` is not in Commodities; did you mean `compute`?",
)(_tables(lambda t: set_cell(t, "Targets", 3, "commodity", "compte")))
_case(
    "id_is_a_date",
    "a country id typed as a date",
    ("Countries", 4, "country"),
    "is a date or time, not an id",
)(_tables(lambda t: set_cell(t, "Countries", 4, "country", dt.datetime(2024, 3, 1))))
_case(
    "id_is_yes_no",
    "a process id typed as TRUE",
    ("Processes", 2, "process"),
    "is a yes/no value, not an id",
)(_tables(lambda t: set_cell(t, "Processes", 2, "process", True)))


# --- numbers -------------------------------------------------------------------------------


def _number_case(name: str, what: str, where: Where, value: object, says: str) -> None:
    sheet, row, column = where
    assert row is not None
    _case(name, what, where, says)(_tables(lambda t: set_cell(t, sheet, row, column, value)))


_number_case(
    "text_in_number", "cost `ten`", ("Capacity", 2, "cost"), "ten", "type a number with digits"
)
_number_case(
    "thousands_separator",
    "available typed as the text `1,200`",
    ("Resources", 2, "available"),
    "1,200",
    "type 1200 (without thousands separators)",
)
_number_case(
    "percent_as_text",
    "a cost typed as the text `12%`",
    ("Capacity", 3, "cost"),
    "12%",
    "type 12 without the % sign (or 0.12 for a fraction)",
)
_number_case(
    "decimal_comma",
    "an amount typed as `0,5`",
    ("Recipe", 2, "amount"),
    "0,5",
    "type 0.5 (with a point for decimals)",
)
_number_case("negative", "a negative cost", ("Resources", 3, "cost"), -3, "-3 is negative")
_number_case("nan_as_text", "an amount `NaN`", ("Targets", 2, "amount"), "NaN", "'NaN' is text")
_number_case(
    "infinity_as_text", "available `inf`", ("Resources", 4, "available"), "inf", "'inf' is text"
)
_number_case(
    "zero_where_positive", "a recipe amount of 0", ("Recipe", 3, "amount"), 0, "0 is too small"
)
_number_case(
    "date_in_number",
    "existing capacity typed as a date",
    ("Capacity", 2, "existing"),
    dt.datetime(2025, 1, 1),
    "is a date or time, not a number",
)
_number_case(
    "yes_no_in_number",
    "a weight typed as TRUE",
    ("Targets", 3, "weight"),
    True,
    "is a yes/no value, not a number",
)
_number_case(
    "error_value",
    "a cost showing #DIV/0!",
    ("Capacity", 3, "cost"),
    "#DIV/0!",
    "the cell shows the error #DIV/0!",
)
_number_case(
    "formula_without_result",
    "a formula written by a program, never calculated",
    ("Recipe", 2, "amount"),
    "=1+1",
    "formula with no saved result",
)


def _stored(where: Where, stored: bytes, says: str, name: str, what: str) -> None:
    """A case whose cell holds ``stored`` as its XML value (not writable with openpyxl)."""
    sheet, row, column = where
    assert row is not None
    _case(name, what, where, says)(
        _patched(
            _part(sheet),
            f"<v>{_SENTINEL}</v>".encode(),
            stored,
            lambda t: set_cell(t, sheet, row, column, _SENTINEL),
        )
    )


_stored(
    ("Capacity", 4, "max_new"),
    b"<v>1e999</v>",
    "is not a finite number",
    "infinite_number",
    "max_new stored as 1e999 (infinite)",
)
_stored(
    ("Countries", 2, "budget"),
    b"<v>-1E400</v>",
    "is not a finite number",
    "minus_infinite_number",
    "a budget stored as -1E400",
)
_stored(
    ("Countries", 3, "budget"),
    b"<v>" + b"9" * 400 + b"</v>",
    "is not a finite number",
    "huge_integer",
    "a budget of 400 digits",
)
_stored(
    ("Resources", 2, "available"),
    b"<v>abc</v>",
    "cannot be read",
    "garbled_number",
    "a number cell storing `abc`",
)


def _shared_string_out_of_range(path: Path) -> None:
    tables = minimal_scenario_tables()
    set_cell(tables, "Targets", 2, "amount", _SENTINEL)
    write_tables(path, tables)
    patch_part(
        path,
        _part("Targets"),
        lambda d: re.sub(rb'<c r="C2" t="n"><v>\d+</v>', b'<c r="C2" t="s"><v>9999</v>', d),
    )


_case(
    "shared_string_out_of_range",
    "a text cell pointing at a shared string that does not exist",
    ("Targets", 2, "amount"),
    "cannot be read",
)(_shared_string_out_of_range)


# --- choices and yes/no --------------------------------------------------------------------

_case("bad_yes_no", "member `maybe`", ("Countries", 2, "member"), "is not yes or no")(
    _tables(lambda t: set_cell(t, "Countries", 2, "member", "maybe"))
)
_case("bad_choice", "kind `resourse`", ("Commodities", 2, "kind"), "did you mean `resource`?")(
    _tables(lambda t: set_cell(t, "Commodities", 2, "kind", "resourse"))
)


# --- rules across rows and sheets ----------------------------------------------------------

_case(
    "min_new_above_max_new",
    "min_new 20 with max_new 10",
    ("Capacity", 4, "min_new"),
    "min_new 20 is above max_new 10",
)(_tables(lambda t: set_cell(t, "Capacity", 4, "min_new", 20)))
_case(
    "target_on_non_member",
    "a capability target for non-member C",
    ("Targets", 4, "country"),
    "`C` is not a member",
)(_tables(lambda t: add_row(t, "Targets", {"country": "C", "commodity": "compute", "amount": 1})))
_case(
    "link_non_tradable",
    "a Links row for compute, which is not tradable",
    ("Links", 2, "commodity"),
    "`compute` is not tradable",
)(_tables(lambda t: set_cell(t, "Links", 2, "commodity", "compute")))
_case(
    "link_to_itself",
    "a link from C to C",
    ("Links", 2, "importer"),
    "a link joins two different countries",
)(_tables(lambda t: set_cell(t, "Links", 2, "importer", "C")))
_case(
    "duplicate_link",
    "two Links rows for C -> A ore",
    ("Links", 3, "exporter"),
    "is already in row 2",
)(_tables(lambda t: add_row(t, "Links", {"exporter": "C", "importer": "A", "commodity": "ore"})))
_case(
    "process_without_output",
    "process dc with no output in Recipe",
    ("Processes", 3, "process"),
    "process `dc` has no output in Recipe",
)(_tables(lambda t: t["Recipe"].pop(4)))
_case(
    "resource_of_wrong_kind",
    "a Resources row for the product chip",
    ("Resources", 2, "commodity"),
    "`chip` is of kind product",
)(_tables(lambda t: set_cell(t, "Resources", 2, "commodity", "chip")))
_case(
    "target_of_wrong_kind",
    "a target for the product chip",
    ("Targets", 2, "commodity"),
    "rows need a commodity of kind capability",
)(_tables(lambda t: set_cell(t, "Targets", 2, "commodity", "chip")))
_case(
    "scenario_without_name",
    "no name in the Scenario sheet",
    ("Scenario", None, "key"),
    "the scenario has no `name`",
)(_tables(lambda t: t["Scenario"].pop(1)))
_case(
    "penalty_zero",
    "a shortfall penalty of 0",
    ("Scenario", 3, "value"),
    "0 is too small",
)(_tables(lambda t: set_cell(t, "Scenario", 3, "value", 0)))


# --- layout: merged cells, hidden parts, trailing rows ------------------------------------

_case(
    "merged_cells",
    "cells A2:B2 of Countries merged",
    ("Countries", 2, "country"),
    "cells A2:B2 are merged",
)(_book(lambda b: b["Countries"].merge_cells("A2:B2")))
_case(
    "merged_down",
    "one country cell merged over two Resources rows",
    ("Resources", 3, "country"),
    "cells A3:A4 are merged",
)(_book(lambda b: b["Resources"].merge_cells("A3:A4")))
_case(
    "merged_header",
    "two header cells merged",
    ("Commodities", 1, "commodity"),
    "the header cells A1:B1 are merged",
)(_book(lambda b: b["Commodities"].merge_cells("A1:B1")))


def _hide_row(book: Any) -> None:
    book["Capacity"].row_dimensions[3].hidden = True


_case(
    "hidden_row_with_error",
    "a hidden row holding a bad cost: hidden rows are read",
    ("Capacity", 3, "cost"),
    "type a number",
)(_book(_hide_row, lambda t: set_cell(t, "Capacity", 3, "cost", "ten")))


_case(
    "hidden_sheet",
    "the Links sheet hidden",
    ("Links", None, ""),
    "the sheet is hidden",
    outcome="warning",
    loads_to=MINIMAL_SCENARIO,
)(_book(lambda b: setattr(b["Links"], "sheet_state", "hidden")))
_case(
    "very_hidden_sheet",
    "the Resources sheet very hidden",
    ("Resources", None, ""),
    "the sheet is hidden",
    outcome="warning",
    loads_to=MINIMAL_SCENARIO,
)(_book(lambda b: setattr(b["Resources"], "sheet_state", "veryHidden")))


def _hide_rows(book: Any) -> None:
    for row in (3, 4):
        book["Countries"].row_dimensions[row].hidden = True
    book["Targets"].row_dimensions[9].hidden = True  # blank: nothing to say


_case(
    "hidden_rows",
    "rows 3 and 4 of Countries hidden: read as usual",
    ("Countries", 3, ""),
    "rows 3 and 4 are hidden",
    outcome="warning",
    loads_to=MINIMAL_SCENARIO,
)(_book(_hide_rows))
_case(
    "hidden_column",
    "the cost column of Capacity hidden",
    ("Capacity", 1, "cost"),
    "the column is hidden",
    outcome="warning",
    loads_to=MINIMAL_SCENARIO,
)(_book(lambda b: setattr(b["Capacity"].column_dimensions["D"], "hidden", True)))


def _trailing_rows(book: Any) -> None:
    fill = PatternFill("solid", fgColor="FFF2CC")
    sheet = book["Targets"]
    for row in range(4, 300):
        for column in range(1, 5):
            sheet.cell(row=row, column=column).fill = fill
    sheet.cell(row=310, column=1).value = " "
    sheet.cell(row=311, column=2).value = ""
    sheet.cell(row=1_048_576, column=4).fill = fill


_case(
    "trailing_formatted_rows",
    "formatted blank rows down to Excel's last row",
    FILE,
    "",
    outcome="valid",
    loads_to=MINIMAL_SCENARIO,
)(_book(_trailing_rows))


def _merged_note(book: Any) -> None:
    sheet = book["Countries"]
    sheet["E1"] = "# comment"
    sheet["E2"] = "founding members"
    sheet.merge_cells("E2:E3")


_case(
    "merged_note_column",
    "merged cells in a note column only",
    FILE,
    "",
    outcome="valid",
    loads_to=MINIMAL_SCENARIO,
)(_book(_merged_note))


def _spaced_ids(tables: Tables) -> None:
    set_cell(tables, "Countries", 2, "country", " A ")
    set_cell(tables, "Resources", 2, "country", "A\u00a0")
    set_cell(tables, "Capacity", 2, "country", "\u200bA")
    set_cell(tables, "Recipe", 2, "process", "fab ")
    set_cell(tables, "Commodities", 2, "commodity", "\tore")


_case(
    "ids_with_surrounding_spaces",
    "ids typed with spaces (also non-breaking and zero-width) around them",
    FILE,
    "",
    outcome="valid",
    loads_to=MINIMAL_SCENARIO,
)(_tables(_spaced_ids))
_case(
    "unknown_sheet",
    "an extra sheet of the user's own",
    ("Scratch", None, ""),
    "is not part of the scenario format",
    outcome="warning",
    loads_to=MINIMAL_SCENARIO,
)(_tables(lambda t: t.update({"Scratch": [["working notes"]]})))

NON_LATIN = {
    "A": "日本",
    "B": "Україна",
    "C": "भारत",
    "ore": "稀土",
    "chip": "رقاقة",
    "compute": "υπολογισμός",
    "fab": "ফ্যাব",
    "dc": "데이터센터",
}
"""Ids of the minimal scenario in other scripts: Japanese, Ukrainian, Hindi, Chinese,
Arabic, Greek, Bengali and Korean."""


def _renamed(value: object, names: Mapping[str, str]) -> object:
    if isinstance(value, str):
        return names.get(value, value)
    if isinstance(value, list | tuple):
        return [_renamed(v, names) for v in value]
    if isinstance(value, dict):
        return {k: _renamed(v, names) for k, v in value.items()}
    return value


def _non_latin(tables: Tables) -> None:
    for rows in tables.values():
        rows[1:] = [list(_renamed(row, NON_LATIN)) for row in rows[1:]]  # type: ignore[call-overload]


_case(
    "non_latin_ids",
    "ids in eight non-Latin scripts",
    FILE,
    "",
    outcome="valid",
    loads_to=Scenario.model_validate(_renamed(MINIMAL_SCENARIO.model_dump(), NON_LATIN)),
)(_tables(_non_latin))


def _saved_formula(path: Path) -> None:
    tables = minimal_scenario_tables()
    set_cell(tables, "Recipe", 2, "amount", "=1+1")
    write_tables(path, tables)
    patch_part(
        path, _part("Recipe"), lambda d: re.sub(rb"<f>1\+1</f><v ?/>", b"<f>1+1</f><v>2</v>", d)
    )


_case(
    "formula_with_saved_result",
    "a formula whose result a spreadsheet saved: the result is read",
    FILE,
    "",
    outcome="valid",
    loads_to=MINIMAL_SCENARIO,
)(_saved_formula)


def cases() -> Iterator[Case]:
    """Every case, without writing any file."""
    return (case for case, _ in _CASES)


def main(argv: list[str]) -> int:
    """Write the corpus into the folder named on the command line."""
    if len(argv) != 2:
        print("usage: python tests/broken_corpus.py OUTDIR", file=sys.stderr)
        return 2
    for case in write_corpus(Path(argv[1])):
        sheet, row, column = case.where
        at = "the file" if case.where == FILE else f"{sheet} row {row} column {column!r}"
        print(f"{case.file:40} {case.outcome:8} {at:40} {case.what}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
