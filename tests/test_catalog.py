"""The recommendation catalog: sourced, checked, never naming a closed or unverified service."""

from __future__ import annotations

import copy
from datetime import date

import pytest
import yaml

from lmcself.commands import main
from lmcself.core.catalog import load_catalog

from .conftest import assert_names_the_fault

COUNTRIES = ("KH", "LA", "MM", "TH", "VN", "CN")


def tool(key: str, **extra) -> dict:
    return {
        "key": key,
        "name": f"Tool {key}",
        "kind": "wallet",
        "dimensions": ["payments"],
        "what": "Take payment by QR code.",
        "source": "https://example.org/page",
        "source_date": "2025-03",
        "last_checked": date(2026, 11, 28),
        "confidence": "high",
        **extra,
    }


MINIMAL = {
    "version": "test",
    "countries": {c: {"tools": [tool(f"qr_{c.lower()}", kind="qr_standard")]} for c in COUNTRIES},
    "cross_border": [
        {
            "countries": ["TH", "KH"],
            "text": "Pay across the border.",
            "source": "https://example.org/x",
            "source_date": "2023",
        }
    ],
    "do_not_recommend": [{"name": "Closedpay", "country": "VN", "reason": "closed in 2024"}],
}


def write(tmp_path, data) -> str:
    path = tmp_path / "catalog.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return str(path)


def test_a_minimal_catalog_loads(tmp_path):
    data = copy.deepcopy(MINIMAL)
    data["countries"]["TH"]["tools"].append(
        tool("old_th", last_checked=date(2025, 1, 2), dimensions=["selling"])
    )
    catalog = load_catalog(write(tmp_path, data))
    assert [t.key for t in catalog.tools_for("TH")] == ["qr_th", "old_th"]
    assert [t.key for t in catalog.tools_for("TH", "selling")] == ["old_th"]
    assert [t.key for t in catalog.due_for_check(date(2026, 11, 28))] == ["old_th"]
    assert catalog.due_for_check(date(2026, 1, 1)) == []


def broken(change):
    data = copy.deepcopy(MINIMAL)
    change(data)
    return data


CASES = {
    "no source": (
        lambda d: d["countries"]["KH"]["tools"][0].pop("source"),
        "countries.KH.tools[0]",
        "missing key 'source'",
    ),
    "not a url": (
        lambda d: d["countries"]["KH"]["tools"][0].update(source="ftb.com.kh"),
        "qr_kh.source",
        "full http(s) URL",
    ),
    "bad date": (
        lambda d: d["countries"]["KH"]["tools"][0].update(source_date="last year"),
        "source_date",
        "YYYY",
    ),
    "unknown kind": (
        lambda d: d["countries"]["LA"]["tools"][0].update(kind="bank"),
        "qr_la.kind",
        "expected one of",
    ),
    "unknown dimension": (
        lambda d: d["countries"]["LA"]["tools"][0].update(dimensions=["money"]),
        "qr_la.dimensions",
        "unknown dimension",
    ),
    "missing country": (lambda d: d["countries"].pop("MM"), "countries", "missing key 'MM'"),
    "banned in a name": (
        lambda d: d["countries"]["VN"]["tools"][0].update(name="Closedpay"),
        "countries.VN.tools.qr_vn",
        "do-not-recommend",
    ),
    "banned in a text": (
        lambda d: d["cross_border"][0].update(text="Use closedpay to pay."),
        "cross_border.TH-KH",
        "do-not-recommend",
    ),
    "same country twice": (
        lambda d: d["cross_border"][0].update(countries=["TH", "TH"]),
        "cross_border[0].countries",
        "two different",
    ),
    "duplicate key": (
        lambda d: d["countries"]["CN"]["tools"].append(tool("qr_kh")),
        "countries.tools",
        "duplicate key 'qr_kh'",
    ),
}


@pytest.mark.parametrize("case", CASES)
def test_a_broken_catalog_names_file_key_and_fault(tmp_path, case):
    change, key, problem = CASES[case]
    path = write(tmp_path, broken(change))
    assert_names_the_fault(load_catalog, path, key, problem)


def test_the_shipped_catalog_has_a_qr_standard_and_a_source_for_every_tool_of_every_country():
    catalog = load_catalog()
    for country in COUNTRIES:
        kinds = {t.kind for t in catalog.tools_for(country)}
        assert "qr_standard" in kinds, country
    assert all(t.source.startswith("http") for t in catalog.tools)
    assert catalog.do_not_recommend


def test_check_catalog_lists_what_is_due(tmp_path, monkeypatch):
    from click.testing import CliRunner

    data = copy.deepcopy(MINIMAL)
    data["countries"]["TH"]["tools"].append(tool("old_th", last_checked=date(2025, 1, 2)))
    monkeypatch.setenv("LMCSELF_CATALOG_PATH", write(tmp_path, data))
    monkeypatch.setenv("LMCSELF_DATABASE", str(tmp_path / "c.db"))
    monkeypatch.setenv("LMCSELF_SECRET_KEY", "x")
    due = CliRunner().invoke(main, ["check-catalog", "--today", "2026-11-28"])
    assert due.exit_code == 1
    assert "Tool old_th" in due.output and "1 of 7 tools due" in due.output
    fresh = CliRunner().invoke(main, ["check-catalog", "--today", "2025-06-01"])
    assert fresh.exit_code == 0 and "0 of 7 tools due" in fresh.output


def test_the_app_refuses_to_start_with_a_broken_catalog(tmp_path):
    from lmcself import create_app
    from lmcself.core.instrument import InstrumentError

    path = write(tmp_path, broken(lambda d: d["countries"].pop("MM")))
    config = {
        "TESTING": True,
        "SECRET_KEY": "x",
        "DATABASE": str(tmp_path / "d.db"),
        "CATALOG_PATH": path,
    }
    with pytest.raises(InstrumentError, match="missing key 'MM'"):
        create_app(config)
