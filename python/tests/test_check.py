"""seg.check: diagnostics as objects, the same as `seg check --format json`."""

import json
import pathlib

import pytest

import seg
from conftest import EXAMPLES

TYPO = """schema {
  customer_id: int key
  loyalty_tier: string
}
segment gold { where loyalty_teir == "gold" }
"""


def test_clean_rules_have_no_diagnostics():
    assert seg.check(EXAMPLES / "lifecycle.seg") == []
    assert seg.check(str(EXAMPLES / "lifecycle.seg")) == []


def test_a_typo_is_located_with_a_did_you_mean_fix():
    (found,) = seg.check(TYPO)
    assert found.code == "E0101"
    assert found.severity == "error" and found.is_error
    assert "loyalty_teir" in found.message
    assert (found.file, found.line, found.column) == ("<rules>.seg", 5, 22)
    assert (found.end_line, found.end_column) == (5, 34)
    assert TYPO.encode()[found.start_byte : found.end_byte] == b"loyalty_teir"
    assert "loyalty_tier" in found.help
    (fix,) = found.fixes
    (edit,) = fix.edits
    assert edit.text == "loyalty_tier" and edit.file == "<rules>.seg"
    fixed = fix.apply("<rules>.seg", TYPO)
    assert "where loyalty_tier ==" in fixed
    assert seg.check(fixed) == []


def test_str_is_the_rendering_seg_check_prints(cli, tmp_path):
    rules = tmp_path / "typo.seg"
    rules.write_text(TYPO)
    (found,) = seg.check(rules)
    text = str(found)
    assert "error[E0101]" in text and "5 │" in text and "loyalty_teir" in text
    printed = cli("check", rules, check=False)
    assert printed.returncode == 1
    assert text.strip() in printed.stderr
    assert repr(found).startswith("<Diagnostic E0101 error at ")


def test_to_dict_is_the_json_of_seg_check(cli, tmp_path):
    rules = tmp_path / "typo.seg"
    rules.write_text(TYPO + 'segment dup { where loyalty_tier != "x" }\nsegment dup { where true }\n')
    found = seg.check(rules)
    report = json.loads(cli("check", rules, "--format", "json", check=False).stdout)
    assert [d.to_dict() for d in found] == report["diagnostics"]
    duplicate = next(d for d in found if d.related)
    assert duplicate.related[0].line == 6 and duplicate.related[0].file.endswith("typo.seg")


def test_warnings_are_diagnostics_too():
    rules = """schema {
  id: int key
  tier: string
}
segment not_gold { where tier != "gold" }
"""
    (found,) = seg.check(rules)
    assert found.code == "W0309" and found.severity == "warning" and not found.is_error
    assert any("is missing" in f.message or "is missing" in e.text for f in found.fixes for e in f.edits)


def test_text_is_named_by_path_and_its_uses_resolve_from_there(tmp_path):
    (tmp_path / "schema.seg").write_text("schema {\n  id: int key\n  n: int\n}\n")
    text = 'use "schema.seg"\nsegment many { where n > nn }\n'
    (found,) = seg.check(text, path=tmp_path / "main.seg")
    assert found.file.endswith("main.seg") and found.code == "E0101"
    assert seg.check('use "schema.seg"\nsegment many { where n > 1 }\n', path=tmp_path / "main.seg") == []


def test_a_str_without_newline_or_brace_is_a_path():
    with pytest.raises(seg.SegError) as caught:
        seg.check("no_such_rules.seg")
    assert caught.value.code == "E0801"
    assert "no_such_rules.seg" in caught.value.message
    assert caught.value.diagnostics == []
    assert str(caught.value).startswith("error[E0801]")


def test_unreadable_and_odd_arguments():
    with pytest.raises(TypeError, match="path to a .seg file"):
        seg.check(42)
    with pytest.raises(ValueError, match="path"):
        seg.check(EXAMPLES / "lifecycle.seg", path="other.seg")


def test_a_file_that_is_not_rules_is_not_echoed(tmp_path):
    secret = tmp_path / "secret.seg"
    secret.write_text("password=hunter2 " + "x" * 200 + "\nline two is private\n")
    found = seg.check(secret)
    assert found and found[0].code.startswith("E000")
    assert "line two is private" not in str(found[0])


def test_pathlike_and_bytes_of_other_encodings(tmp_path):
    latin = tmp_path / "latin.seg"
    latin.write_bytes(b"schema {\n  caf\xe9: int\n}\n")
    found = seg.check(pathlib.Path(latin))
    assert found[0].code == "E0802"


def test_uses_outside_the_rules_directory_need_a_root(tmp_path):
    (tmp_path / "schema.seg").write_text("schema {\n  id: int key\n  n: int\n}\n")
    (tmp_path / "rules").mkdir()
    main = tmp_path / "rules" / "main.seg"
    main.write_text('use "../schema.seg"\nsegment many { where n > 1 }\n')
    refused = seg.check(main)
    assert refused and refused[0].is_error and "schema.seg" in refused[0].message
    assert seg.check(main, root=tmp_path) == []
    assert seg.check(main, allow_outside=True) == []
    program = seg.compile(main.read_text(), path=main, root=tmp_path, as_of="2026-11-24")
    assert program.segments == ["many"]
    with pytest.raises(ValueError, match="not both"):
        seg.check(main, root=tmp_path, allow_outside=True)
