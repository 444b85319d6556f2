"""Replace a report folder as a whole, so that it is never half old and half new.

How a folder ``out`` is replaced:

1. ``claim_output_dir`` takes an exclusive lock (``.out.reportgen-lock`` beside it,
   ``fcntl.flock``); a second run into the same folder says it is waiting and waits.
   Under the lock it first repairs what a killed run may have left: a swap cut short
   (see the journal below) is rolled back, and staging folders are removed.
2. ``replace_folder`` builds the new folder beside the old one
   (``.out.reportgen-new-XXXX``), carries over the files of the old folder that this run
   does not replace (hard links, or copies where links are impossible), then exchanges
   the two folders with one ``renameat2(RENAME_EXCHANGE)`` call: a reader, a failure or
   a kill sees exactly the old folder or exactly the new one. The old one, now at the
   staging name, is then removed.
3. Where the exchange is unavailable (not Linux, an old C library, a file system that
   refuses it), the fallback writes a journal (``.out.reportgen-journal``), renames the
   old folder aside (``.out.reportgen-old-XXXX``), renames the new one in and deletes the
   journal. A failure rolls back at once; a kill between the two renames leaves the
   folder missing until the next run, which restores the old one (the journal, or the
   one folder set aside, says which).

Every step calls ``_checkpoint`` first, so that tests can make each step fail.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import fcntl
import json
import logging
import os
import secrets
import shutil
import signal
import stat
import tempfile
import threading
from collections.abc import Callable, Collection, Iterator
from pathlib import Path, PurePosixPath

from reportgen.errors import OutputError, SettingsError

log = logging.getLogger(__name__)

_AT_FDCWD = -100
_RENAME_EXCHANGE = 2
_NEW, _OLD = "reportgen-new-", "reportgen-old-"
# Held locks of this process: folder -> (open lock file, how many claims hold it), so
# that a run which holds its folder can write into it (the write claims it again).
_HELD: dict[str, tuple[int, int]] = {}
_HELD_GUARD = threading.Lock()


class _NoExchange(Exception):
    """renameat2(RENAME_EXCHANGE) is not available here."""


def _checkpoint(step: str) -> None:
    """Do nothing; a test replaces this to make the named step fail."""


def _real(path: Path) -> Path:
    # The folder a symlink points to is the one replaced, not the link.
    return Path(os.path.realpath(path))


def _lock_path(folder: Path) -> Path:
    return folder.parent / f".{folder.name}.reportgen-lock"


def _journal_path(folder: Path) -> Path:
    return folder.parent / f".{folder.name}.reportgen-journal"


def check_output_dir(output_dir: Path) -> None:
    """Refuse, before any analysis, an output folder that the report cannot replace.

    Raises:
        SettingsError: the path is empty, is a file, is the current folder or one
            above it, is a mount point, or the folder or its parent is not writable.
    """
    if str(output_dir).strip() == "":
        raise SettingsError("The output folder is empty text; give a folder with -o.")
    folder = _real(output_dir)
    cwd = Path.cwd().resolve()
    if folder == cwd or folder in cwd.parents or folder.parent == folder:
        raise SettingsError(
            f"The output folder {output_dir} is the current folder or one above it; reportgen "
            "replaces its output folder as a whole, so give a folder of its own, for example "
            "-o report."
        )
    if folder.exists() and not folder.is_dir():
        raise SettingsError(
            f"The output folder {output_dir} is a file; give a folder (-o) instead."
        )
    if folder.is_dir() and os.path.ismount(folder):
        raise SettingsError(
            f"The output folder {output_dir} is a mount point, which cannot be replaced as a "
            "whole; give a folder inside it, for example -o "
            f"{output_dir / 'report'}."
        )
    existing = folder.parent
    while not existing.exists():
        existing = existing.parent
    if not existing.is_dir():
        raise SettingsError(f"Cannot create the output folder {output_dir}: {existing} is a file.")
    for place in (folder, existing) if folder.is_dir() else (existing,):
        _probe_writable(place, output_dir)


def _probe_writable(place: Path, output_dir: Path) -> None:
    # A real write, not os.access: access() says yes to root, and knows nothing of
    # read-only mounts or immutable folders.
    try:
        handle, name = tempfile.mkstemp(prefix=".reportgen-probe-", dir=place)
    except OSError as error:
        raise SettingsError(
            f"Cannot write the report to {output_dir}: {place} is not writable "
            f"({error.strerror}). Choose another folder with -o, or fix its permissions."
        ) from None
    os.close(handle)
    os.unlink(name)


@contextlib.contextmanager
def claim_output_dir(output_dir: Path) -> Iterator[None]:
    """Hold the output folder for this run: other runs into it wait until it is done.

    Also removes what a killed run left beside the folder (a cut-short swap is rolled
    back first). A claim inside a claim of the same folder in this process is free.
    """
    folder = _real(output_dir)
    key = str(folder)
    with _HELD_GUARD:
        if key in _HELD:
            fd, count = _HELD[key]
            _HELD[key] = (fd, count + 1)
            acquired = False
        else:
            acquired = True
    if acquired:
        fd = _lock(folder, output_dir)
        with _HELD_GUARD:
            _HELD[key] = (fd, 1)
    owner = os.getpid()
    try:
        if acquired:
            repair(folder)
        yield
    finally:
        if os.getpid() == owner:  # a forked copy must not release its parent's lock
            with _HELD_GUARD:
                fd, count = _HELD[key]
                if count > 1:
                    _HELD[key] = (fd, count - 1)
                else:
                    del _HELD[key]
                    os.close(fd)  # releases the flock


def _lock(folder: Path, output_dir: Path) -> int:
    try:
        folder.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(_lock_path(folder), os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    except OSError as error:
        raise SettingsError(
            f"Cannot write the report to {output_dir}: {error.strerror}. Choose another "
            "folder with -o."
        ) from None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            other = os.pread(fd, 32, 0).decode("ascii", "replace").strip() or "?"
            log.warning(
                "Another reportgen run (process %s) is writing to %s; waiting for it to "
                "finish (Ctrl-C to stop).",
                other,
                output_dir,
            )
            fcntl.flock(fd, fcntl.LOCK_EX)
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
    except BaseException:
        os.close(fd)
        raise
    return fd


def repair(folder: Path) -> None:
    """Undo what a killed run left beside ``folder``; call only while holding its lock.

    A swap cut short between its two renames (the fallback) left the folder missing
    and the earlier one set aside: it is put back. Staging folders are removed.
    """
    journal = _journal_path(folder)
    parent = folder.parent
    prefixes = (f".{folder.name}.{_NEW}", f".{folder.name}.{_OLD}")
    leftovers = (
        sorted(path for path in parent.iterdir() if path.name.startswith(prefixes))
        if parent.is_dir()
        else []
    )
    aside = [path for path in leftovers if path.name.startswith(f".{folder.name}.{_OLD}")]
    if journal.exists():
        with contextlib.suppress(OSError, ValueError):
            named = json.loads(journal.read_text(encoding="utf-8")).get("aside")
            if isinstance(named, str) and (parent / named).is_dir():
                aside = [parent / named]
    if not folder.exists() and len(aside) == 1 and aside[0].is_dir():
        os.rename(aside[0], folder)
        log.warning(
            "Put back the earlier report in %s: a run was stopped while replacing it.", folder
        )
    with contextlib.suppress(FileNotFoundError):
        journal.unlink()
    for path in leftovers:
        if path.exists() or path.is_symlink():
            log.info("removing %s, left by a run that was stopped", path)
            _remove(path)


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        with contextlib.suppress(OSError):
            path.unlink()


def replace_folder(
    output_dir: Path, build: Callable[[Path], None], keep_out: Collection[str] = ()
) -> set[str]:
    """Replace ``output_dir`` with a new folder that ``build`` fills, in one step.

    Call while holding ``claim_output_dir(output_dir)``.

    Args:
        output_dir: the folder to replace (created when missing).
        build: writes the new files into the folder it is given.
        keep_out: names (relative POSIX paths) of the old folder not to carry over;
            every other file of the old folder is carried over into the new one.

    Returns:
        The names in ``keep_out`` that the old folder held.
    """
    folder = _real(output_dir)
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = _new_folder(folder.parent / f".{folder.name}.{_NEW}")
    if folder.is_dir():  # the new folder keeps the old one's permissions
        os.chmod(staging, stat.S_IMODE(folder.stat().st_mode))
    old: Path | None = staging
    try:
        _checkpoint("build")
        build(staging)
        dropped: set[str] = set()
        if folder.is_dir():
            _checkpoint("carry over")
            dropped = _carry_over(folder, staging, {str(PurePosixPath(n)) for n in keep_out})
            _checkpoint("exchange")
            old = _swap(staging, folder)
        else:
            _checkpoint("rename")
            os.rename(staging, folder)
            old = None
    except BaseException:
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
        raise
    if old is not None:
        try:
            _checkpoint("remove old")
            shutil.rmtree(old)
        except OSError as error:  # the new report is in place: say so, do not fail
            log.warning("Could not remove the earlier report's copy %s: %s", old, error)
    return dropped


def _new_folder(prefix: Path) -> Path:
    # Not tempfile.mkdtemp: its folders are private (0700), and the report is not.
    while True:
        path = prefix.with_name(prefix.name + secrets.token_hex(4))
        try:
            path.mkdir()
            return path
        except FileExistsError:
            continue


def _carry_over(folder: Path, staging: Path, keep_out: set[str]) -> set[str]:
    """Link (or copy) into ``staging`` every file of ``folder`` not named in ``keep_out``.

    A name in ``keep_out`` may be a folder (a Parquet table): none of it is carried over.
    """
    dropped = set()
    for root, dirs, names in os.walk(folder):
        relative = Path(root).relative_to(folder)
        for name in sorted(dirs):
            key = (relative / name).as_posix()
            if key in keep_out:
                dirs.remove(name)
                dropped.add(key)
                continue
            target = staging / relative / name
            if (Path(root) / name).is_symlink():
                dirs.remove(name)
                if not target.exists():
                    os.symlink(os.readlink(Path(root) / name), target)
            else:
                target.mkdir(exist_ok=True)
        for name in names:
            key = (relative / name).as_posix()
            if key in keep_out:
                dropped.add(key)
                continue
            source, target = Path(root) / name, staging / relative / name
            if target.exists() or target.is_symlink():
                continue
            if source.is_symlink():
                os.symlink(os.readlink(source), target)
                continue
            try:
                os.link(source, target)
            except OSError:  # immutable file, another file system, no links allowed
                shutil.copy2(source, target)
    return dropped


def _swap(staging: Path, folder: Path) -> Path:
    """Exchange ``staging`` with ``folder``; return where the old folder now is."""
    try:
        _exchange(staging, folder)
        return staging
    except _NoExchange:
        log.debug("renameat2(RENAME_EXCHANGE) unavailable; swapping with two renames")
    return _swap_with_journal(staging, folder)


def _exchange(first: Path, second: Path) -> None:
    """Exchange two paths atomically with Linux's renameat2(RENAME_EXCHANGE)."""
    renameat2 = _renameat2()
    if renameat2 is None:
        raise _NoExchange
    if renameat2(_AT_FDCWD, os.fsencode(first), _AT_FDCWD, os.fsencode(second), _RENAME_EXCHANGE):
        code = ctypes.get_errno()
        if code in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP, errno.ENOTSUP):
            raise _NoExchange
        raise OSError(code, os.strerror(code), str(first), None, str(second))


