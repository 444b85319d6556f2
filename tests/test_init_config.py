from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from click.testing import CliRunner

from reportgen.cleaning import clean_table
from reportgen.cli import main
from reportgen.loading import load_table
from reportgen.settings import resolve_settings

from .conftest import write_csv
from .tables import NAIVE_BAYES, bank_churners, churn_table


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def test_init_prints_a_commented_config_with_every_column_and_its_reason(
    tmp_path: Path, runner: CliRunner
) -> None:
    path = write_csv(tmp_path / "bank.csv", bank_churners(300))
    result = runner.invoke(main, ["init", str(path)])
    assert result.exit_code == 0, result.output
    config = tomllib.loads(result.output)
    assert config["id_column"] == "CLIENTNUM"
    assert config["outcomes"] == ["Attrition_Flag"]
    assert set(config["ignore"]) == {NAIVE_BAYES + "1", NAIVE_BAYES + "2"}
    assert "Avg_Open_To_Buy" in config["profile"]
    assert "Credit_Limit" in config["features"]
    assert config["columns"] == list(bank_churners(3).columns)
    assert config["labels"]["Credit_Limit"] == "credit limit"
    for column in bank_churners(3).columns:
        assert f"#   {column}" in result.output
    assert "#   Avg_Open_To_Buy - description only: a measure; measures much the same" in (
        result.output
    )
    assert "named like a model's output" in result.output


def test_a_config_from_init_gives_the_same_choice_as_no_config(tmp_path: Path, runner) -> None:
    path = write_csv(tmp_path / "churn.csv", churn_table(300))
    config = tmp_path / "churn.toml"
    result = runner.invoke(main, ["init", str(path), "-o", str(config)])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == str(config)
    assert tomllib.loads(config.read_text())["input"] == "churn.csv"  # beside the config
    table = load_table(path)
    automatic = clean_table(table, resolve_settings(path, None, {}))
    configured = clean_table(table, resolve_settings(None, config, {}))
    assert configured.feature_columns == automatic.feature_columns == ("tenure", "MonthlyCharges")
    assert configured.profile_columns == automatic.profile_columns
    assert configured.outcomes == automatic.outcomes
    assert configured.id_column == "customerID"


def test_init_again_on_a_later_export_reports_columns_that_came_and_went(
    tmp_path: Path, runner: CliRunner
) -> None:
    first = write_csv(tmp_path / "oct.csv", churn_table(300))
    config = tmp_path / "churn.toml"
    assert runner.invoke(main, ["init", str(first), "-o", str(config)]).exit_code == 0
    written = config.read_text()
    same = runner.invoke(main, ["init", str(first), "-o", str(config)])
    assert same.exit_code == 0, same.output
    assert "The columns are the same" in same.output
    later = churn_table(300).drop(columns=["gender"]).assign(Complaints=[0, 1, 2] * 100)
    second = write_csv(tmp_path / "nov.csv", later)
    result = runner.invoke(main, ["init", str(second), "-o", str(config)])
    assert result.exit_code == 0, result.output
    assert "New column 'Complaints': would be description only" in result.output
    assert "Column 'gender' is gone" in result.output
    assert "was kept; rerun with --force" in result.output
    assert config.read_text() == written
    forced = runner.invoke(main, ["init", str(second), "-o", str(config), "--force"])
    assert forced.exit_code == 0, forced.output
    assert "Complaints" in tomllib.loads(config.read_text())["columns"]


def test_run_notes_columns_that_changed_since_the_config(tmp_path: Path, runner) -> None:
    first = write_csv(tmp_path / "oct.csv", churn_table(300))
    config = tmp_path / "churn.toml"
    assert runner.invoke(main, ["init", str(first), "-o", str(config)]).exit_code == 0
    later = write_csv(tmp_path / "nov.csv", churn_table(300).assign(Complaints=[0, 1] * 150))
    clean = clean_table(load_table(later), resolve_settings(later, config, {}))
    assert any("New since the config was written: Complaints" in n for n in clean.quality.notes)


def test_init_on_a_missing_file_is_one_error_line(tmp_path: Path, runner: CliRunner) -> None:
    result = runner.invoke(main, ["init", str(tmp_path / "nope.csv")])
    assert result.exit_code == 1
    assert result.output.startswith("Error: ") and "nope.csv" in result.output
    assert "Traceback" not in result.output


def test_monthly_run_survives_an_ignored_or_labelled_column_disappearing(
    tmp_path: Path, runner: CliRunner
) -> None:
    first = write_csv(tmp_path / "oct.csv", churn_table(300))
    config = tmp_path / "churn.toml"
    assert runner.invoke(main, ["init", str(first), "-o", str(config)]).exit_code == 0
    text = config.read_text()
    assert "gender" in tomllib.loads(text)["columns"]
    # Contract ignored, gender profiled and labelled: next month's export has neither.
    config.write_text(
        text.replace('  "Contract",\n', "").replace("ignore = []", 'ignore = ["Contract"]')
    )
    later = churn_table(300).drop(columns=["gender", "Contract"])
    second = write_csv(tmp_path / "nov.csv", later)
    clean = clean_table(load_table(second), resolve_settings(second, config, {}))
    assert clean.feature_columns == ("tenure", "MonthlyCharges")
    assert "gender" not in clean.profile_columns
    assert any(
        "Gone since the config was written: gender, Contract. The config's ignore "
        "(Contract) and profile (gender) and labels (gender, Contract) entries" in note
        for note in clean.quality.notes
    ), clean.quality.notes
    # A name that was never in the table is still a typo, refused.
    config.write_text(config.read_text().replace('ignore = ["Contract"]', 'ignore = ["Contrakt"]'))
    output = tmp_path / "out"
    result = runner.invoke(main, ["run", str(second), "--config", str(config), "-o", str(output)])
    assert result.exit_code == 2, result.output
    assert "'ignore' in churn.toml names column 'Contrakt'" in result.output
