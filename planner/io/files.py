"""Writing outputs whole or not at all.

Every file the planner writes goes through :func:`atomic_write`: the content is written to
a temporary file in the destination's folder (so the final step is a rename on one
volume), flushed to disk, then moved into place. A failure or an interrupt at any point
leaves the previous file, if any, untouched and no temporary file behind.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path

from planner.errors import OutputError


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def lock_file_for(path: Path) -> Path | None:
    """The lock file a spreadsheet program keeps beside an open workbook, if any.

    Excel writes ``~$name`` (for long names, ``~$`` may replace the first two
    characters); LibreOffice writes ``.~lock.name#``.
    """
    candidates = (
        path.with_name(f"~${path.name}"),
        path.with_name(f"~${path.name[2:]}"),
        path.with_name(f".~lock.{path.name}#"),
    )
    return next((c for c in candidates if c.exists()), None)


def refuse_overwriting_inputs(out: Path, inputs: Iterable[Path]) -> None:
    """Raise :class:`OutputError` when ``out`` is (or links to) one of ``inputs``."""
    target = out.resolve()
    for source in inputs:
        same = target == source.resolve()
        if not same and out.exists() and source.exists():
            same = os.path.samefile(out, source)
        if same:
            raise OutputError(
                f"{out}: this is the input workbook; choose another output path "
                "(the planner never writes over its input)"
            )


def check_destination(out: Path, inputs: Iterable[Path] = ()) -> None:
    """Raise :class:`OutputError` unless ``out`` may be written: not an input, in a folder
    that exists, and not open in a spreadsheet program.

    Commands call it on every output before any solve, so a refused path costs no work;
    :func:`atomic_write` calls it again when it writes.
    """
    refuse_overwriting_inputs(out, inputs)
    if not out.parent.is_dir():
        raise OutputError(f"{out}: the folder {out.parent} does not exist")
    lock = lock_file_for(out)
    if lock is not None:
        raise OutputError(
            f"{out}: the file appears to be open in a spreadsheet program ({lock.name} "
            "is beside it); close it, or write to another path (if it is not open, the "
            f"lock file was left behind by a crash: delete {lock.name})"
        )


def atomic_write(
    path: Path | str, write: Callable[[Path], None], *, inputs: Iterable[Path] = ()
) -> Path:
    """Call ``write(tmp)`` to create the content, then move it to ``path``.

    Args:
        path: the destination.
        write: writes the whole file to the temporary path it is given.
        inputs: files that must never be overwritten (refused with :class:`OutputError`).

    Raises:
        OutputError: the destination is an input, is open in a spreadsheet program, or
            its folder cannot be written.
    """
    out = Path(path)
    check_destination(out, inputs)
    try:
        fd, name = tempfile.mkstemp(prefix=f".{out.stem}.", suffix=out.suffix, dir=out.parent)
    except OSError as exc:
        raise OutputError(f"{out}: cannot write in {out.parent}: {exc.strerror}") from exc
    os.close(fd)
    tmp = Path(name)
    try:
        write(tmp)
        tmp.chmod(0o666 & ~_umask())  # mkstemp's 0600 would hide the report from others
        with open(tmp, "rb+") as handle:
            os.fsync(handle.fileno())
        try:
            os.replace(tmp, out)
        except PermissionError as exc:
            raise OutputError(f"{out}: cannot replace it; is it open in another program?") from exc
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return out
