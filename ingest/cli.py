"""The `ofsted-ingest` command: reports in, one SQLite database out.

Workers extract, parse and classify in processes of their own (even a single worker, which
then classifies only the documents the writer has no time for: the two share the work); this
process alone writes, one transaction per document, so a failure or a kill never leaves half
a document, and compares each document's inspection with its neighbours as it lands.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import signal
import sqlite3
import sys
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from datasette_ofsted.classify import classify_findings

from .errors import explain_open_error, explained, prepare_database_folder
from .extract import Refused, extract, read_file, sha256_of, size_limit
from .parse import LSCB_REVIEW, ParsedReport, parse_pages
from .reference import authorities, find_authority
from .versions import stale_documents, stale_documents_gone

if TYPE_CHECKING:
    from concurrent.futures import ProcessPoolExecutor

REPORT_SUFFIXES = {".pdf", ".txt"}
BUNDLED_REPORTS = Path("data/reports")
DEFAULT_DB = Path("data/ofsted.db")
# Ofsted's inspections of children's services under the Children Act 2004 began in 2005; a
# report cannot be dated after next year. A date outside these years is a misreading or a
# forgery, which would otherwise show as an authority's latest inspection.
FIRST_YEAR = 2005
# A worker's address space: a real report takes ~50 MB to read, so this is far above any,
# and a decompression bomb fails within it (in seconds) instead of taking the machine's memory.
WORKER_MEMORY_BYTES = 512 * 1024 * 1024
# The most findings of a real report is ~270: more than this is text amplification, whose
# findings would make every page that shows the authority slow.
MAX_FINDINGS = 5000
MAX_MANIFEST_BYTES = 20 * 1024 * 1024  # a listing of every Ofsted report ever is under 5 MB
WORKER_DIED = (
    "the process reading it died (a crash in the PDF library, or more than "
    f"{WORKER_MEMORY_BYTES // 2**20} MB of memory needed: a decompression bomb?)"
)
_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f-\x9f\\\ud800-\udfff]")


def shown(text: str) -> str:
    """Text for one `path: reason` line: control characters, backslashes and undecodable
    bytes of a file name escaped, so that a name with a newline cannot forge a second line
    (and the database, which takes only valid text, can store it)."""

    def escape(match: re.Match) -> str:
        char = match.group()
        if char == "\\":
            return "\\\\"
        if "\ud800" <= char <= "\udfff":  # a byte of a non-UTF-8 file name (surrogateescape)
            return f"\\x{ord(char) - 0xDC00:02x}"
        return char.encode("unicode_escape").decode("ascii")

    return _UNPRINTABLE.sub(escape, text)


def dates_out_of_range(report: ParsedReport) -> str | None:
    """The first of the report's dates outside the years an Ofsted inspection can have."""
    last_year = date.today().year + 1
    for value in (report.start_date, report.end_date, report.published_date):
        if value and not FIRST_YEAR <= int(value[:4]) <= last_year:
            return f"the date {value} is outside {FIRST_YEAR}–{last_year}: a misread or forged date"
    return None


# Who classifies a document's findings (the results are the same either way): the worker (True), the
# writer (False), or, with a single worker, the worker only while the writer is behind (SHARED). The
# writer also writes and compares, so with a fixed share one of the two processes would wait: the share
# follows the count of documents read and not yet taken by the writer.
SHARED = "shared"
# Read and not yet taken by the writer: at this many the writer is behind, and the worker classifies.
WRITER_BEHIND = 1
_waiting: Any = None  # in a worker: that count, shared with the writer (a multiprocessing.Value)


@dataclass
class Outcome:
    path: str
    sha256: str | None
    report: ParsedReport | None = None
    error: str | None = None
    classified: bool = False


def refusal(report: ParsedReport) -> str | None:
    """Why a parsed file is not loaded, or None: what makes it no Ofsted children's services report."""
    if not report.start_date:
        return "no inspection dates found: not an Ofsted report?"
    out_of_range = dates_out_of_range(report)
    if out_of_range:
        return out_of_range
    if not report.authority_name:
        return "no English local authority named: not an Ofsted children's services report?"
    if report.inspection_type == LSCB_REVIEW:
        return "a review of a Local Safeguarding Children Board on its own, not an inspection of the authority"
    if not report.inspection_type:
        return "not a recognised kind of Ofsted children's services inspection"
    if not report.findings:
        return "no findings found in the text"
    if len(report.findings) > MAX_FINDINGS:
        return f"too many findings for a report ({len(report.findings):,}; the limit is {MAX_FINDINGS:,})"
    return None


