"""config.toml → frozen Settings: unknown keys named, environment overrides, cross-references checked."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from hub.settings import Settings, SettingsError

REPO = Path(__file__).resolve().parents[2]


def test_the_repository_config_loads() -> None:
    settings = Settings.from_toml(REPO / "config.toml", environ={})

    assert settings.hub.port == 8080
    assert settings.hub.database_url == "sqlite:///hub.db"
    assert [s.id for s in settings.ocpp.stations] == ["CP001", "CP002"]
    assert settings.resolve(settings.tariffs[0].file).is_file()


def test_unknown_key_stops_start_up_naming_it(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[hub]\nname = "x"\ndatabse_url = "sqlite:///x.db"\n', encoding="utf-8")

    with pytest.raises(SettingsError, match=r"unknown key 'hub\.databse_url'"):
        Settings.from_toml(config, environ={})


def test_misspelt_key_in_a_station_is_named(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[[ocpp.stations]]\nid = "CP1"\nparty = "NL*CPO"\npasword = "x"\n', encoding="utf-8")

    with pytest.raises(SettingsError, match=r"unknown key 'ocpp\.stations\.0\.pasword'"):
        Settings.from_toml(config, environ={})


def test_invalid_toml_is_reported_with_the_file_name(tmp_path: Path) -> None:
    config = tmp_path / "broken.toml"
    config.write_text("[hub\n", encoding="utf-8")

    with pytest.raises(SettingsError, match=r"broken\.toml: not valid TOML"):
        Settings.from_toml(config, environ={})


def test_environment_overrides_database_url_and_station_password() -> None:
    settings = Settings.from_toml(
        REPO / "config.toml",
        environ={
            "HUB_DATABASE_URL": "postgresql://hub@db/hub",
            "HUB_STATION_PASSWORD_CP001": "from-the-env-0123",
        },
    )

    assert settings.hub.database_url == "postgresql://hub@db/hub"
    assert settings.ocpp.stations[0].password == "from-the-env-0123"


def test_settings_are_frozen() -> None:
    settings = Settings()

    with pytest.raises(ValidationError):
        settings.hub.name = "changed"  # type: ignore[misc]


def test_station_pointing_at_an_unknown_location_is_refused() -> None:
    raw = {"ocpp": {"stations": [{"id": "CP1", "party": "NL*CPO", "location_id": "NOPE"}]}}

    with pytest.raises(SettingsError, match=r"location_id: no \[\[locations\]\] with id 'NOPE'"):
        Settings.from_mapping(raw, environ={})


def test_bad_listen_address_is_explained() -> None:
    with pytest.raises(SettingsError, match=r"hub\.listen: .*HOST:PORT"):
        Settings.from_mapping({"hub": {"listen": "8080"}}, environ={})


def test_passwords_do_not_appear_in_repr() -> None:
    raw = {"ocpp": {"stations": [{"id": "CP1", "party": "NL*CPO", "password": "super-secret-value"}]}}

    assert "super-secret-value" not in repr(Settings.from_mapping(raw, environ={}))


def test_tls_needs_both_certificate_and_key() -> None:
    with pytest.raises(SettingsError, match="cert_file and key_file go together"):
        Settings.from_mapping({"tls": {"cert_file": "server.pem"}}, environ={})


def test_a_missing_tariff_file_is_named(tmp_path: Path) -> None:
    raw = {"tariffs": [{"id": "STD", "party": "NL*CPO", "file": "nowhere/standard.json"}]}

    with pytest.raises(SettingsError, match=r"tariffs\[0\]\.file: .*nowhere/standard\.json does not exist"):
        Settings.from_mapping(raw, base_dir=tmp_path, environ={})
