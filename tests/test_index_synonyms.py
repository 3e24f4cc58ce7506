"""The admin's synonyms file (Solr format), the general thesaurus data and the document's own terms."""
from __future__ import annotations

import hashlib
import io
import json
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from index.document_terms import document_rules, parenthesised_pairs
from index.synonyms import (SynonymLineError, append_synonym, file_signature, format_rule, parse_synonyms,
                            read_synonyms)
from index.thesaurus import ADMINISTRATIVE_FILE, SUDACHI_FILE, parse_sudachi_groups, sudachi_rules

ROOT = Path(__file__).resolve().parent.parent


# --- the Solr/Elasticsearch format ------------------------------------------------------------
def test_equivalents_one_way_comments_and_blank_lines():
    parsed = parse_synonyms("""# staff words
残業, 時間外勤務, overtime

行革 => 行政改革
キャッシュレス, 電子決済 => 納付手段   # trailing comment
""")
    assert parsed.problems == ()
    eq, one, two = parsed.rules
    assert eq.equivalent and eq.left == ("残業", "時間外勤務", "overtime") and eq.line == 2
    assert one.left == ("行革",) and one.right == ("行政改革",) and not one.equivalent and one.line == 4
    assert two.left == ("キャッシュレス", "電子決済") and two.right == ("納付手段",)


def test_malformed_lines_are_reported_with_their_number_and_skipped():
    parsed = parse_synonyms("a, b\n=> c\nd => \ne => f => g\nlonely\nh, i\n")
    assert [r.left for r in parsed.rules] == [("a", "b"), ("h", "i")]
    assert [(p.line, p.reason) for p in parsed.problems] == [
        (2, "a side of '=>' is empty"), (3, "a side of '=>' is empty"), (4, "'=>' more than once"),
        (5, "equivalents need at least two words separated by ','")]
    assert str(parsed.problems[0]).startswith("line 2: ")


def test_an_escaped_comma_stays_in_the_word():
    assert parse_synonyms(r"1\,000人, 千人").rules[0].left == ("1,000人", "千人")
    assert format_rule(["1,000人", "千人"]) == r"1\,000人, 千人"
    assert format_rule(["残業"], ["時間外勤務"]) == "残業 => 時間外勤務"


def test_an_absent_or_unreadable_file_never_raises(tmp_path):
    assert read_synonyms(tmp_path / "none.txt").rules == ()
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"\xff\xfe\x00broken")
    assert read_synonyms(bad).problems[0].line == 0


def test_append_adds_one_checked_line(tmp_path):
    path = tmp_path / "data" / "synonyms.txt"
    assert append_synonym(path, "残業, 時間外勤務").line == 1
    path.write_text(path.read_text(encoding="utf-8") + "# a comment without newline", encoding="utf-8")
    rule = append_synonym(path, format_rule(["行革"], ["行政改革"]))
    assert rule.line == 3 and rule.right == ("行政改革",)
    assert path.read_text(encoding="utf-8") == "残業, 時間外勤務\n# a comment without newline\n行革 => 行政改革\n"
    for bad in ("lonely", "# only a comment", "a, b\nc, d", "x => "):
        with pytest.raises(SynonymLineError):
            append_synonym(path, bad)
    assert len(read_synonyms(path).rules) == 2


def test_the_signature_changes_when_the_file_does(tmp_path):
    path = tmp_path / "synonyms.txt"
    assert file_signature(path) is None
    append_synonym(path, "a, b")
    first = file_signature(path)
    append_synonym(path, "c, d")
    assert file_signature(path) != first


# --- the general thesaurus data -------------------------------------------------------------------
def test_the_thesaurus_file_names_its_source_version_and_licence():
    head = SUDACHI_FILE.read_text(encoding="utf-8").splitlines()[:5]
    assert "sudachi-synonyms-dictionary 18.0.0" in head[0] and "Apache-2.0" in head[2]
    assert SUDACHI_FILE.stat().st_size < 1_500_000
    assert (SUDACHI_FILE.parent / "NOTICE").is_file()


def test_the_thesaurus_groups_parse_and_trigger_flags_are_kept():
    rules = parse_sudachi_groups("# header\n000001\t曖昧\tあいまい\t~あやふや\n000002\tひとつ\n")
    assert len(rules) == 1
    assert rules[0].left == ("曖昧", "あいまい") and rules[0].right == ("曖昧", "あいまい", "あやふや")
    assert len(sudachi_rules()) > 15000