def process(path: str, classify: bool | str = True) -> Outcome:
    """Extract and parse one file, and classify its findings unless the writer will (runs in a worker)."""
    try:
        return _read(path, classify)
    finally:
        if _waiting is not None:
            with _waiting.get_lock():
                _waiting.value += 1


def _read(path: str, classify: bool | str) -> Outcome:
    try:
        extracted = extract(Path(path))
        report = parse_pages(extracted.pages, extracted.file_format, find_authority)
        reason = refusal(report)
        if reason:
            raise Refused(reason)
    except Refused as reason:
        return Outcome(path, None, error=str(reason))
    except MemoryError:
        return Outcome(
            path, None, error=f"needs more than the {WORKER_MEMORY_BYTES // 2**20} MB a report may take to read"
        )
    except Exception as error:  # a bug or an unforeseen file must not stop the batch
        return Outcome(path, None, error=f"could not be parsed ({type(error).__name__}: {error})")
    outcome = Outcome(path, extracted.sha256, report)
    if classify == SHARED:
        classify = _waiting is not None and _waiting.value >= WRITER_BEHIND
    return classified(outcome) if classify else outcome


def classified(outcome: Outcome) -> Outcome:
    """The outcome with its findings' polarity, sentences and themes, or the reason they could not be had."""
    if outcome.report is None or outcome.classified:
        return outcome
    try:
        classify_findings(outcome.report.findings)
    except Exception as error:  # a bug must not stop the batch
        return Outcome(outcome.path, None, error=f"could not be classified ({type(error).__name__}: {error})")
    outcome.classified = True
    return outcome


def _worker_started(parent: int, waiting: Any = None) -> None:
    """Bound a worker: it ends when the ingest that started it ends, even by `kill -9`, and
    its memory is capped. (Without the first, a killed ingest left its worker running,
    waiting for work on a pipe that the worker itself holds open.) Ctrl-C is the writer's to
    handle: a worker that took it too would break the pool mid-file. `waiting` is the count
    of documents read and not yet taken by the writer (SHARED)."""
    global _waiting
    _waiting = waiting
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if sys.platform.startswith("linux"):
        import ctypes

        PR_SET_PDEATHSIG = 1
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    else:  # no parent-death signal: watch the parent instead
        import threading
        import time

        def watch() -> None:
            while os.getppid() == parent:
                time.sleep(1)
            os._exit(1)

        threading.Thread(target=watch, daemon=True).start()
    if os.getppid() != parent:  # the parent died before the signal was asked for
        os._exit(1)
    try:
        import resource

        _, hard = resource.getrlimit(resource.RLIMIT_AS)
        limit = WORKER_MEMORY_BYTES if hard == resource.RLIM_INFINITY else min(WORKER_MEMORY_BYTES, hard)
        resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    except (ImportError, ValueError, OSError):  # no such limit on this system: the other caps still hold
        pass


class Readers:
    """The outcomes of reading files in worker processes, in the files' order.

    A worker that dies (the PDF library crashing on a hostile file, say) costs only the
    file it died on: the file that was awaited is read again in a process of its own, and
    is reported as failed if that process dies too; the rest go on in fresh workers.
    The pool starts at once, so the workers read while the caller prepares to write.
    """

    def __init__(self, files: list[str], workers: int, classify: bool | str, reader=None):
        import multiprocessing

        self.files, self.workers, self.classify = files, workers, classify
        self.reader = reader or process
        self.pool: ProcessPoolExecutor | None = None
        self.waiting = multiprocessing.Value("i", 0)  # read by a worker, not yet taken here (SHARED)
        self.pending = self._start(files, workers)

    def _start(self, files: list[str], workers: int):
        from concurrent.futures import ProcessPoolExecutor  # only an ingest with files to read pays for it

        self.waiting.value = 0
        self.pool = ProcessPoolExecutor(
            min(workers, len(files)), initializer=_worker_started, initargs=(os.getpid(), self.waiting)
        )
        return self.pool.map(self.reader, files, [self.classify] * len(files), chunksize=1)

    def _taken(self) -> None:
        with self.waiting.get_lock():
            self.waiting.value -= 1

    def __iter__(self):
        from concurrent.futures.process import BrokenProcessPool

        done = 0
        while done < len(self.files):
            try:
                for outcome in self.pending:
                    done += 1
                    self._taken()
                    yield outcome
            except BrokenProcessPool:
                self.close()
                path = self.files[done]
                try:
                    outcome = next(iter(self._start([path], 1)))
                except BrokenProcessPool:
                    outcome = Outcome(path, None, error=WORKER_DIED)
                self.close()
                done += 1
                yield outcome
                if done < len(self.files):
                    self.pending = self._start(self.files[done:], self.workers)

    def close(self) -> None:
        if self.pool:
            self.pool.shutdown(cancel_futures=True)
            self.pool = None


