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


def duty(key: str, **extra) -> dict:
    return {
        "key": key,
        "name": "Tax taken by platforms",
        "what": "Platforms keep back tax from each sale.",
        "todo": "Keep the platform's statements.",
        "source": "https://example.org/tax",
        "source_date": "2025-07",
        "last_checked": date(2026, 11, 28),
        "confidence": "high",
        **extra,
    }


def risk(key: str, **extra) -> dict:
    return {
        "key": key,
        "title": "An app is blocked",
        "text": "The app is blocked here.",
        "source": "https://example.org/risk",
        "source_date": "2025",
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


def test_duties_risks_and_local_names_load(tmp_path):
    data = copy.deepcopy(MINIMAL)
    data["countries"]["VN"]["obligations"] = [
        duty(
            "vn_tax",
            when={"selling_channel": ["marketplace", "several"]},
            warn_when={"payments_records": ["none"]},
            warning="Platforms take tax, but you keep no records",
            starts="2025-07-01",
        )
    ]
    data["countries"]["MM"]["risks"] = [risk("mm_block")]
    data["countries"]["CN"]["tools"][0]["names"] = {"zh": "二维码"}
    catalog = load_catalog(write(tmp_path, data))
    (tax,) = catalog.obligations_for("VN")
    assert tax.applies({"selling_channel": "several"}) and not tax.applies(
        {"selling_channel": "chat"}
    )
    assert tax.warns({"payments_records": "none"}) and not tax.warns({"payments_records": "app"})
    assert [r.key for r in catalog.risks_for("MM")] == ["mm_block"] and not catalog.risks_for("VN")
    assert catalog.tools_for("CN")[0].name_in("zh") == "二维码"
    assert catalog.tools_for("CN")[0].name_in("th") is None
    texts = dict(catalog.texts())
    assert (
        texts["countries.VN.obligations.vn_tax.warning"]
        == "Platforms take tax, but you keep no records"
    )
    assert texts["countries.MM.risks.mm_block.text"] == "The app is blocked here."


def test_the_catalogs_languages_are_the_apps():
    from lmcself.core.catalog import LANGUAGES
    from lmcself.web.i18n import LOCALES

    assert set(LANGUAGES) == set(LOCALES)


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
    "a name in an unknown language": (
        lambda d: d["countries"]["CN"]["tools"][0].update(names={"zh_Hans": "二维码"}),
        "qr_cn.names.zh_Hans",
        "unknown key",
    ),
    "an empty name": (
        lambda d: d["countries"]["CN"]["tools"][0].update(names={"zh": " "}),
        "qr_cn.names.zh",
        "non-empty text",
    ),
    "names on a translated name": (
        lambda d: d["countries"]["TH"]["tools"][0].update(
            names={"th": "พร้อมเพย์"}, translate_name=True
        ),
        "qr_th.names",
        "takes no names",
    ),
    "an empty recheck": (
        lambda d: d["countries"]["TH"]["tools"][0].update(recheck=""),
        "qr_th.recheck",
        "non-empty text",
    ),
    "a duty for an unknown answer": (
        lambda d: d["countries"]["VN"].update(
            obligations=[duty("vn_tax", when={"selling_channel": ["online"]})]
        ),
        "countries.VN.obligations.vn_tax.when.selling_channel",
        "unknown option 'online'",
    ),
    "a duty for an unknown question": (
        lambda d: d["countries"]["VN"].update(
            obligations=[duty("vn_tax", when={"sells_online": ["yes"]})]
        ),
        "countries.VN.obligations.vn_tax.when.sells_online",
        "unknown key",
    ),
    "a warning without its condition": (
        lambda d: d["countries"]["VN"].update(
            obligations=[duty("vn_tax", warning="You keep no records")]
        ),
        "countries.VN.obligations.vn_tax",
        "warn_when and warning go together",
    ),
    "a duty's start that is no date": (
        lambda d: d["countries"]["VN"].update(obligations=[duty("vn_tax", starts="July 2025")]),
        "vn_tax.starts",
        "YYYY",
    ),
    "a duty without what to do": (
        lambda d: d["countries"]["VN"].update(
            obligations=[{k: v for k, v in duty("vn_tax").items() if k != "todo"}]
        ),
        "countries.VN.obligations[0]",
        "missing key 'todo'",
    ),
    "a risk without a source": (
        lambda d: d["countries"]["MM"].update(
            risks=[{k: v for k, v in risk("mm_block").items() if k != "source"}]
        ),
        "countries.MM.risks[0]",
        "missing key 'source'",
    ),
    "banned in a risk": (
        lambda d: d["countries"]["MM"].update(risks=[risk("mm_block", text="Closedpay is gone.")]),
        "countries.MM.risks.mm_block",
        "do-not-recommend",
    ),
    "banned in a duty": (
        lambda d: d["countries"]["VN"].update(
            obligations=[duty("vn_tax", todo="Keep the Closedpay statements.")]
        ),
        "countries.VN.obligations.vn_tax",
        "do-not-recommend",
    ),
    "unknown kind of a note": (
        lambda d: d["countries"]["LA"].update(
            notes=[
                {
                    "dimension": "operations",
                    "kind": "tax_app",
                    "text": "No e-invoice service was found.",
                    "source": "https://example.org/n",
                    "source_date": "n.d.",
                }
            ]
        ),
        "countries.LA.notes[0].kind",
        "expected one of",
    ),
    "banned in a local name": (
        lambda d: d["countries"]["TH"]["tools"][0].update(names={"th": "ร้านClosedpay"}),
        "countries.TH.tools.qr_th",
        "do-not-recommend",
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


# Questionnaire 2.0 (issue 16) asks about these; the plan attaches the country's tools of each kind.
NEW_KINDS = ("e_invoice", "food_delivery", "cross_border", "social_commerce")
NEW_KIND_DIMENSIONS = {
    "e_invoice": {"operations"},
    "food_delivery": {"selling"},
    "cross_border": {"operations", "payments"},
    "social_commerce": {"selling"},
}


@pytest.mark.parametrize("kind", NEW_KINDS)
@pytest.mark.parametrize("country", COUNTRIES)
def test_every_country_has_a_tool_or_an_honest_note_of_each_new_kind(country, kind):
    """A country with no such service says so in a note of that kind, rather than inventing one."""
    catalog = load_catalog()
    tools = [t for t in catalog.tools_for(country) if t.kind == kind]
    notes = [n for n in catalog.notes if n.kind == kind and country in n.countries]
    assert tools or notes, f"{country} has neither a tool nor a note of kind {kind}"
    assert catalog.covers(country, kind)
    for t in tools:
        # Attached where the plan looks for it: the dimensions of the questions of the kind.
        assert NEW_KIND_DIMENSIONS[kind] <= set(t.dimensions), t.key
        assert t.source.startswith("http"), t.key
    assert all(n.dimension in NEW_KIND_DIMENSIONS[kind] and n.source for n in notes)


def test_a_note_of_a_kind_stands_in_only_for_its_own_countries(tmp_path):
    data = copy.deepcopy(MINIMAL)
    data["countries"]["LA"]["notes"] = [
        {
            "dimension": "operations",
            "kind": "e_invoice",
            "local_only": True,
            "text": "No e-invoice service for small sellers was found.",
            "source": "https://example.org/n",
            "source_date": "n.d.",
        }
    ]
    catalog = load_catalog(write(tmp_path, data))
    assert catalog.covers("LA", "e_invoice") and not catalog.covers("MM", "e_invoice")
    assert catalog.covers("TH", "qr_standard") and not catalog.covers("TH", "e_invoice")
    assert [n.kind for n in catalog.notes] == ["e_invoice"]


def check_catalog(tmp_path, monkeypatch, data, *args: str, po: str = ""):
    from click.testing import CliRunner

    import lmcself.commands.maintenance as maintenance

    translations = tmp_path / "translations"
    (translations / "th" / "LC_MESSAGES").mkdir(parents=True, exist_ok=True)
    (translations / "th" / "LC_MESSAGES" / "messages.po").write_text(po, encoding="utf-8")
    monkeypatch.setattr(maintenance, "TRANSLATIONS_DIR", translations)
    monkeypatch.setenv("LMCSELF_CATALOG_PATH", write(tmp_path, data))
    monkeypatch.setenv("LMCSELF_DATABASE", str(tmp_path / "c.db"))
    monkeypatch.setenv("LMCSELF_SECRET_KEY", "x")
    return CliRunner().invoke(main, ["check-catalog", *args])


def test_check_catalog_lists_old_checks_old_sources_and_low_confidence(tmp_path, monkeypatch):
    data = copy.deepcopy(MINIMAL)
    data["countries"]["TH"]["tools"] += [
        tool("old_th", last_checked=date(2025, 1, 2)),
        tool("dated_th", source_date="2021-05"),
        tool("unsure_th", confidence="med"),
        tool("undated_th", source_date="n.d."),
    ]
    due = check_catalog(tmp_path, monkeypatch, data, "--today", "2026-11-28")
    assert due.exit_code == 1
    assert (
        "DUE     countries.TH.tools.old_th" in due.output
        and "last checked 2025-01-02" in due.output
    )
    assert (
        "DUE     countries.TH.tools.dated_th" in due.output and "source from 2021-05" in due.output
    )
    assert "DUE     countries.TH.tools.unsure_th" in due.output and "confidence med" in due.output
    assert "undated_th" not in due.output  # a page without a date: current as of its check
    assert "3 of 10 entries to review" in due.output and "3 due" in due.output
    # A longer age leaves the 2021 source out; a year earlier nothing is a year unchecked.
    later = check_catalog(tmp_path, monkeypatch, data, "--today", "2025-06-01", "--max-age", "5")
    assert "dated_th" not in later.output and "old_th" not in later.output
    assert "unsure_th" in later.output and later.exit_code == 1


def test_check_catalog_passes_when_what_it_lists_is_marked_pending(tmp_path, monkeypatch):
    data = copy.deepcopy(MINIMAL)
    data["countries"]["TH"]["tools"].append(
        tool("unsure_th", confidence="low", recheck="Only one source of 2021: find a newer one.")
    )
    result = check_catalog(tmp_path, monkeypatch, data, "--today", "2026-11-28")
    assert result.exit_code == 0, result.output
    assert "pending countries.TH.tools.unsure_th" in result.output
    assert "Only one source of 2021: find a newer one." in result.output


@pytest.mark.parametrize(
    "translation", ["ใช้ Closedpay รับเงิน", "ใช้Closedpayรับเงิน", "ใช้ CLOSEDPAY รับเงิน"]
)
def test_check_catalog_catches_a_banned_service_named_in_a_translation(
    tmp_path, monkeypatch, translation
):
    po = f'msgid ""\nmsgstr ""\n\nmsgid "Take payment by QR code."\nmsgstr "{translation}"\n'
    result = check_catalog(tmp_path, monkeypatch, MINIMAL, "--today", "2026-11-28", po=po)
    assert result.exit_code == 1
    assert "BANNED  th: 'Take payment by QR code.' names 'Closedpay'" in result.output


def test_the_shipped_catalog_lists_only_what_is_deliberately_pending():
    """The review of the catalog as shipped (on the day of the fact-check) holds no surprise."""
    catalog = load_catalog()
    items = catalog.review(date(2026, 12, 3))
    assert [i.where for i in items if not i.pending] == []
    from lmcself.core.catalog import TRANSLATIONS_DIR, translated_texts

    assert catalog.banned_mentions(translated_texts(TRANSLATIONS_DIR)) == []


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
