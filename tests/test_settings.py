from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from reportgen.config import SAMPLE_CONFIG, SAMPLE_DATA
from reportgen.errors import SettingsError
from reportgen.settings import (
    OPTION_NAMES,
    EmailSettings,
    Settings,
    read_config,
    read_email_config,
    resolve_email_settings,
    resolve_settings,
)


def test_no_input_and_no_config_runs_the_bundled_sample() -> None:
    settings = resolve_settings(None, None, {})
    assert settings.input_path == SAMPLE_DATA
    assert settings.features == ("Annual Income (k$)", "Spending Score (1-100)")


def test_options_win_over_the_config() -> None:
    settings = resolve_settings(None, SAMPLE_CONFIG, {"k_max": 6, "title": None})
    assert settings.k_max == 6
    assert settings.title == "Customer segments: sample mall customers"


def test_paths_in_the_config_are_relative_to_it(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    config = tmp_path / "sub" / "c.toml"
    config.write_text('input = "data.csv"\nrules = "../rules.toml"\n')
    values = read_config(config)
    assert values["input_path"] == tmp_path / "sub" / "data.csv"
    assert values["rules_path"] == tmp_path / "rules.toml"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("colour = 3", "Unknown key 'colour'"),
        ('k_max = "ten"', "'k_max' .* must be a whole number"),
        ("k_max = true", "'k_max' .* must be a whole number"),
        ('features = "Income"', "'features' .* must be a list"),
        ("features = [1, 2]", "must list column names"),
        ("this is not toml", "not valid TOML"),
    ],
)
def test_bad_config_is_refused_naming_the_key(tmp_path: Path, text: str, message: str) -> None:
    config = tmp_path / "c.toml"
    config.write_text(text)
    with pytest.raises(SettingsError, match=message):
        read_config(config)


def test_config_without_input_needs_one(tmp_path: Path) -> None:
    config = tmp_path / "c.toml"
    config.write_text("k_max = 5\n")
    with pytest.raises(SettingsError, match="No input table"):
        resolve_settings(None, config, {})


def test_the_range_of_k_is_3_to_8_by_default_and_can_be_set(tmp_path: Path) -> None:
    settings = resolve_settings(tmp_path / "x.csv", None, {})
    assert (settings.k_min, settings.k_max) == (3, 8)
    config = tmp_path / "c.toml"
    config.write_text('input = "x.csv"\nk_min = 2\nk_max = 5\n')
    configured = resolve_settings(None, config, {})
    assert (configured.k_min, configured.k_max) == (2, 5)
    with pytest.raises(
        SettingsError, match=r"k_min \(3\) is larger than k_max \(2\).*--k-min to 2"
    ):
        resolve_settings(tmp_path / "x.csv", None, {"k_max": 2})
    with pytest.raises(SettingsError, match="k_min must be between 2 and 30, not 1"):
        resolve_settings(tmp_path / "x.csv", None, {"k_min": 1})


def test_impossible_values_are_refused(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="k_max"):
        resolve_settings(tmp_path / "x.csv", None, {"k_max": 1})
    with pytest.raises(SettingsError, match="both a feature and a profile"):
        resolve_settings(tmp_path / "x.csv", None, {"features": ("A",), "profile": ("A",)})


EMAIL_CONFIG = """
input = "customers.csv"

[email]
to = ["Marketing <marketing@example.com>"]
cc = ["analyst@example.com"]
from = "reports@example.com"
subject = "Monthly segments"
smtp_host = "smtp.example.com"
smtp_port = 2525
security = "starttls"
user = "reports"
"""


def test_the_email_table_gives_email_settings_and_options_win(tmp_path: Path) -> None:
    config = tmp_path / "c.toml"
    config.write_text(EMAIL_CONFIG)
    assert "email" not in read_config(config) and "to" not in read_config(config)
    assert read_email_config(config)["sender"] == "reports@example.com"
    settings = resolve_email_settings(config, {"to": ("ceo@example.com",), "cc": (), "user": None})
    assert settings == EmailSettings(
        to=("ceo@example.com",),
        cc=("analyst@example.com",),
        sender="reports@example.com",
        subject="Monthly segments",
        smtp_host="smtp.example.com",
        smtp_port=2525,
        security="starttls",
        user="reports",
    )
    assert resolve_email_settings(None, {"to": ("a@example.com",)}).smtp_host == "localhost"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[email]\nreply_to = "x@example.com"', "Unknown key 'reply_to' in the \\[email\\] table"),
        ('[email]\nto = "a@example.com"', "'email.to' .* must be a list"),
        ("[email]\nto = [1]", "must list email addresses"),
        ('[email]\nsmtp_port = "25"', "'email.smtp_port' .* must be a whole number"),
        ('email = "a@example.com"', "must be a table"),
        ('[mail]\nto = ["a@example.com"]', "Unknown key 'mail'"),
    ],
)
def test_bad_email_table_is_refused_by_every_command(
    tmp_path: Path, text: str, message: str
) -> None:
    config = tmp_path / "c.toml"
    config.write_text(text)
    with pytest.raises(SettingsError, match=message):
        read_config(config)
    if not text.startswith("[mail]"):
        with pytest.raises(SettingsError, match=message):
            read_email_config(config)


def test_one_type_check_speaks_toml_to_config_files_and_python_to_callers():
    from reportgen.settings import type_problem

    assert type_problem(True, int) == "a whole number"  # bool is not a number of segments
    assert type_problem(True, bool, python=True) is None
    assert type_problem(1, bool) == "true or false"
    assert type_problem(1, bool, python=True) == "True or False"
    assert type_problem(["a", 1], list) is None
    assert type_problem(["a", 1], list, python=True, items=True) == (
        "a column name or a list of them"
    )


def test_messages_name_a_setting_as_the_user_gave_it(tmp_path: Path) -> None:
    config = tmp_path / "shop.toml"
    config.write_text('input = "x.csv"\nfeatures = ["Spend"]\n')
    from_config = resolve_settings(None, config, {"k_max": 5})
    assert from_config.named("features") == "'features' in shop.toml"
    assert from_config.named("k_max") == "--k-max"  # given as an option, over the config
    # Never given: named where the user keeps settings, the config file.
    assert from_config.named("previous_dir") == "'previous' in shop.toml"
    command = resolve_settings(tmp_path / "x.csv", None, {"features": ("Spend",)})
    assert command.named("features") == "--feature"
    assert command.named("id_column") == "'id_column' in the config file"  # no option
    python = resolve_settings(tmp_path / "x.csv", None, {"clusters": 4}, interface="python")
    assert (python.named("clusters"), python.named("features")) == ("k=", "features=")
    with pytest.raises(SettingsError, match=r"lower 'k_min' in shop.toml to 4 or raise --k-max"):
        config.write_text('input = "x.csv"\nk_min = 5\n')
        resolve_settings(None, config, {"k_max": 4})


def test_every_option_name_is_an_option_of_run() -> None:
    from reportgen.cli import run

    spelled = {option for parameter in run.params for option in parameter.opts}
    assert set(OPTION_NAMES.values()) <= spelled
    assert set(OPTION_NAMES) <= {f.name for f in dataclasses.fields(Settings)}