SQLITE_HEADER = b"SQLite format 3\x00"


def check_database_path(db_path: str) -> None:
    """Refuse, as a usage error, a --db that is not a SQLite database or a new one: a pipe
    or a device would hang the ingest, another kind of file would end it with a traceback."""
    path = Path(db_path)
    if not path.exists():
        if path.is_symlink():
            raise click.UsageError(f"--db {shown(db_path)}: a link to nothing")
        return
    if not path.is_file():
        raise click.UsageError(f"--db {shown(db_path)}: not a regular file")
    try:
        with path.open("rb") as handle:
            header = handle.read(len(SQLITE_HEADER))
    except OSError as error:
        raise click.UsageError(f"--db {shown(db_path)}: cannot be read ({error.strerror or error})") from None
    if header and header != SQLITE_HEADER:
        raise click.UsageError(f"--db {shown(db_path)}: not a SQLite database")


def held_checksums(db_path: str) -> set[str]:
    """The checksums of the files a database already holds (none if there is no database yet).

    Read with the sqlite3 module alone, so that the workers start reading before this
    process loads the writer's modules (sqlite-utils, the comparison engine).
    """
    if not Path(db_path).is_file():
        return set()
    connection = sqlite3.connect(db_path, timeout=60)
    try:
        return {row[0] for row in connection.execute("select sha256 from documents")}
    except sqlite3.DatabaseError:  # no documents table yet, or not a database: open_database will say
        return set()
    finally:
        connection.close()


def collect(paths: tuple[str, ...]) -> tuple[list[str], list[tuple[str, str]]]:
    """The report files under the given paths, and the paths that give none, with why."""
    files: list[str] = []
    problems: list[tuple[str, str]] = []
    for given in paths:
        path = Path(given)
        if path.is_dir():
            try:
                found = sorted(
                    str(p)
                    for p in path.rglob("*")
                    if p.suffix.lower() in REPORT_SUFFIXES and not p.is_dir()  # pipes too, to be refused by name
                )
            except OSError as error:
                problems.append((given, f"cannot be read ({error.strerror or error})"))
                continue
            if not found:
                problems.append((given, "no .pdf or .txt reports in this folder"))
            files.extend(found)
        elif path.exists() or path.is_symlink():
            files.append(given)
        else:
            problems.append((given, "no such file or folder"))
    return list(dict.fromkeys(files)), problems


