"""Every user-visible string has a Simplified Chinese and an English translation."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from accountdesk.i18n import _, normalise, set_language

ROOT = Path(__file__).resolve().parent.parent


def _tool():
    spec = importlib.util.spec_from_file_location("i18n_tool", ROOT / "scripts" / "i18n.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("area", list(_tool().AREAS))
def test_every_string_of_the_area_is_translated(area):
    gaps = _tool().missing([area])
    assert not gaps, "untranslated strings (run scripts/i18n.py update, then translate):\n" + "\n".join(
        f"  {lang} {a}.po: {msgid!r}" for lang, a, msgid in gaps[:50]
    )


def test_switching_language_changes_messages():
    set_language("zh_CN")
    zh = _("Annual fees")
    set_language("en")
    assert _("Annual fees") == "Annual fees"
    assert zh == "年均费用"


@pytest.mark.parametrize(
    ("given", "expected"),
    [("zh_CN.UTF-8", "zh_CN"), ("zh-Hans", "zh_CN"), ("en_US", "en"), ("en", "en"), ("de_DE", "zh_CN")],
)
def test_language_names_are_normalised(given, expected):
    assert normalise(given) == expected


def test_a_string_has_one_translation_across_areas():
    """The catalogues of all areas are merged at run time, so the same English text translated
    differently in two areas would show one of them at random places; use distinct wording."""
    from babel.messages.pofile import read_po

    seen: dict[str, dict[str, str]] = {}
    for path in sorted((ROOT / "accountdesk" / "locale" / "zh_CN" / "LC_MESSAGES").glob("*.po")):
        with open(path, "rb") as fh:
            for msg in read_po(fh, locale="zh_CN"):
                if msg.id and msg.string:
                    seen.setdefault(str(msg.id), {})[path.stem] = str(msg.string)
    clashes = {k: v for k, v in seen.items() if len(set(v.values())) > 1}
    assert clashes == {}


def test_the_compiled_catalogue_is_kept_between_starts(tmp_path, monkeypatch):
    """The .po files are parsed and compiled once; later starts read the compiled file, and an
    edited catalogue is compiled again."""
    import shutil

    import accountdesk.i18n as i18n
    import accountdesk.paths as paths

    monkeypatch.setattr(paths, "cache_dir", lambda: tmp_path / "cache")
    monkeypatch.setattr(i18n, "_cache", {})
    assert i18n._translations("zh_CN").gettext("Today") == "今日待办"
    [compiled] = (tmp_path / "cache" / "catalogues").glob("zh_CN-*.mo")
    monkeypatch.setattr(i18n, "_cache", {})
    real_load = i18n.load_catalogue
    monkeypatch.setattr(i18n, "load_catalogue", lambda lang: pytest.fail("the .po files were parsed again"))
    assert i18n._translations("zh_CN").gettext("Today") == "今日待办"
    # an edited catalogue (an update) is compiled again
    locale = tmp_path / "locale"
    shutil.copytree(i18n.LOCALE_DIR / "zh_CN", locale / "zh_CN")
    ui = locale / "zh_CN" / "LC_MESSAGES" / "ui.po"
    ui.write_text(
        ui.read_text(encoding="utf-8").replace('msgstr "今日待办"', 'msgstr "今天"'), encoding="utf-8"
    )
    monkeypatch.setattr(i18n, "LOCALE_DIR", locale)
    monkeypatch.setattr(i18n, "load_catalogue", real_load)
    monkeypatch.setattr(i18n, "_cache", {})
    assert i18n._translations("zh_CN").gettext("Today") == "今天"
    assert len(list((tmp_path / "cache" / "catalogues").glob("zh_CN-*.mo"))) == 2 and compiled.exists()
