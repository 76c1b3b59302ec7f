"""The package as a user installs it: the sdist and the wheel built from it, each installed without -e in a
fresh venv, run (`ofsted-ingest --version`, an ingest) and served, every registered route answering
200 (or its redirect) when allowed and 403 when not. CI runs this on both Datasette lines.

Fast enough for every CI run: the fresh venvs have no pip and no dependencies of their own; the
dependencies (Datasette, whichever line this suite runs on) come from this interpreter's
site-packages, added after the venv's own by a .pth line, so the package under test is the
installed one and never this checkout (nothing runs from the checkout's folder, and the editable
install's finder is not loaded: a .pth line adds a folder without processing the .pth files in it).
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import site
import subprocess
import sys
import tarfile
import urllib.error
import urllib.request
import zipfile
from pathlib import Path

import pytest
from conftest import REPORTS, ROOT, datasette_server
from datasette.app import Datasette

from datasette_ofsted import __version__
from datasette_ofsted.routes import INSTANCE, READ_REVIEWS, REVIEW, ROUTES, VIEW

# What the package must carry beyond its modules: a wheel without them installs, then fails on first use.
PACKAGE_DATA = [
    "datasette_ofsted/views/__init__.py",
    "datasette_ofsted/views/document.py",
    "datasette_ofsted/routes.py",
    "datasette_ofsted/templates/ofsted_compare.html",
    "datasette_ofsted/static/ofsted.css",
    "datasette_ofsted/themes.json",
    "datasette_ofsted/decision.json",  # the fitted decision: without it no comparison can be made
    "datasette_ofsted/queries.yml",
    "datasette_ofsted/py.typed",
    "ingest/la_lookup.csv",
    "ingest/cli.py",
]
# What the source tree holds that a package does not: copied past, so that the build sees no venv or data.
NOT_SOURCE = shutil.ignore_patterns(".git", ".venv*", "data", "build", "dist", "*.egg-info", "__pycache__", "docs")
# The reports the served database is built from by the installed ofsted-ingest: Sutton's three text reports
# (the example comparison) and Stockport's 2017 PDF (the example document), with the bundled MANIFEST.csv.
REPORTS_USED = ["002_ac07fc03e2f7f600.txt", "003_6185718e885c3be8.txt", "000_aacd069290608c33.txt", "2755292.pdf"]
SECRET = "packaging-test-secret"
# How long building the sdist and its wheel may take (two isolated builds, setuptools from pip's cache).
BUILD_SECONDS = 300

needs_build = pytest.mark.skipif(
    importlib.util.find_spec("build") is None, reason="the `build` package (the test extra) is not installed"
)


@pytest.fixture(scope="module")
def dist(tmp_path_factory) -> dict[str, Path]:
    """The sdist, and the wheel built from it, as `python -m build` makes them from a copy of the source."""
    work = tmp_path_factory.mktemp("build")
    source = work / "source"
    shutil.copytree(ROOT, source, ignore=NOT_SOURCE)
    out = work / "dist"
    result = subprocess.run(
        [sys.executable, "-m", "build", "--outdir", str(out), str(source)],
        capture_output=True,
        text=True,
        timeout=BUILD_SECONDS,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    [sdist] = out.glob("*.tar.gz")
    [wheel] = out.glob("*.whl")
    return {"sdist": sdist, "wheel": wheel}


@needs_build
def test_the_wheel_and_the_sdist_carry_every_module_and_file(dist):
    with zipfile.ZipFile(dist["wheel"]) as wheel:
        names = set(wheel.namelist())
    missing = [path for path in PACKAGE_DATA if path not in names]
    assert not missing, f"the wheel lacks {missing}"
    assert any(n.endswith("entry_points.txt") for n in names)
    with tarfile.open(dist["sdist"]) as sdist:
        members = {m.name.split("/", 1)[1] for m in sdist.getmembers() if "/" in m.name}
    assert not [path for path in PACKAGE_DATA if path not in members]
    assert dist["wheel"].name.startswith(f"datasette_ofsted-{__version__}-")


def fresh_venv(folder: Path, artefact: Path) -> Path:
    """A new venv with `artefact` installed in it (no -e, no dependencies), this interpreter's
    site-packages after its own; its python."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(folder)], check=True, timeout=60)
    python = folder / "bin" / "python"
    installed = subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "-q", "--no-deps", str(artefact)],
        capture_output=True,
        text=True,
        timeout=BUILD_SECONDS,
    )
    assert installed.returncode == 0, installed.stderr[-3000:]
    purelib = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    (Path(purelib) / "zz_dependencies.pth").write_text("\n".join(site.getsitepackages()) + "\n", encoding="utf-8")
    return python


def get(url: str, cookies: str = "", method: str = "GET") -> tuple[int, bytes]:
    request = urllib.request.Request(url, method=method, headers={"cookie": cookies} if cookies else {})
    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(request, timeout=30) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