def test_proper_noun_domains_are_not_in_the_checked_in_thesaurus():
    words = {w.lstrip("~") for r in SUDACHI_FILE.read_text(encoding="utf-8").splitlines() if not r.startswith("#")
             for w in r.split("\t")[1:]}
    assert {"時間外勤務", "残業", "外部委託", "outsourcing", "telework"} <= words
    # company, person and place names of the dictionary (企業名, 人名, 地名 …) were dropped
    assert not {"トヨタ自動車", "ソニー", "東京大学"} & words


def test_the_administrative_vocabulary_parses_cleanly():
    parsed = parse_synonyms(ADMINISTRATIVE_FILE.read_text(encoding="utf-8"))
    assert parsed.problems == () and len(parsed.rules) > 100


# --- the build script --------------------------------------------------------------------------
def _package(tmp_path: Path, groups: list[dict]) -> tuple[Path, str]:
    data = json.dumps(groups, ensure_ascii=False).encode("utf-8")
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        info = tarfile.TarInfo("package/sudachi-synonyms-dictionary.json")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    path = tmp_path / "pkg.tgz"
    path.write_bytes(buf.getvalue())
    return path, hashlib.sha256(buf.getvalue()).hexdigest()


def _item(word, bunya=(), flag=0):
    return {"midashi": word, "bunya": list(bunya), "expandControl": flag, "taigenYogen": "体言"}


def _run(*args):
    return subprocess.run([sys.executable, str(ROOT / "scripts" / "build_thesaurus.py"), *args],
                          capture_output=True, text=True, cwd=ROOT, timeout=60)


def test_the_build_script_verifies_the_checksum_and_filters_proper_nouns(tmp_path):
    pkg, sha = _package(tmp_path, [
        {"id": "000001", "items": [_item("残業"), _item("時間外勤務"), _item("超勤", flag=1), _item("ザンギョウ", flag=2)]},
        {"id": "000002", "items": [_item("ソニー", ["企業名"]), _item("SONY", ["企業名"])]},
        {"id": "000003", "items": [_item("外部委託", ["ビジネス"]), _item("田中", ["人名"]), _item("outsourcing")]},
    ])
    out = tmp_path / "out.tsv"
    done = _run("--from", str(pkg), "--output", str(out), "--sha256", sha)
    assert done.returncode == 0, done.stderr
    rows = [line for line in out.read_text(encoding="utf-8").splitlines() if not line.startswith("#")]
    assert rows == ["000001\t残業\t時間外勤務\t~超勤", "000003\t外部委託\toutsourcing"]
    # the pinned checksum is not this package's: refused, nothing written
    refused = _run("--from", str(pkg), "--output", str(tmp_path / "no.tsv"))
    assert refused.returncode == 1 and "sha256" in refused.stderr
    assert not (tmp_path / "no.tsv").exists()


# --- the document's own terms ------------------------------------------------------------------
def test_parenthesised_abbreviations_in_body_text():
    assert parenthesised_pairs("民間資金を活用した社会資本整備（ＰＦＩ）を導入") == [("pfi", "民間資金を活用した社会資本整備")]
    assert parenthesised_pairs("ＲＰＡ（ロボティック・プロセス・オートメーション）の導入") == [
        ("rpa", "ロボティック・プロセス・オートメーション")]
    assert parenthesised_pairs("令和12（2030）年") == []


def test_document_rules_merge_the_glossary_and_the_body_text():
    rules = document_rules([{"業務継続計画", "bcp", "business continuity plan"}],
                           ["業務継続計画（ＢＣＰ）の見直し", "地域防災拠点整備計画（ＺＢＫ）を定める"])
    groups = [set(r.left) for r in rules]
    assert {"業務継続計画", "bcp", "business continuity plan"} in groups
    assert {"zbk", "地域防災拠点整備計画"} in groups


def test_the_glossarys_spelled_out_form_wins_over_a_sentence_around_the_abbreviation():
    rules = document_rules([{"持続可能な開発目標", "sdgs"}], ["令和12（2030）年を期限とする持続可能な開発目標（ＳＤＧｓ）"])
    assert [set(r.left) for r in rules] == [{"持続可能な開発目標", "sdgs"}]
