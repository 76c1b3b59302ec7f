"""The `ofsted-ingest` command: reports in, one SQLite database out.

Workers extract, parse and classify in processes of their own (even a single worker,
which then leaves the classifying to the writer: the two share the work); this process
alone writes, one transaction per document, so a failure or a kill never leaves half a
document, and compares each document's inspection with its neighbours as it lands.
"""

from __future__ import annotations

import csv
import os
import sqlite3
import sys
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import click

from datasette_ofsted.classify import classify_findings

from .extract import Refused, extract, sha256_of
from .parse import ParsedReport, parse_pages
from .reference import authorities, find_authority

REPORT_SUFFIXES = {".pdf", ".txt"}
BUNDLED_REPORTS = Path("data/reports")
DEFAULT_DB = Path("data/ofsted.db")


@dataclass
class Outcome:
    path: str
    sha256: str | None
    report: ParsedReport | None = None
    error: str | None = None
    classified: bool = False


def process(path: str, classify: bool = True) -> Outcome:
    """Extract and parse one file, and classify its findings unless the writer will (runs in a worker)."""
    try:
        extracted = extract(Path(path))
        report = parse_pages(extracted.pages, extracted.file_format, find_authority)
        if not report.start_date:
            raise Refused("no inspection dates found: not an Ofsted report?")
        if not report.authority_name:
            raise Refused("no English local authority named: not an Ofsted children's services report?")
        if not report.inspection_type:
            raise Refused("not a recognised kind of Ofsted children's services inspection")
        if not report.findings:
            raise Refused("no findings found in the text")
    except Refused as reason:
        return Outcome(path, None, error=str(reason))
    except Exception as error:  # a bug or an unforeseen file must not stop the batch
        return Outcome(path, None, error=f"could not be parsed ({type(error).__name__}: {error})")
    outcome = Outcome(path, extracted.sha256, report)
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


class Readers:
    """The outcomes of reading files in worker processes, in the files' order.

    A worker that dies (the PDF library crashing on a hostile file, say) costs only the
    file it died on: the file that was awaited is read again in a process of its own, and
    is reported as failed if that process dies too; the rest go on in fresh workers.
    The pool starts at once, so the workers read while the caller prepares to write.
    """

    def __init__(self, files: list[str], workers: int, classify: bool, reader=None):
        self.files, self.workers, self.classify = files, workers, classify
        self.reader = reader or process
        self.pool = None
        self.pending = self._start(files, workers)

    def _start(self, files: list[str], workers: int):
        from concurrent.futures import ProcessPoolExecutor  # only a batch of several files pays for it

        self.pool = ProcessPoolExecutor(min(workers, len(files)))
        return self.pool.map(self.reader, files, [self.classify] * len(files), chunksize=1)

    def __iter__(self):
        from concurrent.futures.process import BrokenProcessPool

        done = 0
        while done < len(self.files):
            try:
                for outcome in self.pending:
                    done += 1
                    yield outcome
            except BrokenProcessPool:
                self.close()
                path = self.files[done]
                try:
                    outcome = next(iter(self._start([path], 1)))
                except BrokenProcessPool:
                    outcome = Outcome(path, None, error="the process reading it died (a crash in the PDF library?)")
                self.close()
                done += 1
                yield outcome
                if done < len(self.files):
                    self.pending = self._start(self.files[done:], self.workers)

    def close(self) -> None:
        if self.pool:
            self.pool.shutdown(cancel_futures=True)
            self.pool = None


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
                    if p.suffix.lower() in REPORT_SUFFIXES and (p.is_file() or p.is_symlink())
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


def manifest_for(files: list[str]) -> dict[str, dict[str, str]]:
    """Source URLs and publication dates from any MANIFEST.csv beside the reports (Ofsted's listing)."""
    listed: dict[str, dict[str, str]] = {}
    for folder in {Path(f).parent for f in files}:
        manifest = folder / "MANIFEST.csv"
        if manifest.is_file():
            with manifest.open(newline="", encoding="utf-8-sig") as handle:
                for row in csv.DictReader(handle):
                    listed[str(folder / row.get("file", ""))] = row
    return listed