def _renameat2() -> Callable[..., int] | None:
    try:
        function = ctypes.CDLL(None, use_errno=True).renameat2
    except (AttributeError, OSError):  # not Linux, or a C library older than glibc 2.28
        return None
    function.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p]
    function.argtypes += [ctypes.c_uint]
    function.restype = ctypes.c_int
    return function  # type: ignore[no-any-return]


def _swap_with_journal(staging: Path, folder: Path) -> Path:
    """Swap with two renames, journaled so that a kill between them can be repaired."""
    aside = staging.with_name(staging.name.replace(_NEW, _OLD))
    journal = _journal_path(folder)
    with _signals_held():
        _checkpoint("journal")
        _write_journal(journal, {"folder": folder.name, "aside": aside.name, "new": staging.name})
        try:
            _checkpoint("set old aside")
            os.rename(folder, aside)
            try:
                _checkpoint("put new in place")
                os.rename(staging, folder)
            except BaseException:
                os.rename(aside, folder)
                raise
        finally:
            with contextlib.suppress(FileNotFoundError):
                journal.unlink()
    return aside


def _write_journal(journal: Path, entry: dict[str, str]) -> None:
    fd = os.open(journal, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o644)
    try:
        os.write(fd, json.dumps(entry).encode())
        os.fsync(fd)
    finally:
        os.close(fd)


@contextlib.contextmanager
def _signals_held() -> Iterator[None]:
    """Hold Ctrl-C and SIGTERM for the few instructions of a swap (main thread only)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    held = {signal.SIGINT, signal.SIGTERM}
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, held)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def replace_file(path: Path, write: Callable[[Path], None]) -> None:
    """Write one file all or nothing: ``write`` fills a hidden sibling, renamed over ``path``.

    A failure or a kill leaves the earlier file (or none) in place, never half of one.

    Raises:
        OutputError: the folder cannot be made or written to (permissions, a full disk).
    """
    partial = path.with_name(f".{path.name}.{os.getpid()}-{secrets.token_hex(4)}.part")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        os.close(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
        write(partial)
        os.replace(partial, path)
    except OSError as error:
        reason = error.strerror or str(error)
        if isinstance(error, FileExistsError | NotADirectoryError):
            reason = "part of that path is a file, not a folder"
        raise OutputError(
            f"Cannot write {path}: {reason}. Choose another place (-o) or check that its "
            "folder can be written to."
        ) from None
    finally:
        with contextlib.suppress(OSError):
            partial.unlink(missing_ok=True)
