"""A small bilingual thesaurus of the outline's core vocabulary, for query expansion.

Why
    The default embedder (multilingual-e5-small, 4-bit) is weak across languages: "When does the
    outline end?" lands nowhere near 「大綱 ６年間（令和３年度から令和８年度まで）」, and BM25 over
    Sudachi tokens sees no Japanese word in an English question at all. Staff also ask with
    everyday words where the outline uses administrative ones (残業 for 時間外勤務, 行革 for
    行政改革, キャッシュレス for 納付手段). Neither list can bridge that, so questions are expanded
    with the outline's own terms before searching.

What is in it
    One line per core term of the outline, written by going through the outline's headings and
    bullets in order (not from any question set): the outline's word, then its usual English
    renderings, then the everyday or abbreviated Japanese words staff use for the same thing.
    Only renderings a translator or a city employee would commonly use are listed; nothing names
    a particular question. Words shorter than two characters are not listed (too ambiguous).

How it is used
    * :meth:`DomainLexicon.expand` appends the outline terms of every match to the question, for
      BM25 and the dense query (the original words stay, so nothing is lost);
    * :meth:`DomainLexicon.rewrite` replaces each match by its outline term, so the found/not-found
      rule can judge "are the question's words in the passage?" for English and paraphrased
      questions too (unmatched English words stay and count as missing).

Matching: NFKC, lower case; English phrases as sequences of whole words after a light stemmer
(:func:`stem`: "attract businesses" = "attracting business"; hyphens separate words, so
"work-life" = "work life"); Japanese words as substrings of the
question without spaces. Longer matches win over shorter ones inside them. The tables are
built once at import and only read afterwards, so one lexicon is safe to share between threads.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

# outline term | English renderings ; ... | Japanese words staff use ; ...
LEXICON_TEXT = """
大綱 | outline; guideline; guidelines; charter; reform outline | 行革大綱; 改革大綱
行政改革 | administrative reform; government reform; reform; reforms; administrative reforms | 行革
第７次行政改革 | seventh reform; seventh administrative reform; 7th reform; 7th administrative reform | 今回の行革; 今回の行政改革
第６次行政改革 | sixth reform; sixth administrative reform; 6th reform; 6th administrative reform; previous reform | 前回の行政改革; 前回の行革; 前の行政改革
第４次行政改革 | fourth reform; 4th reform |
第５次行政改革 | fifth reform; 5th reform |
実施計画 | implementation plan; action plan; execution plan; implementation program |
第１期 | first phase; phase 1; phase one; first term; first period | １期目; 1期目
第２期 | second phase; phase 2; phase two; second term; second period | ２期目; 2期目
計画期間 | period; duration; timeframe; time frame; term of the plan; how long; span; plan period; end; ends; expire; expires; run until; last until | 対象期間; 期間
重点目標 | priority goal; priority goals; key goal; key goals; main goal; main goals; priority target; focus area; objectives; pillars | 主要目標; 重点項目; 柱; 目指すこと; 目指す姿
基本的考え方 | basic approach; basic idea; basic policy; approach; principles | 基本方針; 考え方
理念 | philosophy; concept; vision; ideal | 基本理念
位置付け | position; positioning; place in | 位置づけ
総合計画 | comprehensive plan; general plan; master plan | 市の総合計画; あつぎ元気プラン
背景 | background; context; reasons; why was | 経緯; きっかけ
必要性 | need; needed; necessity; necessary; why is | 必要な理由; なぜ必要
社会環境の変化 | social change; social changes; changes in society; changing society; social environment; changes in the social environment; social environment changes; changing social environment | 社会情勢の変化; 時代の変化
人口減少 | population decline; declining population; shrinking population; depopulation | 人口が減る; 人口減
高齢化 | aging; ageing; elderly; aging society; ageing society | 高齢社会; 高齢者の増加
少子高齢化 | low birthrate; declining birthrate; falling birthrate | 少子化
防災・減災 | disaster prevention; disaster risk reduction; disaster preparedness; disasters | 災害対策; 防災; 減災
新型コロナウイルス感染症 | covid; covid-19; coronavirus; pandemic; infectious disease | コロナ禍; コロナ; パンデミック; 新型コロナ
新たな日常 | new normal | ニューノーマル; 新しい生活様式; ウィズコロナ
働き方改革 | work style reform; workstyle reform; working style reform; work reform; work style | 働き方の見直し
働き方改革関連法 | work style reform laws; work style reform act; labor law; labour law; labor laws | 働き方のルール; 働き方改革法; 労働法
スマート自治体 | smart local government; smart municipality; smart government; smart city hall | スマート市役所
社会保障と税の一体改革 | social security and tax reform; social security | 税と社会保障
消費税の引き上げ | consumption tax; sales tax; tax increase; tax hike; consumption tax increase | 増税; 消費増税; 消費税率の引上げ
行政手続のデジタル化 | digitalization; digitalisation; digitization; digital transformation; digital; online; e-government; dx | オンライン化; 電子化; 電子申請; ペーパーレス; ＤＸ; デジタル化; 手続のオンライン; オンライン
行政手続 | administrative procedure; administrative procedures; procedures; paperwork; forms; application forms; filing; file applications | 手続き; 行政手続き; 申請手続; 届出; 届け出; 申請
業務プロセスの見直し | business process review; process review; workflow review; business process; business processes; workflow | 業務の流れ; 仕事の進め方; 事務の流れ
マイナンバーカード | my number card; mynumber card; individual number card | マイナカード; マイナンバー
オープンデータ | open data | データ公開; データのオープン化
次世代型行政サービス | next generation service; next-generation services; next generation administrative service |
公共施設 | public facilities; public facility; public buildings; facilities; facility | 市の施設; 公共建物; 箱物; ハコモノ
公共建築物 | public building; public buildings; old buildings; buildings | 公共の建物; 建物; 市の建物
長寿命化 | life extension; extending the life; longer life; longevity; aging facilities; ageing facilities; maintenance; old public buildings; old buildings; old facilities; ageing buildings; aging buildings | 老朽化; 延命化; 延命; 老朽化対策; 改修
適正配置 | optimal placement; consolidation; consolidate | 統廃合; 集約; 再配置
複合施設（新庁舎） | new city hall; new government building; new town hall; complex facility; new office building | 新市庁舎; 新しい庁舎; 新しい市役所; 新庁舎; 複合施設
図書館 | library | 図書室
科学館 | science museum; science center | こども科学館
企業誘致 | attracting companies; attract companies; business attraction; attracting businesses; corporate attraction; inviting companies; investment attraction | 企業の誘致; 工場誘致; 企業を呼び込む; 会社を呼び込む; 会社の誘致; 企業を呼ぶ; 会社を呼ぶ
指定管理者制度 | designated manager; designated administrator; designated management | 指定管理; 指定管理者
委託化 | outsourcing; outsource; contracting out | 外部委託; 民間委託; アウトソーシング
ＰＰＰ | public private partnership; public-private partnership; private sector; private companies | 官民連携; 公民連携; 民間活力; 民間のノウハウ; 民間活用
ワーク・ライフ・バランス | work life balance; work-life balance | ワークライフバランス; 仕事と生活の両立
時間外勤務 | overtime; overtime work; overtime hours; extra hours | 残業; 超過勤務; 残業時間
業務継続計画（ＢＣＰ） | business continuity; business continuity plan; continuity plan | 事業継続計画; 業務継続
ふるさと納税 | hometown tax; hometown tax donation; hometown tax donations; furusato nozei; hometown donation; hometown donations | 故郷納税
広告料収入 | advertising; advertisement; advertising revenue; ad revenue; ads | 広告収入; 広告料; 広告
財源 | revenue source; funding; financial resources; funds | 財政資金
自主財源 | own revenue; own-source revenue; independent revenue; self-financing |
市税 | city tax; municipal tax; local tax; city taxes; municipal taxes; local taxes | 市の税金; 住民税; 税金
収納率 | collection rate; tax collection rate; payment rate | 徴収率; 納付率; 納税率
収納 | collection; tax collection; collecting taxes | 徴収; 取り立て
国民健康保険料 | national health insurance | 国保; 国保料; 国民健康保険税
滞納 | arrears; delinquency; delinquent; unpaid; overdue | 未納; 滞納者
成果 | results; achievements; achievement; outcomes; accomplishments; success; successes | 実績; 達成できたこと; できたこと; 成功
課題 | issues; challenges; problems; remaining tasks; shortcomings | 問題点; 反省点; できなかったこと; 残された問題
成果指標 | performance indicator; performance indicators; kpi; kpis; targets | 数値目標; 指標
マネジメント力 | management skills; management ability; management capability; leadership | 管理能力; マネジメント能力
幹部職員 | senior staff; senior officials; managers; executives; management staff | 管理職; 幹部; 上司
市民活動団体 | citizen groups; citizens groups; civic groups; community groups; civic organizations; npo; npos; nonprofit; non-profit | ＮＰＯ; 市民団体; 地域団体; 自治会; ボランティア団体
市民参加 | citizen participation; public participation; citizen involvement | 住民参加
行政評価 | administrative evaluation; policy evaluation; performance evaluation | 施策評価
市民協働 | citizen collaboration; collaboration with citizens; cooperation with citizens; citizen cooperation; collaboration; cooperation; co-creation | 協働; 市民との連携; 官民協働
公共サービス | public service; public services; administrative services; city services | 市民サービス; 住民サービス
職員 | staff; employees; employee; officials; personnel; workers; civil servants | 市職員; 市役所職員; 公務員
能力向上 | skills development; skill development; capacity building; skill improvement; staff development; human resource development | 人材育成; スキルアップ; 能力開発
研修 | training; trainings; seminars | 職員研修; 研修制度; 勉強会
資格を取得するための助成制度 | qualification; qualifications; certification; certifications; license; licenses | 資格取得; 資格を取る; 資格の取得
技術職員 | technical staff; engineers; technical employees | 技術系の職員; 技術系職員; 技師
組織体制 | organizational structure; organisational structure; organization; organisation; structure | 組織の体制
人員配置 | staffing; staff allocation; personnel allocation; staff assignment; personnel placement | 人事配置; 配置
定員管理 | staff numbers; number of staff; headcount; staff quota | 定数管理; 職員定数; 定数; 職員数の管理
生産性 | productivity | 生産効率
効率化 | efficiency; efficient; streamlining; streamline | 効率アップ; 合理化
総合窓口 | one stop; one-stop service; one stop service; integrated counter; service counter; reception desk; counter; counters; front desk | ワンストップ; ワンストップ窓口; 窓口の一本化; 総合案内; 窓口
執務環境 | working environment; office environment; workspace; office layout | 職場環境; オフィス環境
事務事業評価 | program evaluation; programme evaluation; project evaluation; program review | 事業評価; 事業仕分け
外部評価 | external evaluation; external review; third-party evaluation; third party review | 第三者評価; 外部の評価
予算編成 | budgeting; budget formulation; budget planning; budget compilation | 予算の組み方; 予算づくり; 予算の立て方
歳入の確保 | secure revenue; securing revenue; increase revenue; raise revenue; revenue; income | 収入の確保; 収入を増やす; 財源確保; 歳入
歳出削減 | spending cuts; expenditure reduction; cost cutting; cost reduction; reduce spending | 経費削減; コスト削減; 支出削減
既存企業 | existing companies; existing businesses; local businesses; local companies; local firms | 地元企業; 市内企業; 地元の企業; 中小企業; 地元の会社; 市内の会社; 既存の会社
債権管理 | debt management; receivables; receivables management; claims management; debt collection; unpaid bills; outstanding bills; amounts owed | 債権回収; 未収金; 未収金の管理; 未収債権; 回収
新たな納付手段 | payment methods; payment method; payment options; cashless; cashless payment; electronic payment; ways to pay; how to pay | キャッシュレス; キャッシュレス決済; 支払い方法; 支払方法; 電子決済; スマホ決済; コンビニ納付; 払う方法; 払い方; 納付方法; 支払手段; 支払い手段; 納め方
市有財産 | city-owned property; city owned property; municipal property; city assets; public assets; city property | 市の財産; 公有財産; 市有地
有効活用 | effective use; utilization; utilisation; make use | 活用; 利活用
行政財産目的外使用許可 | use permit; permission for other uses; non-designated use; other purposes; non-intended use | 目的外使用; 目的外の使用; 目的以外; 本来の目的以外
駐車場 | parking; car park; parking lot | パーキング
施設利用者 | facility users; users; visitors | 利用者; 施設を使う人; 使う人
ニーズ | needs; requests; demands; wishes; opinions | 要望; 意見; 要求
パートナーシップ | partnership; partnerships | 連携
補助金 | subsidy; subsidies; grant; grants | 交付金
助成金 | grant; grants; aid | 助成; 補助
ボランティア | volunteer; volunteers; volunteering | 奉仕活動
参加しやすい環境 | encourage; encouraged; encouraging; easier to take part; easier to join; easier to participate | 参加しやすく; 参加しやすい; 参加しやすくする
受益者負担 | user fees; user fee; user charges; beneficiary pays; fees; charges | 使用料; 手数料; 利用料; 料金の見直し
公平 | fairness; fair; equity; equitable | 不公平
持続可能な開発目標（ＳＤＧｓ） | sustainable development goals; sustainable development | 持続可能な開発
行政改革推進本部 | reform headquarters; promotion headquarters; headquarters; task force | 推進本部; 行革本部
行政改革調査委員会 | review committee; investigation committee; committee; advisory committee; advisory board; external committee | 調査委員会; 委員会; 有識者会議; 審議会
点検・評価 | review; check; checks; inspection; monitoring; monitor; evaluate; evaluation; assess | チェック; 検証; 評価
公表 | publish; published; publication; made public; make public; disclose; disclosure; announce; report | 公開; 発表; 周知
進捗状況 | progress; status | 進み具合; 進行状況; 進捗; 進み方
広報紙 | newsletter; public relations magazine; city bulletin; bulletin; public relations | 広報誌; 市報; 広報
市ホームページ | website; web site; homepage; home page | ウェブサイト; ＨＰ; ホームページ
見直し | revise; revised; revision; revisions; change; changes; amend; amendment; update | 改定; 改訂; 変更; 変わる; 見直す
経営革新度調査 | management innovation survey; innovation survey; management innovation | 日経の調査; 日経新聞の調査; 革新度調査
日本経済新聞社 | nikkei | 日経; 日経新聞
市民満足度調査 | citizen satisfaction survey; resident satisfaction survey; satisfaction survey; satisfaction | 満足度調査; 市民アンケート
全国１位 | first in japan; first nationwide; top in japan; number one; no. 1; ranked first | 日本一; 全国トップ; 全国一位
効果額 | savings; financial effect; cost savings; amount saved; effect amount | 削減効果; 節約額
職員の削減 | staff reduction; staff cuts; headcount reduction; fewer staff; reducing staff | 人員削減; 職員数の削減; 職員を減らす
組織のスリム化 | streamlining the organization; slimmer organization; leaner organization | 組織の簡素化
未利用地 | unused land; idle land; vacant land | 空き地; 遊休地; 使っていない土地; 使われていない土地; 使っていない市有地
未利用地の売却 | sale of unused land; selling unused land; land sales; sell land; selling land; sold land | 土地の売却; 土地を売る; 土地を売った; 市有地の売却; 遊休地の売却
ＡＩ | ai; artificial intelligence; robotics; robots; robot; rpa | 人工知能; ロボット; ロボティクス
縮減 | reduce; reduced; reduction; decrease; cut down; shorten | 減らす; 減る; 減った; 短縮; 少なくする
削減 | cut; cuts; cutback; downsizing | 減らした; カット
上昇 | rise; rose; increase; increased; went up; improve; improved | 上がる; 上がった; 増える; 増えた; 伸びた
向上 | improve; improvement; improving; enhance; better; raise the quality | 高める; 良くする; レベルアップ
強化 | strengthen; strengthening; reinforce; enhance | 強める; 強くする; 充実させる
確保 | secure; securing; ensure; ensuring | 増やす; 集める; 確実にする
推進 | promote; promotion; promoting; advance; push forward | 進める; 進めていく; 取り組む
検討 | consider; considering; study; examine; explore; plan to | 考える; 考えている; 検討中
期限 | deadline; target year; due date; end date | 締め切り; 目標年
策定 | formulate; formulated; draw up; drawn up; establish; adopted; created; made | 作成; 作る; 作った
計画 | plan; plans; planning | プラン
市民 | citizens; citizen; residents; resident; public | 住民; 市民の皆さん
市 | city; municipality; atsugi; city government; local government | 厚木市; 本市
"""


@dataclass(frozen=True)
class LexiconEntry:
    """One core term of the outline with the words people use for it."""

    term: str                     # the outline's own word (display characters)
    english: tuple[str, ...]      # English renderings, lower case
    japanese: tuple[str, ...]     # everyday / abbreviated Japanese words for it


@dataclass(frozen=True)
class LexiconMatch:
    """A span of the (NFKC, lower-case) question that names a lexicon entry."""

    start: int
    end: int
    text: str
    entry: LexiconEntry
    conjugated: bool = False      # matched through a verb's dictionary form (減り for 減る)


def _norm(text: str) -> str:
    return unicodedata.normalize("NFKC", text).lower()


def parse_lexicon(text: str) -> tuple[LexiconEntry, ...]:
    """Entries from the ``term | english ; ... | japanese ; ...`` table (``#`` lines skipped)."""
    out = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        parts = [p.strip() for p in line.split("|")]
        parts += [""] * (3 - len(parts))
        split = lambda s: tuple(w.strip() for w in s.split(";") if w.strip())  # noqa: E731
        out.append(LexiconEntry(parts[0], tuple(_norm(w) for w in split(parts[1])), split(parts[2])))
    return tuple(out)


class DomainLexicon:
    """Finds lexicon words in a question and maps them to the outline's terms.

    Args:
        entries: the vocabulary (default: :data:`LEXICON_TEXT`).
    """

    def __init__(self, entries: tuple[LexiconEntry, ...]) -> None:
        self.entries = entries
        pats = []
        phrases = []
        for e in entries:
            for w in e.english:
                words = tuple(stem(x) for x in _WORD.findall(w))
                if words and len(" ".join(words)) >= 2:
                    phrases.append((" ".join(_WORD.findall(w)), words, e))
            # The outline's own word is listed too, so it wins over a shorter variant inside it
            # (「総合窓口」 stays itself instead of its part 「窓口」 matching).
            for w in {_norm(e.term), *(_norm(j) for j in e.japanese)}:
                w = "".join(w.split())
                if len(w) < 2:
                    continue
                if w.isascii():     # ＡＩ, ＮＰＯ: whole words only ("ai" is not in "chairs")
                    pats.append((len(w), re.compile(r"(?<![a-z0-9])" + re.escape(w) + r"(?![a-z0-9])"), e))
                else:
                    pats.append((len(w), re.compile(re.escape(w)), e))
        pats.sort(key=lambda p: -p[0])
        phrases.sort(key=lambda p: (-len(p[1]), -len(p[0])))
        self._patterns = pats
        self._phrases = phrases
        self._first_word: dict[str, list[tuple[str, tuple[str, ...], LexiconEntry]]] = {}
        for ph in phrases:
            self._first_word.setdefault(ph[1][0], []).append(ph)

    def matches(self, question: str, conjugated: bool = True) -> list[LexiconMatch]:
        """Non-overlapping matches in the NFKC, lower-case question, longest first, in text order.

        Japanese words are matched in the question without spaces; English ones with them, so
        spans refer to :func:`matching_text` of the question.

        Args:
            question: the question (or any text).
            conjugated: also match listed dictionary forms against conjugated verbs (減り for
                減る).
        """
        text = matching_text(question)
        taken = [False] * len(text)
        found = []
        # English: phrases as sequences of stemmed words ("attract businesses" = "attracting
        # business"), more words first.
        words = [(m.start(), m.end(), stem(m.group(0))) for m in _WORD.finditer(text)]
        cands = []
        for i, (_, _, w) in enumerate(words):
            for original, seq, e in self._first_word.get(w, ()):
                if tuple(x[2] for x in words[i:i + len(seq)]) == seq:
                    span = " ".join(_WORD.findall(text[words[i][0]:words[i + len(seq) - 1][1]]))
                    # Among equally long matches the one written exactly as asked wins
                    # ("staff" is 職員, not the "staffing" of 人員配置 that stems the same).
                    cands.append((len(seq), span != original, i, seq, e))
        for n, _, i, seq, e in sorted(cands, key=lambda c: (-c[0], c[1], c[2])):
            start, end = words[i][0], words[i + n - 1][1]
            if not any(taken[start:end]):
                for j in range(start, end):
                    taken[j] = True
                found.append(LexiconMatch(start, end, text[start:end], e))
        # Japanese words, longest first. The table lists dictionary forms (減る, 職員を減らす);
        # the question may say 減り, 減らして: each pattern is also tried on the text with every
        # verb and adjective in its dictionary form, mapped back to the question's own span, so
        # a longer conjugated match (職員を減らして) still wins over a shorter literal one (職員).
        lemma, origin = dictionary_form_text(text) if conjugated else (text, ())
        texts = [(text, None)] + ([(lemma, origin)] if lemma != text else [])
        for _, pat, e in self._patterns:
            for hay, where in texts:
                for m in pat.finditer(hay):
                    if m.end() <= m.start():
                        continue
                    start, end = (m.start(), m.end()) if where is None else (where[m.start()], where[m.end() - 1] + 1)
                    if not any(taken[start:end]):
                        for i in range(start, end):
                            taken[i] = True
                        found.append(LexiconMatch(start, end, text[start:end], e, where is not None))
        return sorted(found, key=lambda m: m.start)

    def expansion_terms(self, question: str) -> list[str]:
        """The outline terms named by the question (in order, once each), excluding words the
        question already contains verbatim."""
        text = matching_text(question)
        out = []
        for m in self.matches(question):
            # A conjugated bare verb (増やして -> 確保) is too generic to search with: it would pull
            # in sections about something else (公園のベンチを増やして -> 歳入の確保). It still counts
            # for coverage; a conjugated phrase with its object (職員を減らして) is specific enough.
            if m.conjugated and not _OBJECT_PHRASE.search(m.text):
                continue
            t = _norm(m.entry.term)
            if t not in out and t not in text:
                out.append(t)
        return out

    def expand(self, question: str) -> str:
        """The question followed by the outline terms it names (for BM25 and the dense query)."""
        extra = self.expansion_terms(question)
        return f"{question} {' '.join(extra)}" if extra else question

    def rewrite(self, question: str) -> str:
        """The question with each match replaced by its outline term (for coverage and the
        unknown-item check): 「前回の行革の課題」 -> 「第6次行政改革の課題」; "When does the outline
        end?" -> "when does 大綱 end?"."""
        text = matching_text(question)
        out, pos = [], 0
        for m in self.matches(question):
            out.append(text[pos:m.start])
            term = _norm(m.entry.term)
            # Keep a space around a replaced English phrase so the words beside it stay words.
            out.append(f" {term} " if m.text.isascii() else term)
            pos = m.end
        out.append(text[pos:])
        return " ".join("".join(out).split())


_WORD = re.compile(r"[a-z0-9]+(?:\.[0-9]+)?")


def stem(word: str) -> str:
    """A light English stemmer for matching: plural, -ing and -ed endings off.

    "businesses" -> "business", "attracting" -> "attract", "policies" -> "policy",
    "revised" -> "revis" (and "revise" -> "revis"): both sides of a match go through it, so
    it only has to be consistent, not linguistic.
    """
    w = word.lower()
    if len(w) <= 3:
        return w
    for suffix, repl in (("ies", "y"), ("sses", "ss"), ("shes", "sh"), ("ches", "ch"), ("xes", "x"),
                         ("nesses", "ness"), ("ing", ""), ("ed", ""), ("es", "e"), ("s", "")):
        if w.endswith(suffix) and len(w) - len(suffix) >= 3 and not w.endswith("ss"):
            w = w[: len(w) - len(suffix)] + repl
            break
    if w.endswith("e") and len(w) > 4:
        w = w[:-1]
    return w


_CJK = re.compile(r"([\u3000-\u30ff\u3400-\u9fff\uff00-\uffef]) +(?=[\u3000-\u30ff\u3400-\u9fff\uff00-\uffef])")


def matching_text(question: str) -> str:
    """NFKC, lower case, single spaces, and no spaces between Japanese characters."""
    t = " ".join(_norm(question).split())
    return _CJK.sub(r"\1", t)


_INFLECTED_POS = ("動詞", "形容詞")
_OBJECT_PHRASE = re.compile(r"[\u3400-\u9fff\u30a0-\u30ff]{2,}[をがに]")


@lru_cache(maxsize=4096)
def dictionary_form_text(text: str) -> tuple[str, tuple[int, ...]]:
    """``text`` with every inflected verb and adjective in its dictionary form (Sudachi), and for
    each character of the result the offset of the character of ``text`` it comes from.

    「職員を減らして」 -> 「職員を減らすて」: a lexicon word written in its dictionary form
    (職員を減らす) then matches. Only Japanese text is tokenized; other text is returned as is.
    Cached: the same question is matched several times per answer.
    """
    if not _JA.search(text):
        return text, tuple(range(len(text)))
    from sudachipy import SplitMode

    from index.lexical import _sudachi      # lazy: Sudachi loads its dictionary on first use

    out: list[str] = []
    origin: list[int] = []
    for m in _sudachi().tokenize(text, SplitMode.C):
        surface, begin = m.surface(), m.begin()
        form = m.dictionary_form() if m.part_of_speech()[0] in _INFLECTED_POS else surface
        if form == surface or not form:
            out.append(surface)
            origin.extend(range(begin, begin + len(surface)))
        else:
            out.append(form)
            # The shared stem keeps its offsets; a longer ending points to the word's last char.
            for i in range(len(form)):
                origin.append(begin + min(i, len(surface) - 1))
    return "".join(out), tuple(origin)


_JA = re.compile(r"[\u3040-\u30ff\u3400-\u9fff]")


@lru_cache(maxsize=1)
def default_lexicon() -> DomainLexicon:
    """The built-in lexicon (built once; read-only afterwards, shared by all threads)."""
    return DomainLexicon(parse_lexicon(LEXICON_TEXT))
