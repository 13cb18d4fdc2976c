"""Check やさしい日本語 against the guidelines of 出入国在留管理庁・文化庁
(在留支援のためのやさしい日本語ガイドライン).

Every `easy` text of the catalog and of every pack is read sentence by sentence:
- a sentence holds about 40 characters at most (counted without spaces and readings), and
  one closed by 。 ends in です/ます;
- brackets never sit inside brackets;
- a word with a kanji beyond grade 2 (bot/content/kanji.py) gets its reading in brackets at its
  first use in the text, 地域（ちいき）, unless the pack lists it in `easy_exceptions`;
- no honorific forms (尊敬語・謙譲語), お〜します and ご〜ください among them;
- no double negatives (〜ないことはない);
- numbers in digits, not kanji (3人, not 三人; もう いちど, not もう 一度);
- times on a 12-hour clock with 午前/午後, without 00分: 午後5時, not 17時, 17:00 or 5時00分;
- no katakana loanwords where a plain word exists (KATAKANA_TO_AVOID);
- a button named in 「」 reads as the button does (「場所（ばしょ）なし」, not 「場所なし」).
Each fault names the file, the key and the sentence.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from bot.content.answers import FaqEntry
from bot.content.catalog import Catalog
from bot.content.kanji import KANJI_RUN, basic_kanji, is_hard
from bot.content.schema import Pack, texts_in
from bot.core.localized import EASY, JA

MAX_SENTENCE = 40

# A reading: kana (and spaces between words) in brackets straight after a word.
READING = re.compile(r"（[\u3041-\u309f\u30a0-\u30ff\s]+）")
PLACEHOLDER = re.compile(r"\{[^{}]*\}")
SENTENCE_END = re.compile(r"(?<=[。！？!?])|\n")
OPENING, CLOSING = "（(", "）)"

# Honorific forms the guidelines ask to avoid; ありがとうございます stays (a set greeting).
HONORIFICS = re.compile(
    r"いらっしゃ|おっしゃ|(?<!ありがとう)(?<!おはよう)ござい|申し上げ|いただ|頂|召し上が|存じ"
    r"|伺|拝見|参ります|ご覧|お越し|(?<!ごめん)なさ[いれっ]|くださいませ"
)

# お/ご + a verb's stem + する/ください (お知らせします, ご確認ください): humble or honorific; the
# plain verb says it (知らせます, 確かめてください). A particle between them (お知らせを します)
# makes it a noun and passes.
HUMBLE = re.compile(
    r"(?<![ぁ-ん])[おご][\u4e00-\u9fff]+(?:(?![をがはにでとものへや])[ぁ-ん]){0,2}"
    r"(?:ください|します|しました|しません|いたし|になり|になっ|願い)"
)

# Two negatives that make a positive are hard to follow: say the positive.
DOUBLE_NEGATIVE = re.compile(
    r"ない\s*(?:こと|わけ|もの)\s*(?:は|では|でも)\s*(?:ない|ありません)"
    r"|なく(?:は|も)\s*(?:ない|ありません)|ないでも\s*(?:ない|ありません)|ざるを\s*(?:得|え)"
)

# A kanji numeral counting something (三人, 一度): digits (3人) or kana (いちど) read easier.
KANJI_NUMBER = re.compile(
    r"[一二三四五六七八九十百千万]+(?:つ|人|日|月|年|回|個|こ|分|時|度|番|週|か月|ヶ月|件)"
)

# Times as the guidelines write them: 午後5時 or 午後5時30分. A 24-hour hour (13時–23時), a
# clock face (17:00) and 00分 all ask the reader to convert.
TWENTY_FOUR_HOUR = re.compile(r"(?<![0-9０-９])(?:1[3-9]|2[0-4]|１[３-９]|２[０-４])時")
CLOCK_FACE = re.compile(r"(?<![0-9０-９])[0-9０-９]{1,2}[:：][0-9０-９]{2}(?![0-9０-９])")
ZERO_MINUTES = re.compile(r"時[0０]{1,2}分")

# A sentence ends in です/ます (or a polite request or invitation); set greetings aside.
POLITE_END = re.compile(
    r"(です|ます|ました|でした|ません|ませんでした|ください|ましょう|ませんか|ですか|ますか"
    r"|でしょう|でしょうか)[」』]*$"
)
GREETINGS = ("こんにちは", "こんばんは", "おはよう", "ごめんなさい", "ありがとう", "すみません")
_TRAILING_NOTE = re.compile(r"[（(][^（）()]*[）)]$")

# Katakana loanwords with a plain Japanese word a reader knows better.
KATAKANA_TO_AVOID = {
    "グループ": "なかま / あつまり / 団体（だんたい）",
    "データ": "じょうほう",
    "サポート": "てつだう / ささえる",
    "メンバー": "なかま",
    "スケジュール": "よてい",
    "キャンセル": "やめる / とりけす",
    "ルール": "きまり",
    "チェック": "たしかめる",
    "ニックネーム": "よびな",
    "パートナー": "なかま",
    "テーマ": "話（はなし）の 中心",
    "スタッフ": "係（かかり）の 人",
}


@dataclass(frozen=True, slots=True)
class EasyFault:
    where: str  # the file
    key: str  # the catalog key or the pack field
    problem: str
    sentence: str

    def __str__(self) -> str:
        return f"{self.where}: {self.key} (easy): {self.problem}: 「{self.sentence}」"


def check_text(text: str, exceptions: tuple[str, ...] = ()) -> list[tuple[str, str]]:
    """The faults of one easy text, as (problem, sentence) pairs."""
    faults: list[tuple[str, str]] = []
    read: set[str] = set()
    for raw in SENTENCE_END.split(text):
        sentence = raw.strip()
        if not sentence:
            continue
        faults += [(problem, sentence) for problem in _sentence_faults(sentence)]
        faults += [
            (f"「{word}」needs a reading in brackets at its first use", sentence)
            for word in _unread_words(sentence, exceptions, read)
        ]
    return faults


def sentence_length(sentence: str) -> int:
    """Characters a reader reads: without readings, spaces, and with a placeholder as 2."""
    plain = PLACEHOLDER.sub("〇〇", READING.sub("", sentence))
    return len(re.sub(r"\s", "", plain))


def _sentence_faults(sentence: str) -> list[str]:
    problems = []
    length = sentence_length(sentence)
    if length > MAX_SENTENCE:
        problems.append(f"{length} characters (at most about {MAX_SENTENCE}: one idea a sentence)")
    depth = 0
    for char in sentence:
        if char in OPENING:
            depth += 1
            if depth == 2:
                problems.append("brackets inside brackets")
        elif char in CLOSING:
            depth = max(depth - 1, 0)
    if not _polite(sentence):
        problems.append("not です/ます (end the sentence politely)")
    for found in sorted(set(HONORIFICS.findall(sentence)) | set(HUMBLE.findall(sentence))):
        problems.append(f"honorific form 「{found}」 (use plain です/ます)")
    if DOUBLE_NEGATIVE.search(sentence):
        problems.append("a double negative (say it the positive way)")
    for found in sorted(set(KANJI_NUMBER.findall(sentence))):
        problems.append(f"a number in kanji 「{found}」 (write digits, 3人, or kana, いちど)")
    for found in sorted(set(TWENTY_FOUR_HOUR.findall(sentence))):
        problems.append(f"a 24-hour time 「{found}」 (write 午前/午後 and 1–12: 午後5時)")
    for found in sorted(set(CLOCK_FACE.findall(sentence))):
        problems.append(f"a clock time 「{found}」 (write 午前/午後 with 時 and 分: 午後5時30分)")
    if ZERO_MINUTES.search(sentence):
        problems.append("「00分」 (leave it out: 午後5時)")
    for word, instead in KATAKANA_TO_AVOID.items():
        if word in sentence:
            problems.append(f"katakana 「{word}」: say {instead}")
    return problems


def _polite(sentence: str) -> bool:
    """Whether a sentence closed by 。 ends politely; a note in brackets after it, a heading or a
    label (no 。) and a set greeting pass."""
    if not sentence.endswith("。") or sentence.startswith(GREETINGS):
        return True
    body = sentence[:-1].rstrip()
    while _TRAILING_NOTE.search(body):
        body = _TRAILING_NOTE.sub("", body).rstrip()
    return (
        not body or PLACEHOLDER.fullmatch(body) is not None or POLITE_END.search(body) is not None
    )


def _unread_words(sentence: str, exceptions: tuple[str, ...], read: set[str]) -> list[str]:
    """Kanji words beyond grade 2 with no reading at their first use; `read` keeps the words
    already read in this text."""
    text = PLACEHOLDER.sub(" ", sentence)
    for word in sorted(exceptions, key=len, reverse=True):
        text = text.replace(word, " ")
    unread = []
    for run in KANJI_RUN.finditer(text):
        word = run.group()
        # A word read inside a longer one counts as read: 松本市（まつもとし） … 松本.
        if not is_hard(word) or any(word in known for known in read):
            continue
        if _reading_follows(text, run.end()):
            read.add(word)
        else:
            unread.append(word)
            read.add(word)  # named once per text
    return unread


def _reading_follows(text: str, position: int) -> bool:
    """Whether a reading comes after the word's ending: kana and easy kanji may stand between,
    as in 見守り（みまもり） or 問い合わせ（といあわせ）."""
    while position < len(text) and (
        "\u3041" <= text[position] <= "\u309f" or text[position] in basic_kanji()
    ):
        position += 1
    return READING.match(text, position) is not None


def check_catalog(
    catalog: Catalog, where: str, exceptions: tuple[str, ...] = ()
) -> list[EasyFault]:
    entries = sorted(catalog.entries().items())
    faults = [
        EasyFault(where, key, problem, sentence)
        for key, entry in entries
        for problem, sentence in check_text(entry[EASY], exceptions)
    ]
    return faults + _misquoted_labels(entries, where)


QUOTED = re.compile(r"「([^「」{}]+)」")


def _misquoted_labels(
    entries: Sequence[tuple[str, dict[str, str]]], where: str
) -> list[EasyFault]:
    """A text that tells the reader to press 「…」 must quote the button as the easy reader sees
    it: 「場所なし」 under a button that reads 場所（ばしょ）なし sends them looking."""
    shown: dict[str, set[str]] = {}
    for _, entry in entries:
        for language in (JA, EASY):
            shown.setdefault(_bare(entry[language]), set()).add(entry[EASY])
    faults = []
    for key, entry in entries:
        for quote in QUOTED.findall(entry[EASY]):
            labels = shown.get(_bare(quote), set())
            if labels and quote not in labels:
                reads = "」「".join(sorted(labels))
                problem = f"「{quote}」 names a button that reads 「{reads}」"
                faults.append(EasyFault(where, key, problem, quote))
    return faults


def _bare(text: str) -> str:
    """A text without its readings and spaces, to match a quote with the label it names."""
    return re.sub(r"\s", "", READING.sub("", text))


def check_pack(pack: Pack, where: str) -> list[EasyFault]:
    """Every easy text of the pack, its own catalog wording included."""
    exceptions = tuple(pack.easy_exceptions)
    faults = [
        EasyFault(where, key, problem, sentence)
        for key, text in texts_in(pack)
        if text.easy
        for problem, sentence in check_text(text.easy, exceptions)
    ]
    faults += [
        EasyFault(where, f"messages.{key}", problem, sentence)
        for key, message in pack.messages.items()
        for problem, sentence in check_text(message.easy, exceptions)
    ]
    return faults


def check_faq(entries: Sequence[FaqEntry], pack: Pack, where: str) -> list[EasyFault]:
    """The easy answers of a pack's FAQ (content/<pack>/faq.yaml)."""
    exceptions = tuple(pack.easy_exceptions)
    return [
        EasyFault(where, f"faq.{entry.id}.answer", problem, sentence)
        for entry in entries
        if entry.answer.easy
        for problem, sentence in check_text(entry.answer.easy, exceptions)
    ]
