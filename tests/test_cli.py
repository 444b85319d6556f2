from __future__ import annotations

import email
import email.policy
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from reportgen import __version__
from reportgen.cli import main
from reportgen.config import SAMPLE_DATA

from .conftest import (
    REFUSED_RECIPIENT,
    SMTP_PASSWORD,
    SMTP_USER,
    Certificate,
    SampleRun,
    SmtpServer,
    blobs,
    free_port,
    write_csv,
)

EMAIL_FILES = (
    "email/message.html",
    "email/message.txt",
    "email/subject.txt",
    "email/segment-map.png",
)


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def test_help_and_version(runner: CliRunner) -> None:
    result = runner.invoke(main, ["--help"])
    assert result.exit_code == 0, result.output
    assert "run" in result.output and "sample" in result.output
    result = runner.invoke(main, ["--version"])
    assert result.exit_code == 0 and __version__ in result.output
    result = runner.invoke(main, ["run", "--help"])
    assert result.exit_code == 0 and "--k-max" in result.output and "--no-pdf" in result.output


def test_python_dash_m_works_and_help_imports_no_heavy_library() -> None:
    code = (
        "import sys, runpy; sys.argv = ['reportgen', '--help']\n"
        "try:\n    runpy.run_module('reportgen', run_name='__main__')\n"
        "except SystemExit:\n    pass\n"
        "heavy = [m for m in ('sklearn', 'matplotlib', 'weasyprint', 'pandas')"
        " if m in sys.modules]\n"
        "print('HEAVY', heavy)\n"
    )
    completed = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert "Usage: reportgen" in completed.stdout
    assert "HEAVY []" in completed.stdout


def test_the_pipeline_leaves_the_later_stages_libraries_to_be_imported_later() -> None:
    """Order lines: scikit-learn, matplotlib and WeasyPrint are imported in a thread while
    DuckDB aggregates (pipeline._importing_ahead), so importing the pipeline must not
    import them first."""
    code = (
        "import sys, reportgen.pipeline\n"
        "print('HEAVY', [m for m in ('sklearn', 'matplotlib', 'seaborn', 'scipy', 'weasyprint')"
        " if m in sys.modules])\n"
    )
    completed = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert "HEAVY []" in completed.stdout


@pytest.mark.parametrize(("setting", "expected"), [(None, "False"), ("1", "True")])
def test_numpy_huge_pages_are_off_unless_the_environment_asks(
    setting: str | None, expected: str
) -> None:
    env = {k: v for k, v in os.environ.items() if k != "NUMPY_MADVISE_HUGEPAGE"}
    if setting:
        env["NUMPY_MADVISE_HUGEPAGE"] = setting
    code = "import reportgen.cli, numpy\nprint(numpy._core.multiarray._get_madvise_hugepage())\n"
    completed = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env
    )
    assert completed.stdout.strip() == expected


def test_run_writes_the_outputs_and_lists_them(runner: CliRunner, tmp_path: Path) -> None:
    table = write_csv(tmp_path / "customers.csv", blobs(3))
    out = tmp_path / "out"
    result = runner.invoke(main, ["run", str(table), "-o", str(out), "--no-pdf", "-q"])
    assert result.exit_code == 0, result.output
    listed = result.stdout.split()
    names = ("report.html", "segments.csv", "summary.json", "model.json", *EMAIL_FILES)
    assert listed == [str(out / name) for name in names]
    assert all(Path(path).stat().st_size > 0 for path in listed)
    assert not (out / "report.pdf").exists()
    assert result.stderr == ""


def test_progress_goes_to_stderr(runner: CliRunner, tmp_path: Path) -> None:
    table = write_csv(tmp_path / "customers.csv", blobs(3))
    result = runner.invoke(main, ["run", str(table), "-o", str(tmp_path / "o"), "--no-pdf", "-v"])
    assert result.exit_code == 0, result.output
    assert "Choosing the number of segments" in result.stderr
    assert "Choosing the number of segments took" in result.stderr
    assert "Choosing" not in result.stdout


def test_no_progress_when_stderr_is_not_a_terminal(runner: CliRunner, tmp_path: Path) -> None:
    table = write_csv(tmp_path / "customers.csv", blobs(3))
    result = runner.invoke(main, ["run", str(table), "-o", str(tmp_path / "o"), "--no-pdf"])
    assert result.exit_code == 0, result.output
    assert result.stderr == ""