def _listed_date(value: str | None) -> str | None:
    if not value:
        return None
    for pattern in ("%d/%m/%y", "%d/%m/%Y", "%Y-%m-%d"):
        try:
            return datetime.strptime(value, pattern).date().isoformat()
        except ValueError:
            continue
    return None


class Reporter:
    """A rich progress bar on a terminal, plain lines otherwise."""

    def __init__(self, total: int):
        self.progress = None
        if sys.stderr.isatty() and total:
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

            self.progress = Progress(
                TextColumn("[bold]ingesting"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                TextColumn("{task.description}"),
                transient=True,
                console=Console(stderr=True),
            )
            self.progress.start()
            self.task = self.progress.add_task("", total=total)

    def step(self, path: str, message: str | None, error: bool = False) -> None:
        if error and self.progress:  # above the bar, which stays at the foot
            self.progress.console.print(f"{path}: {message}", markup=False, highlight=False, soft_wrap=True)
        elif error:
            click.echo(f"{path}: {message}", err=True)
        elif message and not self.progress:
            click.echo(f"{path}: {message}")
        if self.progress:
            self.progress.update(self.task, advance=1, description=Path(path).name)

    def close(self) -> None:
        if self.progress:
            self.progress.stop()


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
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
def main(paths: tuple[str, ...], db_path: str, workers: int) -> None:
    """Ingest Ofsted children's services reports (.pdf, .txt, or folders of them) into SQLite.

    With no PATHS, ingests the bundled reports in data/reports/.
    """
    if not paths:
        if not BUNDLED_REPORTS.is_dir():
            raise click.UsageError(f"no PATHS given and no bundled {BUNDLED_REPORTS}/ here")
        paths = (str(BUNDLED_REPORTS),)
    files, problems = collect(paths)
    Path(db_path).parent.mkdir(parents=True, exist_ok=True)
    held = held_checksums(db_path)
    todo, skipped = [], 0
    for path in files:
        try:
            digest = sha256_of(Path(path).read_bytes())
        except OSError:
            todo.append(path)  # the worker reports why it cannot be read
            continue
        if digest in held:
            skipped += 1
        else:
            todo.append(path)
    # Where findings are classified: a single worker would keep the writer waiting half the
    # time, so the writer classifies and the two processes share the work about evenly;
    # several workers keep the writer busy, so they classify. The results are the same.
    # A single file is read here: no process to start.
    readers = Readers(todo, workers, classify=workers > 1) if len(todo) > 1 else None
    reporter = None
    try:
        outcomes = iter(readers) if readers else map(process, todo)

        from .links import LinkKeeper  # the writer's modules, loaded while the workers read
        from .load import holds_file, open_database, record_error, write_document

        db = open_database(db_path)
        from datasette_ofsted.reviews import create_reviews_database

        create_reviews_database(db_path)  # the reviewers' calls, kept apart from what a rebuild replaces
        links = LinkKeeper(db)
        for path, reason in problems:
            click.echo(f"{path}: {reason}", err=True)
            record_error(db, path, reason)
        listed = manifest_for(files)
        reporter = Reporter(len(todo))
        ingested, failed = 0, len(problems)
        for outcome in map(classified, outcomes):
            if outcome.error or outcome.report is None:
                failed += 1
                record_error(db, outcome.path, outcome.error or "unknown error")
                reporter.step(outcome.path, outcome.error, error=True)
                continue
            if holds_file(db, outcome.sha256):  # a byte-identical copy earlier in this batch
                skipped += 1
                reporter.step(outcome.path, "already ingested")
                continue
            report = outcome.report
            authority = authorities()[report.authority_name]
            row = listed.get(str(Path(outcome.path)), {})
            inspection_id = write_document(
                db,
                report,
                authority,
                outcome.path,
                Path(outcome.path).name,
                outcome.sha256,
                row.get("source_url"),
                _listed_date(row.get("published")),
            )
            links.document_written(authority.id, inspection_id)
            ingested += 1
            reporter.step(outcome.path, f"{inspection_id} ({report.inspection_type}, {len(report.findings)} findings)")
    finally:
        if reporter:
            reporter.close()
        if readers:
            readers.close()
    inspections = db["inspections"].count
    findings = db["findings"].count
    click.echo(
        f"{ingested} ingested, {skipped} skipped (already ingested), {failed} failed; "
        f"database {db_path}: {inspections} inspections, {findings} findings"
    )
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