def decode_manifest(data: bytes) -> str:
    """A listing as spreadsheets save it: UTF-16 ("Unicode text"), UTF-8 with or without a
    byte-order mark, else Windows' cp1252 (Excel's "CSV")."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def manifest_for(files: list[str]) -> tuple[dict[str, dict[str, str]], list[tuple[str, str]]]:
    """Source URLs and publication dates from any MANIFEST.csv beside the reports (Ofsted's
    listing), and the listings that could not be read, with why: a bad listing costs only
    the source URLs it would have given."""
    listed: dict[str, dict[str, str]] = {}
    problems: list[tuple[str, str]] = []
    for folder in sorted({Path(f).parent for f in files}):
        manifest = folder / "MANIFEST.csv"
        if not (manifest.exists() or manifest.is_symlink()):
            continue
        try:
            text = decode_manifest(read_file(manifest, MAX_MANIFEST_BYTES))
            rows = list(csv.DictReader(io.StringIO(text, newline="")))
        except Refused as reason:
            problems.append((str(manifest), f"the listing of source URLs was not read: {reason}"))
            continue
        except (UnicodeDecodeError, csv.Error) as error:
            problems.append((str(manifest), f"the listing of source URLs was not read: not a CSV file ({error})"))
            continue
        for row in rows:
            name = row.get("file")
            if isinstance(name, str) and name:
                listed[str(folder / name)] = {k: v for k, v in row.items() if isinstance(k, str) and isinstance(v, str)}
    return listed, problems


def _listed_date(value: str | None) -> str | None:
    if not value:
        return None
    for pattern in ("%d/%m/%y", "%d/%m/%Y", "%Y-%m-%d"):
        try:
            listed = datetime.strptime(value.strip(), pattern).date()
        except ValueError:
            continue
        return listed.isoformat() if FIRST_YEAR <= listed.year <= date.today().year + 1 else None
    return None


# The progress bar must stay whole in an 80-column terminal: "ingesting [####    ] 123/490  25%  00:01:05"
# and the file's name cut to fit, about 76 columns in all.
BAR_WIDTH = 20
BAR_NAME = 16
INTERRUPTED = 130  # the shell's code for a command ended by Ctrl-C (128 + SIGINT)


class Reporter:
    """What the ingest says, file by file, and at the end.

    `bar`: click's progress bar on a terminal (stderr), a refusal printed above it as it happens;
    `lines`: one `path: what happened` line a file (stdout, a refusal on stderr), for logs and pipes;
    `json`: one JSON object a file on stdout, for scripts; `quiet`: nothing until the end. In every
    mode the refusals are listed again, together, after the summary: among 490 lines they are lost.
    """

    def __init__(self, mode: str):
        self.mode = mode
        self.done = 0  # files finished with: ingested, already held or refused
        self.counts = {"ingested": 0, "skipped": 0, "failed": 0}
        self.failures: list[tuple[str, str]] = []
        self.bar: Any = None

    def start(self, total: int) -> None:
        """The files to read are known: draw the bar for them."""
        if self.mode == "bar" and total:
            self.bar = click.progressbar(
                length=total,
                label="ingesting",
                file=sys.stderr,
                show_pos=True,
                show_eta=True,
                width=BAR_WIDTH,
                item_show_func=lambda name: name,
            )
            self.bar.__enter__()

    def refused(self, path: str, reason: str) -> None:
        """A file (or a listing) that could not even be handed to a reader: not on the bar."""
        self._say(path, "failed", reason)

    def held(self, path: str) -> None:
        """A file already in the database (same checksum), not read again: a line only in --json."""
        self.done += 1
        if self.mode == "json":
            self._say(path, "skipped", "already ingested")
        else:
            self.counts["skipped"] += 1

    def step(self, path: str, status: str, message: str, **details) -> None:
        """One file read: ingested, skipped or failed."""
        self.done += 1
        self._say(path, status, message, **details)
        if self.bar is not None:
            name = shown(Path(path).name)
            self.bar.update(1, name if len(name) <= BAR_NAME else name[: BAR_NAME - 1] + "…")

    def _say(self, path: str, status: str, message: str, **details) -> None:
        self.counts[status] += 1
        if status == "failed":
            self.failures.append((path, message))
        line = f"{shown(path)}: {shown(message)}"
        if self.mode == "json":
            record = {"path": shown(path), "status": status, **details}
            record["reason" if status == "failed" else "message"] = message
            click.echo(json.dumps(record, ensure_ascii=False))
        elif self.mode == "quiet":
            return
        elif status == "failed" and self.bar is not None:
            click.echo("\r\x1b[2K" + line, err=True)  # above the bar, which is drawn again below it
            self.bar.render_progress()
        elif status == "failed":
            click.echo(line, err=True)
        elif self.mode == "lines" or (self.mode == "bar" and self.bar is None):
            click.echo(line)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)
            self.bar = None

    def summary(self, db_path: str, inspections: int, findings: int) -> None:
        """The counts, then every refusal again with its reason (on stdout, with the counts; on stderr
        for --json and --quiet, whose stdout is for scripts or nothing)."""
        c = self.counts
        line = (
            f"{c['ingested']} ingested, {c['skipped']} skipped (already ingested), {c['failed']} failed; "
            f"database {db_path}: {inspections} inspections, {findings} findings"
        )
        to_stderr = self.mode in ("json", "quiet")
        if self.mode != "quiet":
            click.echo(line, err=to_stderr)
        if self.failures:
            click.echo(f"not ingested ({len(self.failures)}):", err=to_stderr)
            for path, reason in self.failures:
                click.echo(f"  {shown(path)}: {shown(reason)}", err=to_stderr)


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="datasette-ofsted", prog_name="ofsted-ingest")
@click.argument("paths", nargs=-1, type=click.Path())
@click.option(
    "--db",
    "db_path",
    default=str(DEFAULT_DB),
    show_default=True,
    type=click.Path(dir_okay=False),
    help="SQLite database to create or update (name it ofsted.db for metadata.yml to apply).",
)
@click.option(
    "--workers",
    default=os.cpu_count() or 1,
    show_default="number of cores",
    type=click.IntRange(1, 64),
    help="Processes that extract and parse in parallel; one writer loads the database.",
)
@click.option(
    "--reclassify",
    is_flag=True,
    help="Classify every stored finding again (sentences, themes, polarity) from its text with this version's "
    "taxonomy, then compare again; reads no report.",
)
@click.option("--relink", is_flag=True, help="Compare every pair of consecutive inspections again.")
@click.option("-q", "--quiet", is_flag=True, help="Say nothing but the files not ingested, at the end.")
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help="One JSON object a file on stdout (path, status: ingested/skipped/failed, reason or message).",
)
@click.option(
    "--reparse",
    is_flag=True,
    help="Read every held document again from its recorded file with this version's parser (documents read by "
    "an older parser are read again at every ingest anyway, when their file is still there).",
)
@explained(lambda options: shown(options["db_path"]))
def main(
    paths: tuple[str, ...],
    db_path: str,
    workers: int,
    reclassify: bool,
    relink: bool,
    quiet: bool,
    as_json: bool,
    reparse: bool,
) -> None:
    """Ingest Ofsted children's services reports (.pdf, .txt, or folders of them) into SQLite.

    With no PATHS, ingests the bundled reports in data/reports/ (unless --reclassify or --relink
    is given: then only the database is brought up to date). Every run also brings an existing
    database to this version's schema, taxonomy and comparison engine.

    Exit codes: 0 every file ingested or already held; 1 some refused (listed at the end); 2 a
    usage error; 130 interrupted (run again to finish: nothing is half-loaded).
    """
    if quiet and as_json:
        raise click.UsageError("--quiet and --json cannot be used together")
    if not paths and (reclassify or relink) and not reparse:
        _bring_up_to_date(db_path, reclassify, relink)
        return
    if not paths and not reparse:
        if not BUNDLED_REPORTS.is_dir():
            raise click.UsageError(f"no PATHS given and no bundled {BUNDLED_REPORTS}/ here")
        paths = (str(BUNDLED_REPORTS),)
    check_database_path(db_path)
    reporter = Reporter("json" if as_json else "quiet" if quiet else "bar" if sys.stderr.isatty() else "lines")
    files: list[str] = []
    try:
        files, problems = collect(paths)
        _ingest(files, problems, db_path, workers, reclassify, relink, reparse, reporter)
    except KeyboardInterrupt:  # each document is one transaction: what is written is whole
        reporter.close()
        click.echo(f"\ninterrupted: {reporter.done} of {len(files)} done; run again to finish", err=True)
        sys.exit(INTERRUPTED)
    db = _open(db_path)
    reporter.summary(db_path, db["inspections"].count, db["findings"].count)
    sys.exit(1 if reporter.counts["failed"] else 0)


def _ingest(
    files, problems, db_path: str, workers: int, reclassify: bool, relink: bool, reparse: bool, reporter: Reporter
) -> None:
    """Read and write every file, saying how each went through `reporter`; documents read by another
    parser (or all, with --reparse) are read again from their recorded files."""
    stale = stale_documents(db_path, everything=reparse)  # read by another parser: read again from their files
    files += [path for path in stale.files if path not in files]
    if stale.gone:
        click.echo(stale_documents_gone(stale.gone), err=True)
    listed, manifest_problems = manifest_for(files)
    problems += manifest_problems
    prepare_database_folder(db_path)
    todo, held_paths = _not_held(files, held_checksums(db_path) - stale.checksums)
    # Where findings are classified: a single worker shares it with the writer (SHARED), which
    # would otherwise wait for it or keep it waiting; several workers keep the writer busy, so
    # they classify. The results are the same. Even a single file is read in a worker, whose
    # memory is bounded.
    readers = Readers(todo, workers, classify=True if workers > 1 else SHARED) if todo else None
    db = None
    try:
        from .links import LinkKeeper, repair  # the writer's modules, loaded while the workers read

        db = _open(db_path)
        _bring_up_to_date(db, reclassify, relink)
        from datasette_ofsted.reviews import create_reviews_database

        create_reviews_database(db_path)  # the reviewers' calls, kept apart from what a rebuild replaces
        _say_refused_and_held(db, problems, held_paths, reporter)
        writer = _Writer(db, listed, set(stale.files), LinkKeeper(db), reporter)
        reporter.start(len(todo))
        for outcome in map(classified, iter(readers) if readers else iter(())):
            writer.write(outcome)
        repair(db)  # the pairs of documents whose comparisons an interrupted run left missing
    finally:
        reporter.close()
        if readers:
            readers.close()
        if db is not None:
            _checkpoint(db, db_path)


def _not_held(files: list[str], held: set[str]) -> tuple[list[str], list[str]]:
    """The files to read, and those held already (by their checksums)."""
    todo: list[str] = []
    held_paths: list[str] = []
    for path in files:
        try:
            digest = sha256_of(read_file(Path(path), size_limit(Path(path))))
        except Refused:
            todo.append(path)  # the worker reports why it cannot be read
            continue
        (held_paths if digest in held else todo).append(path)
    return todo, held_paths


def _say_refused_and_held(db, problems: list[tuple[str, str]], held_paths: list[str], reporter: Reporter) -> None:
    from .load import record_error

    for path, reason in problems:
        record_error(db, shown(path), reason)
        reporter.refused(path, reason)
    for path in held_paths:
        reporter.held(path)


class _Writer:
    """Writes each file's outcome to the database and says how it went."""

    def __init__(self, db, listed: dict[str, dict[str, str]], reread: set[str], links, reporter: Reporter):
        self.db, self.listed, self.reread, self.links, self.reporter = db, listed, reread, links, reporter

    def write(self, outcome: Outcome) -> None:
        from .load import DocumentConflict, holds_file, write_document

        if outcome.error or outcome.report is None:
            self._failed(outcome.path, outcome.error or "unknown error")
            return
        assert outcome.sha256 is not None  # a file that was read has its digest
        if outcome.path in self.reread:  # read again on purpose (--reparse): once
            self.reread.discard(outcome.path)
        elif holds_file(self.db, outcome.sha256):  # a byte-identical copy earlier in this batch
            self.reporter.step(outcome.path, "skipped", "already ingested")
            return
        report = outcome.report
        assert report.authority_name is not None  # classified() refuses a report that names none
        authority = authorities()[report.authority_name]
        row = self.listed.get(str(Path(outcome.path)), {})
        try:
            inspection_id = write_document(
                self.db,
                report,
                authority,
                shown(str(Path(outcome.path).absolute())),  # the plugin serves the PDF from here
                shown(Path(outcome.path).name),
                outcome.sha256,
                row.get("source_url"),
                _listed_date(row.get("published")),
            )
        except DocumentConflict as conflict:
            self._failed(outcome.path, str(conflict))
            return
        self.links.document_written(authority.id, inspection_id)
        self.reporter.step(
            outcome.path,
            "ingested",
            f"{inspection_id} ({report.inspection_type}, {len(report.findings)} findings)",
            inspection_id=inspection_id,
            inspection_type=report.inspection_type,
            findings=len(report.findings),
        )

    def _failed(self, path: str, reason: str) -> None:
        from .load import record_error

        record_error(self.db, shown(path), reason)
        self.reporter.step(path, "failed", reason)


