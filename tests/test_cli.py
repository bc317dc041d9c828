"""The `lmcself` command: init-db, serve, and docs that name every command."""

from __future__ import annotations

from pathlib import Path

import pytest

from lmcself.commands import main
from lmcself.commands.server import lan_urls

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")


def own_commands() -> list[str]:
    """The app's commands, not Flask's own (run, shell, routes)."""
    from lmcself import create_app

    app = create_app({"TESTING": True, "DATABASE": ":memory:", "SECRET_KEY": "x"})
    return sorted(app.cli.commands)


OWN_COMMANDS = own_commands()


def test_init_db_is_safe_to_run_twice(tmp_path, monkeypatch):
    monkeypatch.setenv("LMCSELF_DATABASE", str(tmp_path / "cli.db"))
    monkeypatch.setenv("LMCSELF_SECRET_KEY", "x")
    from click.testing import CliRunner

    first = CliRunner().invoke(main, ["init-db"])
    assert first.exit_code == 0, first.output
    assert "applied migration 0001_submissions" in first.output
    second = CliRunner().invoke(main, ["init-db"])
    assert second.exit_code == 0 and "0 migrations applied" in second.output


@pytest.mark.parametrize("command", OWN_COMMANDS)
def test_every_command_has_help_and_is_in_the_readme(runner, command):
    result = runner.invoke(main, [command, "--help"])
    assert result.exit_code == 0
    assert len(result.output.splitlines()[2].strip()) > 10  # a real one-line description
    assert f"lmcself {command}" in README


def test_serve_refuses_a_cert_without_a_key(tmp_path, monkeypatch):
    monkeypatch.setenv("LMCSELF_DATABASE", str(tmp_path / "cli.db"))
    cert = tmp_path / "cert.pem"
    cert.write_text("x")
    from click.testing import CliRunner

    result = CliRunner().invoke(main, ["serve", "--cert", str(cert)])
    assert result.exit_code == 2 and "--cert and --key go together" in result.output


def test_lan_urls_list_this_machine_with_loopback_last():
    urls = lan_urls(8123)
    assert urls and all(u.startswith("http://") and u.endswith(":8123/") for u in urls)
    assert "http://127.0.0.1:8123/" in urls
    loopback = [i for i, u in enumerate(urls) if "//127." in u]
    assert loopback[-1] == len(urls) - 1
    assert lan_urls(8443, "10.1.2.3", "https") == ["https://10.1.2.3:8443/"]


def test_serve_prints_the_workshops_join_link_and_its_qr_code(tmp_path, monkeypatch):
    monkeypatch.setenv("LMCSELF_DATABASE", str(tmp_path / "cli.db"))
    monkeypatch.setenv("LMCSELF_SECRET_KEY", "x")
    monkeypatch.setattr("lmcself.commands.serve.Server.run", lambda self: None)
    from click.testing import CliRunner

    from lmcself.commands.serve import join_qr

    result = CliRunner().invoke(main, ["serve", "--host", "10.1.2.3", "--workshop", "vte-1"])
    assert result.exit_code == 0, result.output
    assert "http://10.1.2.3:8000/?w=VTE-1" in result.output
    assert join_qr("http://10.1.2.3:8000/?w=VTE-1") in result.output
    assert "http://10.1.2.3:8000/en/staff/" in result.output
    bad = CliRunner().invoke(main, ["serve", "--workshop", "a b"])
    assert bad.exit_code == 2
