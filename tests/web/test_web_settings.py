"""advisor/settings.py as the web shell uses it: ADVISOR_* variables and clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from advisor.errors import SettingsError
from advisor.settings import Settings


def test_from_env_reads_the_web_variables(tmp_path: Path) -> None:
    env = {
        "ADVISOR_HOST": "0.0.0.0",
        "ADVISOR_PORT": "8123",
        "ADVISOR_TITLE": "Imaging careers",
        "ADVISOR_INTRO": "Ask me about imaging.",
        "ADVISOR_ALLOWED_ORIGINS": "https://school.example, http://localhost:8000/ ,",
        "ADVISOR_DATA": str(tmp_path / "d"),
    }
    s = Settings.from_env(env)
    assert s.host == "0.0.0.0"
    assert s.port == 8123
    assert s.title == "Imaging careers"
    assert s.intro == "Ask me about imaging."
    assert s.allowed_origins == ("https://school.example", "http://localhost:8000")  # trimmed, no trailing slash
    assert s.data_dir == tmp_path / "d"


def test_from_env_reads_os_environ(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ADVISOR_PORT", "9001")
    monkeypatch.setenv("ADVISOR_ALLOWED_ORIGINS", "*")
    s = Settings.from_env()
    assert s.port == 9001 and s.allowed_origins == ("*",)


def test_defaults_allow_no_other_origin() -> None:
    s = Settings.from_env({})
    assert s.host == "127.0.0.1" and s.port == 7860 and s.allowed_origins == ()


def test_explicit_values_beat_the_environment() -> None:
    s = Settings.from_env({"ADVISOR_PORT": "8123", "ADVISOR_TITLE": "env"}, port=9000, title=None)
    assert s.port == 9000 and s.title == "env"


def test_port_that_is_not_a_number() -> None:
    with pytest.raises(SettingsError) as err:
        Settings.from_env({"ADVISOR_PORT": "abc"})
    assert str(err.value) == "ADVISOR_PORT='abc' is not a whole number."


def test_port_out_of_range() -> None:
    with pytest.raises(SettingsError, match=r"port=70000 is not a TCP port"):
        Settings.from_env({"ADVISOR_PORT": "70000"})


@pytest.mark.parametrize("origin", ["school.org", "ftp://school.org", "//school.org"])
def test_origin_without_scheme(origin: str) -> None:
    with pytest.raises(SettingsError) as err:
        Settings.from_env({"ADVISOR_ALLOWED_ORIGINS": f"https://ok.example,{origin}"})
    message = str(err.value)
    assert repr(origin) in message and "https://" in message


def test_app_main_turns_a_bad_setting_into_one_line(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    from app import main

    monkeypatch.setenv("ADVISOR_ALLOWED_ORIGINS", "school.org")
    assert main([]) == 1
    err = capsys.readouterr().err
    assert err.startswith("advisor: error: Allowed origin 'school.org'")
    assert err.count("\n") == 1 and "Traceback" not in err


def test_app_main_bad_port_flag(capsys: pytest.CaptureFixture[str]) -> None:
    from app import main

    assert main(["--port", "99999"]) == 1
    assert "port=99999 is not a TCP port" in capsys.readouterr().err


@pytest.mark.parametrize(
    "origin,right",
    [
        ("http://host:8000/counseling/index.html", "http://host:8000"),
        ("https://www.school.org/", None),
        ("https://www.school.org?x=1", "https://www.school.org"),
        ("https://www.school.org#top", "https://www.school.org"),
        ("www.school.org", "https://www.school.org"),
        ("https://user:pw@school.org", None),
        ("https://school.org:99999", None),
    ],
)
def test_an_origin_is_only_scheme_host_and_port(origin: str, right: str | None) -> None:
    if origin == "https://www.school.org/":
        assert Settings(allowed_origins=(origin,)).allowed_origins == ("https://www.school.org",)  # a trailing slash is trimmed
        return
    with pytest.raises(SettingsError) as e:
        Settings(allowed_origins=(origin,))
    if right:
        assert f"write {right}" in str(e.value), str(e.value)


def test_the_banner_names_reachable_addresses_and_the_allowed_sites() -> None:
    from advisor.web.server import origins_line, reachable_urls

    wildcard = reachable_urls("0.0.0.0", 7860)
    assert wildcard[0] == "http://127.0.0.1:7860/" and not any("0.0.0.0" in u for u in wildcard)
    assert reachable_urls("127.0.0.1", 8080) == ["http://127.0.0.1:8080/"]
    assert reachable_urls("::1", 8080) == ["http://[::1]:8080/"]
    assert "https://a.example, https://b.example" in origins_line(Settings(allowed_origins=("https://a.example", "https://b.example")))
    assert "none yet" in origins_line(Settings()) and "ADVISOR_ALLOWED_ORIGINS=" in origins_line(Settings())