def _checkpoint(db, db_path: str) -> None:
    """What a server holding the file kept in the log goes into the .db; say so when a reader held it."""
    from .load import checkpoint

    if not checkpoint(db):
        click.echo(
            f"{shown(db_path)}: a reader held the database, so part of this ingest is still in "
            f"{shown(db_path)}-wal; copy or publish the database after the next ingest or once no one reads it",
            err=True,
        )


def _open(db_path: str):
    """The database, migrated to this version's schema and taxonomy (a usage error if a newer version made it)."""
    from datasette_ofsted.migrations import SchemaTooNew

    from .load import open_database

    try:
        return open_database(db_path)
    except SchemaTooNew as error:
        raise click.UsageError(f"{shown(db_path)}: {error}") from None
    except sqlite3.DatabaseError as error:
        raise explain_open_error(shown(db_path), error) from None


def _bring_up_to_date(db, reclassify: bool, relink: bool) -> None:
    """Reclassify and compare again on request; in any case compute the comparisons that are missing
    or were made by another engine or taxonomy (the version check at every open)."""
    from .links import relink as relink_all
    from .links import repair
    from .load import reclassify as reclassify_all

    if isinstance(db, str):
        db = _open(db)
    if reclassify:
        click.echo(f"{reclassify_all(db)} findings classified again")
    if relink:
        click.echo(f"{relink_all(db)} comparisons of consecutive inspections computed again")
    else:
        computed = repair(db)
        if computed:
            click.echo(f"{computed} comparisons of consecutive inspections computed (missing or out of date)")


if __name__ == "__main__":
    main()