@needs_build
@pytest.mark.parametrize("kind", ["wheel", "sdist"])
def test_installed_from_the_package_it_ingests_and_serves_every_route(dist, kind, tmp_path):
    python = fresh_venv(tmp_path / "venv", dist[kind])
    env = {**os.environ, "DATASETTE_SECRET": SECRET, "OFSTED_REVIEWERS": "id: [alice]"}
    env.pop("PYTHONPATH", None)
    where = subprocess.run(
        [
            str(python),
            "-c",
            "import datasette_ofsted.views.document as d, datasette_ofsted as p; print(d.__file__, p.__version__)",
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
    )
    assert where.returncode == 0, where.stderr
    module_file, version = where.stdout.split()
    assert Path(module_file).is_relative_to(tmp_path / "venv") and version == __version__

    ingest = tmp_path / "venv" / "bin" / "ofsted-ingest"
    shown = subprocess.run([str(ingest), "--version"], capture_output=True, text=True, cwd=tmp_path, env=env)
    assert shown.returncode == 0 and __version__ in shown.stdout, shown.stdout + shown.stderr
    reports = tmp_path / "reports"
    reports.mkdir()
    for name in [*REPORTS_USED, "MANIFEST.csv"]:
        shutil.copy(REPORTS / name, reports / name)
    db = tmp_path / "ofsted.db"
    loaded = subprocess.run(
        [str(ingest), str(reports), "--db", str(db), "--workers", "1", "--quiet"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        timeout=300,
    )
    assert loaded.returncode == 0, loaded.stdout + loaded.stderr
    metadata = tmp_path / "metadata.json"
    metadata.write_text(
        json.dumps({"plugins": {"datasette-ofsted": {"reviewers": {"$env": "OFSTED_REVIEWERS"}}}}), encoding="utf-8"
    )
    alice = "ds_actor=" + Datasette(secret=SECRET).sign({"a": {"id": "alice"}}, "actor")
    arguments = ["-i", str(db), str(tmp_path / "ofsted_reviews.db"), "-m", str(metadata)]
    with datasette_server(*arguments, python=str(python), cwd=tmp_path, env=env) as base:
        status, body = get(base + "/-/plugins.json")
        [plugin] = [p for p in json.loads(body) if p["name"] == "datasette-ofsted"]
        assert plugin["version"] == __version__ and plugin["templates"] and plugin["static"]
        assert get(base + "/-/static-plugins/datasette-ofsted/ofsted.css")[0] == 200
        answered = {}
        for route in ROUTES:
            for path in route.examples():
                anonymous = get(base + path, method=route.method)[0]
                reviewer = get(base + path, cookies=alice, method=route.method)[0]
                answered[path] = (anonymous, reviewer)
                if route.permission in (INSTANCE, VIEW):
                    assert anonymous == reviewer == route.status, (path, anonymous, reviewer)
                elif route.permission == READ_REVIEWS:
                    assert (anonymous, reviewer) == (403, 200), path
                else:
                    assert route.permission == REVIEW and anonymous == 403, path
        assert len(answered) >= len(ROUTES)
        status, body = get(base + "/-/ofsted/document/stockport-2017-06-12-report.pdf")
        assert body.startswith(b"%PDF")
        assert get(base + "/-/ofsted/document/nothing-2017-06-12-report.pdf")[0] == 404


@needs_build
def test_the_publishing_recipe_s_docker_context_installs_the_wheel(dist, tmp_path, bundled_db):
    """What `datasette publish cloudrun ... --static wheels:wheels --install wheels/<wheel>` (README) hands to
    Docker: no Docker daemon here, so the build context is made as Datasette makes it and read. That the
    wheel installs and serves is the test above; the RUN and CMD lines here are the ones it follows."""
    from datasette.utils import temporary_docker_directory

    wheels = tmp_path / "wheels"
    wheels.mkdir()
    shutil.copy(dist["wheel"], wheels)
    shutil.copy(bundled_db, tmp_path / "ofsted.db")
    install = f"wheels/{dist['wheel'].name}"
    os.chdir(tmp_path)
    try:
        with open(ROOT / "metadata.yml", encoding="utf-8") as metadata:
            context = temporary_docker_directory(
                ["ofsted.db"], "ofsted", metadata, None, None, None, None,
                [("wheels", str(wheels))], [install, "datasette-vega"], False, None, None,
            )  # fmt: skip
            with context as folder:
                dockerfile = (Path(folder) / "Dockerfile").read_text(encoding="utf-8")
                assert (Path(folder) / install).is_file() and (Path(folder) / "ofsted.db").is_file()
                published = json.loads((Path(folder) / "metadata.json").read_text(encoding="utf-8"))
    finally:
        os.chdir(ROOT)
    run = next(line for line in dockerfile.splitlines() if line.startswith("RUN pip install"))
    assert install in run.split() and "datasette-vega" in run.split()
    assert dockerfile.index("COPY . /app") < dockerfile.index(run)  # the wheel is in the image before pip runs
    assert "--static wheels:wheels" in dockerfile and "-i ofsted.db" in dockerfile
    assert published["about_url"] == "/-/ofsted/about"