def test_forced_k_and_feature_options(runner: CliRunner, tmp_path: Path) -> None:
    frame = blobs(3).assign(Region=lambda f: ["North", "South"] * (len(f) // 2))
    table = write_csv(tmp_path / "c.csv", frame)
    out = tmp_path / "out"
    result = runner.invoke(
        main,
        [
            "run",
            str(table),
            "-o",
            str(out),
            "--no-pdf",
            "-q",
            "-k",
            "4",
            "--feature",
            "Income",
            "--feature",
            "Spending",
        ],
    )
    assert result.exit_code == 0, result.output
    segments = pd.read_csv(out / "segments.csv")
    assert sorted(segments["segment"].unique()) == [1, 2, 3, 4]


BAD_RUNS = [
    # (arguments after the table, table content or None for a missing file, exit code, message)
    ([], None, 1, "does not exist"),
    ([], b"", 1, "is empty"),
    (["--feature", "Incme"], "ok", 2, "--feature names column 'Incme'.*Did you mean 'Income'"),
    (["--feature", "income"], "ok", 2, "Did you mean 'Income'"),
    (["--feature", "Income", "Spending"], "ok", 2, "extra argument.*--feature A --feature B"),
    (["--feature", "City"], "ok", 2, r"\(City\) are all categories"),
    (["--feature", "Income", "--feature", "City"], "ok", 1, "'City' has the same value"),
    (["--feature", "Name"], "ok", 2, "'Name', which is an identifier"),
    (["-k", "30"], "tiny", 1, "30 segments were asked for, but there are only 6 customers"),
    (["--k-max", "1"], "ok", 2, "Invalid value for '--k-max'"),
    (["--k-max", "2"], "ok", 2, r"k_min \(3\) is larger than k_max \(2\)"),
    (["--config", "CONFIG"], "ok", 2, "Unknown key 'colour'"),
]


@pytest.mark.parametrize(("args", "content", "code", "message"), BAD_RUNS)
def test_bad_input_is_one_clear_line_and_leaves_the_old_report(
    runner: CliRunner, tmp_path: Path, args: list[str], content: object, code: int, message: str
) -> None:
    import re

    table = tmp_path / "customers.csv"
    if content == "ok":
        write_csv(
            table,
            blobs(3).assign(City="Paris", Name=lambda f: f["CustomerID"].map("Ann {}".format)),
        )
    elif content == "tiny":
        write_csv(table, blobs(3, per_blob=2))
    elif isinstance(content, bytes):
        table.write_bytes(content)
    config = tmp_path / "c.toml"
    config.write_text("colour = 'blue'\n")
    out = tmp_path / "out"
    out.mkdir()
    (out / "report.html").write_text("last month's report")
    arguments = ["run", str(table), "-o", str(out), "--no-pdf"]
    arguments += [str(config) if arg == "CONFIG" else arg for arg in args]

    result = runner.invoke(main, arguments)

    assert result.exit_code == code, result.output
    assert re.search(message, result.output), result.output
    assert "Traceback" not in result.output
    error_lines = [line for line in result.stderr.splitlines() if line.startswith("Error")]
    assert len(error_lines) == 1, result.stderr
    assert [p.name for p in out.iterdir()] == ["report.html"]
    assert (out / "report.html").read_text() == "last month's report"


def test_sample_command_is_deterministic(runner: CliRunner, tmp_path: Path) -> None:
    first, second = tmp_path / "a.csv", tmp_path / "b.csv"
    for path in (first, second):
        result = runner.invoke(main, ["sample", "-o", str(path), "-n", "120"])
        assert result.exit_code == 0, result.output
    assert first.read_bytes() == second.read_bytes()
    assert len(pd.read_csv(first)) > 120  # the planted duplicate rows


@pytest.mark.parametrize("orders", [[], ["--orders"]])
def test_sample_to_an_unwritable_place_is_one_error_line(
    runner: CliRunner, tmp_path: Path, orders: list[str]
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    result = runner.invoke(main, ["sample", *orders, "-o", str(blocker / "x.csv")])
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output and "internal error" not in result.output
    assert (
        f"Error: Cannot write {blocker / 'x.csv'}: part of that path is a file, not a folder"
        in result.output
    )


def test_init_to_an_unwritable_place_is_one_error_line(runner: CliRunner, tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    result = runner.invoke(main, ["init", str(SAMPLE_DATA), "-o", str(blocker / "c.toml")])
    assert result.exit_code == 1, result.output
    assert (
        f"Error: Cannot write {blocker / 'c.toml'}: part of that path is a file, not a folder"
        in result.output
    )


# --- reportgen email / run --email ------------------------------------------------------


ADDRESSED = ("--to", "a@example.com", "--from", "b@example.com")


def local_server(port: int) -> list[str]:
    return ["--smtp-host", "127.0.0.1", "--smtp-port", str(port)]


def one_error_line(result) -> str:
    assert "Traceback" not in result.output
    [line] = [line for line in result.stderr.splitlines() if line.startswith("Error")]
    return line


@pytest.fixture
def report_dir(sample_run: SampleRun, tmp_path: Path) -> Path:
    """A copy of the sample report, so a test may write message.eml into it."""
    import shutil

    return Path(shutil.copytree(sample_run.output_dir, tmp_path / "report"))


def test_email_sends_the_report(
    runner: CliRunner, report_dir: Path, smtp_server: Callable[..., SmtpServer]
) -> None:
    server = smtp_server()
    result = runner.invoke(
        main,
        [
            "email",
            str(report_dir),
            "--to",
            "list@example.com",
            "--cc",
            "boss@example.com",
            "--from",
            "reports@example.com",
            *local_server(server.port),
            "-v",  # progress shows on a terminal or with -v
        ],
    )
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert f"Sending to 2 recipients via 127.0.0.1:{server.port}" in result.stderr
    [received] = server.received
    assert received.recipients == ["list@example.com", "boss@example.com"]
    message = email.message_from_bytes(received.data, policy=email.policy.default)
    pdf = next(message.iter_attachments())  # type: ignore[attr-defined]
    assert pdf.get_content() == (report_dir / "report.pdf").read_bytes()


def test_email_dry_run_writes_an_eml_file_and_sends_nothing(
    runner: CliRunner, report_dir: Path
) -> None:
    result = runner.invoke(
        main,
        ["email", str(report_dir), *ADDRESSED, "--dry-run", *local_server(free_port())],
    )
    assert result.exit_code == 0, result.output
    assert result.stdout == f"{report_dir / 'email' / 'message.eml'}\n"
    message = email.message_from_bytes(
        (report_dir / "email" / "message.eml").read_bytes(), policy=email.policy.default
    )
    assert message["To"] == "a@example.com" and message.is_multipart()


def test_email_settings_come_from_the_config_and_options_win(
    runner: CliRunner,
    report_dir: Path,
    tmp_path: Path,
    smtp_server: Callable[..., SmtpServer],
    certificate: Certificate,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    server = smtp_server("starttls")
    config = tmp_path / "monthly.toml"
    config.write_text(
        "[email]\n"
        'to = ["marketing@example.com"]\n'
        'from = "reports@example.com"\n'
        'subject = "Monthly segments"\n'
        f'smtp_host = "127.0.0.1"\nsmtp_port = {server.port}\n'
        f'security = "starttls"\nuser = "{SMTP_USER}"\n'
    )
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate.authority))
    monkeypatch.setenv("REPORTGEN_SMTP_PASSWORD", SMTP_PASSWORD)
    result = runner.invoke(
        main, ["email", str(report_dir), "--config", str(config), "--to", "ceo@example.com"]
    )
    assert result.exit_code == 0, result.output
    [received] = server.received
    assert received.recipients == ["ceo@example.com"] and received.login == SMTP_USER
    assert SMTP_PASSWORD not in result.output


EMAIL_FAILURES = [
    # (extra arguments, server kind or None for a closed port, exit code, message)
    (
        ["--to", REFUSED_RECIPIENT, "--to", "ok@example.com"],
        "none",
        1,
        rf"Sent to 1 of 2 recipients; .* refused {REFUSED_RECIPIENT} \(550 ",
    ),
    (["--to", REFUSED_RECIPIENT], "none", 1, "refused every recipient"),
    (["--to", "ok@example.com"], None, 1, "Cannot reach the SMTP server 127.0.0.1:"),
    (
        ["--to", "ok@example.com", "--starttls", "--user", SMTP_USER],
        "starttls",
        1,
        f"refused the login of {SMTP_USER}: 535",
    ),
    (
        ["--to", "ok@example.com", "--user", SMTP_USER, "--smtp-host", "smtp.example.com"],
        None,
        2,
        "without TLS would send the password in clear",
    ),
    (["--to", "ok@example.com", "--starttls", "--ssl"], None, 2, "Choose one of --starttls"),
    (["--to", "not an address"], None, 2, "is not one email address"),
    ([], None, 2, "No recipient: give --to"),
    (["--to", "ok@example.com", "--password", "x"], None, 2, "No such option '--password'"),
]


@pytest.mark.parametrize(("args", "server_kind", "code", "message"), EMAIL_FAILURES)
def test_email_failures_are_one_clear_line(
    runner: CliRunner,
    report_dir: Path,
    smtp_server: Callable[..., SmtpServer],
    certificate: Certificate,
    monkeypatch: pytest.MonkeyPatch,
    args: list[str],
    server_kind: str | None,
    code: int,
    message: str,
) -> None:
    import re

    port = smtp_server(server_kind).port if server_kind else free_port()
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate.authority))
    monkeypatch.setenv("REPORTGEN_SMTP_PASSWORD", "wrong password")
    arguments = ["email", str(report_dir), "--from", "reports@example.com"]
    arguments += ["--smtp-host", "127.0.0.1", "--smtp-port", str(port), *args]

    result = runner.invoke(main, arguments)

    assert result.exit_code == code, result.output
    assert re.search(message, one_error_line(result)), result.output
    assert "wrong password" not in result.output


def test_email_without_a_report_names_the_missing_files(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(
        main, ["email", str(tmp_path), "--to", "a@example.com", "--from", "b@example.com"]
    )
    assert result.exit_code == 1, result.output
    assert "has no email/message.html, email/message.txt" in one_error_line(result)


def test_email_login_without_the_password_variable_fails_before_connecting(
    runner: CliRunner, report_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("REPORTGEN_SMTP_PASSWORD", raising=False)
    result = runner.invoke(
        main,
        ["email", str(report_dir), *ADDRESSED, "--user", "me", *local_server(free_port())],
    )
    assert result.exit_code == 1, result.output
    assert "REPORTGEN_SMTP_PASSWORD" in one_error_line(result)


def test_run_with_email_makes_the_report_and_sends_it(
    runner: CliRunner, tmp_path: Path, smtp_server: Callable[..., SmtpServer]
) -> None:
    server = smtp_server()
    write_csv(tmp_path / "customers.csv", blobs(3, per_blob=20))
    config = tmp_path / "monthly.toml"
    config.write_text(
        f'input = "customers.csv"\noutput_dir = "out"\n\n[email]\nto = ["list@example.com"]\n'
        f'from = "reports@example.com"\nsmtp_host = "127.0.0.1"\nsmtp_port = {server.port}\n'
    )
    out = tmp_path / "out"
    # One recipient more, that the server refuses: the run still delivers to the list,
    # and says that the report was written but the email did not reach everyone.
    arguments = ["run", "--config", str(config), "--email", "-q"]
    result = runner.invoke(
        main, [*arguments, "--to", "list@example.com", "--to", REFUSED_RECIPIENT]
    )

    assert result.exit_code == 1, result.output
    assert str(out / "report.pdf") in result.stdout.split()
    assert one_error_line(result).startswith(
        f"Error: The report is in {out}, but emailing it failed: Sent to 1 of 2 recipients;"
    )
    [received] = server.received
    assert received.recipients == ["list@example.com"]
    message = email.message_from_bytes(received.data, policy=email.policy.default)
    pdf = next(message.iter_attachments())  # type: ignore[attr-defined]
    assert pdf.get_content() == (out / "report.pdf").read_bytes()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--to", "a@example.com"], "--to is an email option: add --email"),
        (["--email", "--no-pdf"], "--email sends report.pdf: drop --no-pdf"),
        (["--email", "--from", "b@example.com"], "No recipient"),
    ],
)
def test_run_email_mistakes_are_refused_before_the_run(
    runner: CliRunner, tmp_path: Path, args: list[str], message: str
) -> None:
    table = write_csv(tmp_path / "customers.csv", blobs(3))
    result = runner.invoke(main, ["run", str(table), "-o", str(tmp_path / "out"), *args])
    assert result.exit_code == 2, result.output
    assert message in one_error_line(result)
    assert not (tmp_path / "out").exists()
