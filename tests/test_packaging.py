"""The installed wheel: everything a run needs travels with it, and it runs anywhere."""

from __future__ import annotations

import shutil
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

import pytest

from reportgen import __version__

REPOSITORY = Path(__file__).resolve().parent.parent
# What the wheel is built from: the package and the top-level folders it maps in.
SOURCES = ("pyproject.toml", "README.md", "reportgen", "templates", "data")


def _run(*command: str | Path, cwd: Path) -> str:
    result = subprocess.run(
        [str(part) for part in command], cwd=cwd, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr + result.stdout
    return result.stdout


@pytest.mark.slow
def test_the_installed_wheel_makes_the_sample_report_outside_the_repository(
    tmp_path: Path,
) -> None:
    """Build the wheel, install it into a fresh virtual environment, run the sample there.

    To stay fast and work offline, the new environment gets this test environment's
    dependencies through a .pth file naming its site-packages, and the wheel is
    installed with --no-deps: what is tested is the wheel itself (the code, the
    templates, the rules and the bundled sample), not pip's dependency resolution.
    """
    source = tmp_path / "source"
    for name in SOURCES:
        if (REPOSITORY / name).is_dir():
            shutil.copytree(
                REPOSITORY / name,
                source / name,
                ignore=shutil.ignore_patterns("__pycache__", "monthly", "*.egg-info"),
            )
        else:
            source.mkdir(exist_ok=True)
            shutil.copy2(REPOSITORY / name, source / name)
    wheels = tmp_path / "wheels"
    _run(
        sys.executable,
        "-m",
        "pip",
        "wheel",
        "--quiet",
        "--no-deps",
        "--no-build-isolation",
        "--wheel-dir",
        wheels,
        source,
        cwd=tmp_path,
    )
    (wheel,) = wheels.glob("reportgen-*.whl")

    environment = tmp_path / "env"
    venv.create(environment, with_pip=False)
    python = environment / "bin" / "python"
    site_packages = Path(
        _run(
            python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))", cwd=tmp_path
        ).strip()
    )
    (site_packages / "test-dependencies.pth").write_text(sysconfig.get_path("purelib") + "\n")
    _run(
        sys.executable,
        "-m",
        "pip",
        "--python",
        python,
        "install",
        "--quiet",
        "--no-deps",
        wheel,
        cwd=tmp_path,
    )

    work = tmp_path / "elsewhere"
    work.mkdir()
    location = _run(python, "-c", "import reportgen; print(reportgen.__file__)", cwd=work)
    assert Path(location.strip()).is_relative_to(site_packages)
    assert __version__ in _run(environment / "bin" / "reportgen", "--version", cwd=work)
    assert __version__ in _run(python, "-m", "reportgen", "--version", cwd=work)

    written = _run(environment / "bin" / "reportgen", "run", "-o", "report", cwd=work)
    names = {Path(line).name for line in written.splitlines()}
    assert {"report.pdf", "report.html", "segments.csv", "summary.json", "model.json"} <= names
    html = (work / "report" / "report.html").read_text(encoding="utf-8")
    assert "Customer segments: sample mall customers" in html  # the bundled config's title
    assert (work / "report" / "report.pdf").read_bytes().startswith(b"%PDF")

    api = "import reportgen; r = reportgen.segment(pdf=False); print(r.k, r.to_html()[:15])"
    assert _run(python, "-c", api, cwd=work).split() == ["5", "<!DOCTYPE", "html>"]
