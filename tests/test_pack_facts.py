"""Each fact the cities' pages state, read back from the packs (content/*/pack.yaml).

The pages are in the shared seeds (see their README); these are the points where an earlier
pack said more, less or something else than the page.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from pathlib import Path

import pytest
from pydantic import BaseModel

from bot.content import LANGUAGES, Pack, Text, load_catalog, load_pack
from bot.content.answers import load_faq
from bot.content.schema import Message
from tests.test_content import CONTENT


@pytest.fixture(scope="module")
def tomioka() -> Pack:
    return load_pack(CONTENT, "tomioka")


@pytest.fixture(scope="module")
def matsumoto() -> Pack:
    return load_pack(CONTENT, "matsumoto")


def _roles(pack: Pack, actor_id: str) -> list[str]:
    actor = pack.actor(actor_id)
    assert actor is not None
    return [role.ja for role in actor.roles]


# Tomioka


def test_tomioka_the_citys_pledges_say_it_will_strive(tomioka: Pack) -> None:
    know = tomioka.goal("know")
    assert know is not None
    assert "情報発信と体制整備に努めます" in know.actions["city"].ja
    roles = _roles(tomioka, "city")
    assert any("環境を整えるよう努めます" in role for role in roles)
    assert any("反映するよう努めます" in role for role in roles)
    assert any("職員の意識向上に努めます" in role for role in roles)
    # The easy and English texts carry the same "we will try", not a firm promise.
    city = tomioka.actor("city")
    assert city is not None
    for role in city.roles:
        if "努めます" in role.ja:
            assert "努力" in (role.easy or "")
            assert role.en.startswith(("Works", "Tries"))


def test_tomioka_challenge_one_has_its_official_name(tomioka: Pack) -> None:
    assert tomioka.background is not None
    titles = [challenge.title.ja for challenge in tomioka.background.challenges]
    assert titles[0] == "課題1 地域づくりの取組の市民への浸透"
    assert titles[2] == "課題3 地域の声の反映"


def test_tomioka_keeps_the_pages_own_words(tomioka: Pack) -> None:
    groups = tomioka.actor("groups")
    assert groups is not None
    assert "公共性・公益性の高い" in groups.who.ja
    assert "私たちや家族、地域の皆さん" in tomioka.vision.text.ja


def test_tomioka_names_the_future_meetings_theme_and_what_it_discussed(tomioka: Pack) -> None:
    assert tomioka.background is not None
    intro = tomioka.background.intro.ja
    assert "地域づくりの推進～みんなでとみおかの未来を考えてみませんか～" in intro
    assert "個人・地域・行政が担うべき役割" in intro


def test_tomioka_heads_the_citys_part_of_each_goal_as_the_page_does(tomioka: Pack) -> None:
    city = tomioka.actor("city")
    assert city is not None
    assert tomioka.goals.actor_label(city).ja == "市（公民館）"
    for goal in tomioka.goals.items:
        # The page's label, not a sentence the pack added to each text.
        assert "公民館が中心" not in goal.actions["city"].ja
        assert "公民館が中心" not in (goal.actions["city"].easy or "")


def test_tomioka_english_avoids_mind_your_own_business(tomioka: Pack) -> None:
    talk = tomioka.goal("talk")
    assert talk is not None and talk.subtitle is not None
    assert "business" not in talk.subtitle.en
    assert "business" not in tomioka.vision.text.en


# Matsumoto


def test_matsumoto_chokai_is_semi_public_and_voluntary(matsumoto: Pack) -> None:
    chokai = matsumoto.actor("chokai")
    assert chokai is not None
    assert "準公共的な性格を持つ任意の自治組織" in chokai.who.ja
    assert "semi-public" in chokai.who.en


def test_matsumoto_membership_drive_is_the_citys_policy(matsumoto: Pack) -> None:
    assert not any("加入" in role for role in _roles(matsumoto, "chokai"))
    assert any("町会への加入を促進" in role for role in _roles(matsumoto, "city"))


def test_matsumoto_pools_the_communitys_knowledge_not_the_partners(matsumoto: Pack) -> None:
    partners = matsumoto.actor("partners")
    assert partners is not None
    assert "知恵" not in partners.who.ja
    assert any("地域が持つ知恵や人のつながり" in role for role in _roles(matsumoto, "partners"))


def test_matsumoto_roles_say_the_chat_grouped_them(matsumoto: Pack) -> None:
    assert matsumoto.actors.note is not None
    assert "このチャットが主体ごとにまとめています" in matsumoto.actors.note.ja
    assert len(matsumoto.actors.items) == 5


def test_matsumoto_has_no_everyday_examples_the_page_does_not_give(matsumoto: Pack) -> None:
    assert matsumoto.about.examples == []
    assert matsumoto.background is not None
    # They are the page's growing challenges, and stay there.
    assert "見守り" in matsumoto.background.intro.ja
    assert "助け合い" in matsumoto.background.intro.ja


def test_matsumoto_quotes_its_definition(matsumoto: Pack) -> None:
    assert "「安心して、いきいきと暮らせる住みよい地域社会を構築するため、住民が主体となって" in (
        matsumoto.about.definition.ja
    )
    assert "vigorously" not in matsumoto.about.definition.en


def test_matsumoto_keeps_the_community_and_administrative_systems(matsumoto: Pack) -> None:
    system = matsumoto.system
    assert [group.name.ja for group in system.groups] == ["地域システム", "行政システム"]
    assert [p.id for p in system.parts_of("community")] == [
        "loose-council",
        "district-plan",
        "chokai",
    ]
    assert [p.id for p in system.parts_of("administration")] == [
        "center",
        "support-teams",
        "partners",
    ]
    assert system.parts_of(None) == []


def test_matsumoto_goals_intro_stands_on_its_own(matsumoto: Pack) -> None:
    assert matsumoto.goals.intro is not None
    assert "番号" not in matsumoto.goals.intro.ja
    assert "rather than" not in matsumoto.goals.intro.en


def test_matsumoto_gives_the_city_halls_address(matsumoto: Pack) -> None:
    assert matsumoto.contact.address is not None
    assert matsumoto.contact.address.ja == "〒390-8620 長野県松本市丸の内3番7号"
    assert matsumoto.contact.phone == "0263-34-3000"


# Shared


def test_english_lists_actors_with_and(matsumoto: Pack) -> None:
    ids = ("residents", "chokai", "city")
    assert matsumoto.actor_names(ids, "en") == (
        "Residents, neighbourhood associations (町会) and the city (head office)"
    )
    assert matsumoto.actor_names(ids[:1], "en") == "Residents"
    assert matsumoto.actor_names(ids, "ja") == "住民、町会、市（本庁）"
    # The button to an actor's roles reads for any actor's name ("What The city do" did not).
    button = load_catalog(CONTENT).text("outcomes.role_button", "en", actor="The city")
    assert button == "Role: The city"


# Every statement against the page itself. tests/seeds/ holds the two pages as saved (see the
# README there); the packs are written in our own words, so a fact is pinned as a pair: the
# page's wording and the pack's. Beyond the pinned facts, every number, year, name and quoted
# phrase a resident can read in a pack (ja, easy, en; pack.yaml and faq.yaml) must come from its
# page: an invented date, count, phone number, opening hour or body fails here.

SEEDS = Path(__file__).parent / "seeds"
PAGES = {"tomioka": "tomioka-chiikizukuri.txt", "matsumoto": "matsumoto-chiikizukuri.txt"}


@functools.cache
def page(pack_id: str) -> str:
    return (SEEDS / PAGES[pack_id]).read_text(encoding="utf-8")


def flat(text: str) -> str:
    """`text` without readings in brackets and without spaces, for comparing wordings:
    地域（ちいき）づくり 条例 → 地域づくり条例; full-width forms folded (（ → ()."""
    text = unicodedata.normalize("NFKC", text)
    text = re.sub(r"\([ぁ-ゖー ]+\)", "", text)
    return re.sub(r"\s+", "", text)


def resident_texts(pack: Pack) -> list[tuple[str, str, str]]:
    """(where, language, text) for every text a resident can read: the pack's sections, its
    own catalog phrases and its FAQ answers."""
    found: list[tuple[str, str, str]] = []

    def walk(node: object, where: str) -> None:
        if isinstance(node, (Text, Message)):
            for language in LANGUAGES:
                if value := getattr(node, language):
                    found.append((where, language, value))
        elif isinstance(node, BaseModel):
            for name in type(node).model_fields:
                walk(getattr(node, name), f"{where}.{name}".lstrip("."))
        elif isinstance(node, dict):
            for key, value in node.items():
                walk(value, f"{where}.{key}")
        elif isinstance(node, list):
            for index, value in enumerate(node):
                walk(value, f"{where}.{index}")

    walk(pack, "")
    for entry in load_faq(CONTENT, pack):
        walk(entry.answer, f"faq:{entry.id}")
    return found


def read(pack: Pack, where: str) -> str:
    """The Japanese text at `where`: a dotted path into the pack (background.challenges.0.text)
    or faq:<id> for an FAQ answer."""
    if where.startswith("faq:"):
        (entry,) = [e for e in load_faq(CONTENT, pack) if e.id == where[4:]]
        return entry.answer.ja
    node: object = pack
    for step in where.split("."):
        if isinstance(node, list):
            node = node[int(step)]
        elif isinstance(node, dict):
            node = node[step]
        else:
            node = getattr(node, step)
    return node.ja if isinstance(node, Text) else str(node)


def _ja_era_years(text: str) -> set[int]:
    """Western years of the era dates in `text`: 平成30年度 → 2018, 令和2年度から3年度 → 2020 and
    2021, 令和2〜3年度 → 2020 and 2021."""
    years: set[int] = set()
    pattern = r"(平成|令和)(\d+)(?:年度?)?(?:(?:から|~|〜|-)(\d+)年)?"
    for era, first, last in re.findall(pattern, text):
        base = 1988 if era == "平成" else 2018
        years.add(base + int(first))
        if last:
            years.add(base + int(last))
    return years


def years(text: str) -> set[int]:
    """Every year `text` names, as a western year (2022年, 令和4年, fiscal 2018)."""
    text = unicodedata.normalize("NFKC", text)
    western = {int(y) for y in re.findall(r"(?<!\d)((?:19|20)\d\d)(?!\d)", text)}
    return western | _ja_era_years(text)


MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August"]
MONTHS += ["September", "October", "November", "December"]


def days(text: str) -> set[tuple[int, int]]:
    """(month, day) of every date in `text`: 4月1日, 1 April, April 1."""
    text = unicodedata.normalize("NFKC", text)
    found = {(int(m), int(d)) for m, d in re.findall(r"(\d+)月(\d+)日", text)}
    names = "|".join(MONTHS)
    for day, month in re.findall(rf"\b(\d{{1,2}}) ({names})\b", text):
        found.add((MONTHS.index(month) + 1, int(day)))
    for month, day in re.findall(rf"\b({names}) (\d{{1,2}})\b", text):
        found.add((MONTHS.index(month) + 1, int(day)))
    return found


def numbers(text: str) -> set[str]:
    """The numbers in `text` other than counts (3つ, 2つめ), each as written: 0274, 62, 2022."""
    text = unicodedata.normalize("NFKC", text)
    return set(re.findall(r"(?<!\d)\d+(?!\d|つ)", text))


ENGLISH_NUMBERS = {"two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8}
ENGLISH_NUMBERS |= {"nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "twenty": 20, "thirty": 30}


def counts(text: str) -> set[int]:
    """The counts in `text`: 4つの課題 → 4, four challenges → 4; ordinals (1つめ) are not
    counts, nor "one" (each one of us)."""
    text = unicodedata.normalize("NFKC", text)
    found = {int(n) for n in re.findall(r"(?<!\d)(\d+)つ(?!め)", text)}
    words = re.findall(rf"\b({'|'.join(ENGLISH_NUMBERS)})\b", text, re.IGNORECASE)
    return found | {ENGLISH_NUMBERS[word.lower()] for word in words}


def page_counts(pack_id: str) -> set[int]:
    """How many of each list the page gives (its challenges, goals, principles, the roles of
    each actor, …): the only counts a pack may state."""
    text = page(pack_id)
    if pack_id == "tomioka":
        roles = tomioka_roles_on_page()
        return {
            len(re.findall(r"^課題\d ", text, re.M)),
            len(re.findall(r"^目標\d ", text, re.M)),
            len(roles),
            *roles.values(),
        }
    principles = _principles(text)
    centre = re.search(r"地域づくりセンターは各地区.*", text)
    strength = re.search(r"住民自治、.*?といった", text)
    assert centre is not None and strength is not None
    return {
        principles.count("•"),
        len(re.findall(r"^\s*(地域|行政)システムとは", text, re.M)),
        len(re.findall(r"[（(]", centre.group())),  # 支所・出張所, 公民館, 福祉ひろば: one centre
        strength.group().count("、") + 1,  # what 地域力 is made of
        1,  # "made one" (一体となり)
    }


def tomioka_roles_on_page() -> dict[str, int]:
    """How many roles Tomioka's page lists for each actor (主体ごとに期待される役割)."""
    part = page("tomioka").split("主体ごとに期待される役割")[1].split("地域づくりって")[0]
    actors = re.split(r"\n(?=市民…|地域づくり団体…|市…)", part)[1:]
    ids = {"市民": "residents", "地域づくり団体": "groups", "市": "city"}
    return {ids[actor.split("…")[0]]: actor.count("•") for actor in actors}


def _principles(text: str) -> str:
    """Matsumoto's list of basic principles (a bullet each)."""
    return text.split("\n地域づくりの基本理念\n")[1].split("松本市の地域づくりシステム")[0]


def test_the_seed_pages_are_the_ones_the_packs_name() -> None:
    for pack_id in PAGES:
        pack = load_pack(CONTENT, pack_id)
        for source in pack.sources:
            assert source.title.ja in page(pack_id)
    assert "登録日:2022年4月1日" in page("tomioka")
    assert str(load_pack(CONTENT, "tomioka").sources[0].registered) == "2022-04-01"


# (where in the pack, the pack's wording, the page's wording when it differs). Both halves must
# hold: the page says it, and the pack says it.
FACTS = {
    "tomioka": [
        ("sources.0.title", "富岡市地域づくり条例・みんなの地域づくり基本指針", None),
        ("contact.office", "総務部 地域づくり課", None),
        ("contact.phone", "0274-62-1511", "電話番号:0274-62-1511"),
        ("contact.fax", "0274-62-0357", "FAX番号:0274-62-0357"),
        ("vision.statement", "誰もが安心して暮らし続けられる地域社会", None),
        ("vision.text", "「富岡市地域づくり条例」", "富岡市地域づくり条例を策定"),
        ("vision.text", "「みんなの地域づくり基本指針」", "みんなの地域づくり基本指針を作成"),
        ("vision.text", "令和4年（2022年）4月1日から施行", "令和4年4月1日に施行しました"),
        ("vision.text", "具体的な目標と行動", "具体的な目標やアクション"),
        (
            "vision.text",
            "地域づくりの主役は、私たち一人ひとり",
            "地域づくりの主役は私たち一人ひとり",
        ),
        ("vision.text", "次の世代へバトンタッチ", "次世代にバトンタッチ"),
        (
            "background.intro",
            "平成30年度と令和2年度の市民アンケート",
            "平成30年度・令和2年度:市民アンケート",
        ),
        ("background.intro", "令和2年度の市民満足度調査", "令和2年度:市民満足度調査"),
        ("background.intro", "令和2〜3年度", "令和2年度から3年度"),
        (
            "background.intro",
            "地域づくり協議会の役員などと開いた意見交換会",
            "地域づくり協議会役員を中心とする意見交換会",
        ),
        ("background.intro", "「とみおか未来会議」", "とみおか未来会議で"),
        (
            "background.intro",
            "「地域づくりの推進～みんなでとみおかの未来を考えてみませんか～」",
            None,
        ),
        ("background.intro", "個人・地域・行政が担うべき役割", None),
        (
            "background.challenges.0.text",
            "必要と感じている「地域づくり」への思い",
            "必要と感じている「地域づくり」への想い",
        ),
        (
            "background.challenges.1.text",
            "新しい視点で長く続けられる体制",
            "新たな視点で持続可能な体制",
        ),
        ("background.challenges.2.text", "潜在性", "より多くの潜在性を引き出す"),
        (
            "background.challenges.3.text",
            "市民・地域づくり団体と市が一緒に取り組むしくみ",
            "市民・地域づくり団体と市が協働するしくみ",
        ),
        ("goals.items.0.actions.residents", "地域や地域づくりについて関心を持ちましょう", None),
        ("goals.items.0.actions.groups", "学べる機会をつくり、地域づくりに活かしましょう", None),
        (
            "goals.items.0.actions.city",
            "より多くの市民が地域や地域づくりについて知り、学べるよう、情報発信と体制整備に努めます",
            None,
        ),
        ("goals.items.1.actions.residents", "地域で起きていることを知り", None),
        ("goals.items.1.actions.groups", "より多くの市民が地域づくりに関わりやすくなる方法", None),
        (
            "goals.items.1.actions.city",
            "話し合いの場づくりをはじめ、できる限りの支援",
            "対話の場づくりをはじめ、最大限の支援",
        ),
        (
            "goals.items.2.actions.residents",
            "身近な課題の解決に取り組んでみましょう",
            "身近な課題解決に取り組んでみましょう",
        ),
        ("goals.items.2.actions.groups", "人を育て", "人材を育む"),
        ("goals.items.2.actions.groups", "組織を見直し", "組織の見直しと機能強化"),
        (
            "goals.items.2.actions.city",
            "地域活動の拠点としての働きを強め",
            "地域活動の拠点機能を強化",
        ),
        (
            "actors.items.0.who",
            "市内に住む人、働く人、学ぶ人、そして市内で活動する事業者",
            "市内で暮らしている・働いている・学んでいる人や、市内で活動する事業者",
        ),
        (
            "actors.items.0.roles.0",
            "関心を持ち、課題の解決に向けて取り組んでみましょう",
            "関心を持ち、課題解決に向けて取り組んでみましょう",
        ),
        (
            "actors.items.1.who",
            "地域づくり協議会、行政区、NPO法人、ボランティアグループ、市民活動団体",
            "地域づくり協議会・行政区・NPO法人・ボランティアグループ・市民活動団体",
        ),
        ("actors.items.1.who", "公共性・公益性の高い地域づくりを行う団体", None),
        (
            "actors.items.1.roles.0",
            "市民の意見や地域の状況を反映した地域づくりに努めましょう",
            None,
        ),
        (
            "actors.items.1.roles.1",
            "一人では解決できないことを手助け",
            "個人では解決できないことを支援",
        ),
        ("actors.items.2.who", "行政としての富岡市", None),
        (
            "actors.items.2.roles.0",
            "市民と地域づくり団体の活動を支援します",
            "市民・地域づくり団体の活動を支援します",
        ),
        (
            "actors.items.2.roles.4",
            "情報を積極的に集め、発信します",
            "情報収集や発信を積極的に行います",
        ),
        (
            "about.definition",
            "「誰もが安心して暮らし続けられる地域社会の実現に向け、市民、地域づくり団体、市その他の多様な主体が行う取組」",
            None,
        ),
        ("about.examples.0", "小学生の登下校の見守り", "小学生の登下校見守り"),
        ("about.examples.1", "ゴミ出しのボランティア", "ゴミ出しボランティア"),
        ("about.examples.2", "災害のときの声かけ", "災害時の声掛け"),
        (
            "system.parts.0.text",
            "平成25年度（2013年度）から、地区公民館ごとに",
            "平成25年度から地区公民館単位で",
        ),
        ("system.parts.0.text", "魅力づくりや課題の解決", "魅力創出や課題解決"),
        (
            "system.parts.1.text",
            "令和3年度（2021年度）から、地区公民館に円卓会議",
            "令和3年度からは地区公民館に「円卓会議」",
        ),
        ("system.parts.1.text", "公民館長が座長", "公民館長を座長として"),
        (
            "faq:round-table-where",
            "令和3年度（2021年度）から地区公民館に設けられています",
            "令和3年度からは地区公民館に「円卓会議」を設け",
        ),
        ("faq:round-table-join", "「広聴の場」", "広聴の場づくり"),
        (
            "faq:council-district",
            "平成25年度（2013年度）から地区公民館の単位で立ち上げられ",
            "平成25年度から地区公民館単位で「地域づくり協議会」を立ち上げ",
        ),
        (
            "faq:who-is-resident",
            "市内で働いている人、学んでいる人、そして市内で活動する事業者",
            "働いている・学んでいる人や、市内で活動する事業者",
        ),
        ("faq:kominkan-support", "情報発信と体制整備に努める", "情報発信と体制整備に努めます"),
    ],
    "matsumoto": [
        ("sources.0.title", "地域づくり", None),
        ("contact.address", "〒390-8620 長野県松本市丸の内3番7号", None),
        ("contact.phone", "0263-34-3000", "電話:0263-34-3000(代表)"),
        ("vision.statement", "互いに助け合い、学び合い、安心して暮らせる持続可能な地域社会", None),
        ("vision.text", "「松本市地域づくりを推進する条例」", "松本市地域づくりを推進する条例"),
        ("vision.text", "主役である市民と市が協働して", "主役である市民と市との協働"),
        (
            "vision.text",
            "地域づくりの基本理念と、地域づくりセンターを置く",
            "地域づくりの基本理念と地域づくりセンターの設置",
        ),
        (
            "vision.text",
            "将来の都市像は『健康寿命延伸都市・松本』",
            "将来の都市像である『健康寿命延伸都市・松本』",
        ),
        (
            "background.intro",
            "支えが必要な人の見守りや災害のときの助け合い",
            "要援護者の見守りや災害時の助け合い",
        ),
        ("background.intro", "10年後、20年後にはもっと深刻", "10年、20年後には更なる深刻化"),
        ("background.intro", "新しい地域づくりのしくみ", "新たな地域づくりの仕組みの構築"),
        ("background.intro", "将来を見すえた人づくり", "将来を見据えた人材育成"),
        ("goals.items.0.text", "「お互いさま」の気持ち", "お互いさまの精神"),
        ("goals.items.0.text", "公共の福祉", "公共の福祉を増進"),
        ("goals.items.1.text", "日常の暮らしの範囲である地区を単位", "日常生活圏である地区を単位"),
        ("goals.items.1.text", "町会と市の協働を基本", "町会と市との協働を基本"),
        ("goals.items.2.text", "市民活動団体や大学など", "市民活動団体、大学等"),
        (
            "actors.items.1.who",
            "「準公共的な性格を持つ任意の自治組織」",
            "準公共的な性格を持つ任意の自治組織",
        ),
        (
            "actors.items.2.who",
            "支所・出張所（窓口）、公民館（学び）、福祉ひろば（地域福祉）",
            "支所・出張所（窓口サービス）、公民館（学習）、福祉ひろば（地域福祉）",
        ),
        ("actors.items.3.roles.0", "「課題解決支援チーム」", "課題解決支援チームを組織"),
        (
            "actors.items.3.roles.1",
            "地域づくり課が、各部局と地区の橋渡しや調整",
            "地域づくり課は各部局と地区との橋渡しや調整",
        ),
        ("actors.items.3.roles.2", "町会への加入を促進し、誰もが参加できる開かれた町会運営", None),
        (
            "about.definition",
            "「安心して、いきいきと暮らせる住みよい地域社会を構築するため、住民が主体となって地域課題を解決していく活動や取組み」",
            None,
        ),
        (
            "about.basic_idea",
            "住民自治、地域の教育力、地域の連帯",
            "住民自治、地域の教育力、地域連帯",
        ),
        ("about.basic_idea", "「地域力」", "「地域力」の向上"),
        ("system.heading", "松本市の地域づくりシステム", None),
        ("system.groups.0.name", "地域システム", None),
        ("system.groups.1.name", "行政システム", None),
        ("system.parts.0.name", "緩やかな協議体", None),
        ("system.parts.0.text", "決まった形はなく", "統一した形がない"),
        ("system.parts.1.name", "地区別地域づくり計画", None),
        (
            "system.parts.1.text",
            "健康・福祉・防災から、環境、産業振興、子育て、教育、土地の利活用",
            "健康、福祉、防災をはじめ、環境、産業振興、子育て、教育、土地の利活用",
        ),
        ("system.parts.2.name", "町会との協働", None),
        ("system.parts.3.name", "地域づくりセンター", None),
        ("system.parts.3.text", "最前線の拠点", None),
        ("system.parts.4.name", "本庁の各部局との連携", None),
        ("system.parts.4.text", "課題解決支援チーム", "部局横断で課題解決支援チームを組織"),
        ("system.parts.5.name", "市民活動団体・大学・企業等との連携", None),
        (
            "faq:chokai-membership",
            "「準公共的な性格を持つ任意の自治組織」",
            "準公共的な性格を持つ任意の自治組織",
        ),
        (
            "faq:city-support",
            "部局横断の「課題解決支援チーム」",
            "部局横断で課題解決支援チームを組織",
        ),
        (
            "faq:company-partnership",
            "市民活動団体・大学・企業などとの連携を積極的に図り",
            "市民活動団体、大学、企業等との連携を積極的に図り",
        ),
    ],
}


@pytest.mark.parametrize(
    ("pack_id", "where", "wording", "on_page"),
    [
        pytest.param(p, where, wording, on_page, id=f"{p}-{where}")
        for p, facts in FACTS.items()
        for where, wording, on_page in facts
    ],
)
def test_each_fact_is_on_the_page_and_in_the_pack(
    pack_id: str, where: str, wording: str, on_page: str | None
) -> None:
    assert flat(on_page or wording) in flat(page(pack_id)), "the page does not say this"
    pack = load_pack(CONTENT, pack_id)
    assert flat(wording) in flat(read(pack, where)), f"{pack_id} {where} no longer says this"


@pytest.mark.parametrize("pack_id", PAGES)
def test_official_titles_are_written_as_the_page_writes_them(pack_id: str) -> None:
    pack = load_pack(CONTENT, pack_id)
    if pack_id == "tomioka":
        assert pack.background is not None
        titles = [flat(c.title.ja) for c in pack.background.challenges]
        assert titles == [flat(t) for t in re.findall(r"^課題\d .+$", page(pack_id), re.M)]
        goals = [(g.title.ja, g.subtitle.ja if g.subtitle else "") for g in pack.goals.items]
        on_page = unicodedata.normalize("NFKC", page(pack_id))
        assert goals == re.findall(r"^目標\d (.+?)\((.+?)\)$", on_page, re.M)
        # No actor and no role left out: as many as the page lists for each actor.
        assert {a.id: len(a.roles) for a in pack.actors.items} == tomioka_roles_on_page()
        assert tomioka_roles_on_page() == {"residents": 1, "groups": 2, "city": 5}
    else:
        assert len(pack.goals.items) == _principles(page(pack_id)).count("•")
        for part in pack.system.parts:
            assert re.search(rf"^{re.escape(part.name.ja)}$", page(pack_id), re.M), part.name.ja


@pytest.mark.parametrize("pack_id", PAGES)
def test_no_number_date_or_count_the_page_lacks(pack_id: str) -> None:
    on_page = numbers(page(pack_id)) | {str(y) for y in years(page(pack_id))}
    # A count is the length of one of the page's lists, or a span of years it gives (10年、20年後).
    spans = re.findall(r"(\d+)年", unicodedata.normalize("NFKC", page(pack_id)))
    lists = page_counts(pack_id) | {int(n) for n in spans}
    pack = load_pack(CONTENT, pack_id)
    for where, language, text in resident_texts(pack):
        unknown = numbers(text) - on_page
        assert not unknown, f"{pack_id} {where} ({language}): {sorted(unknown)} not on the page"
        assert counts(text) <= lists, f"{pack_id} {where} ({language}): a count not on the page"
        assert years(text) <= years(page(pack_id)), f"{pack_id} {where} ({language})"
        assert days(text) <= days(page(pack_id)), f"{pack_id} {where} ({language}): a date"
    assert numbers(pack.contact.phone or "") <= on_page
    assert numbers(pack.contact.fax or "") <= on_page


@pytest.mark.parametrize("pack_id", PAGES)
def test_easy_and_english_give_the_same_years_as_the_japanese(pack_id: str) -> None:
    by_text: dict[str, dict[str, set[int]]] = {}
    for where, language, text in resident_texts(load_pack(CONTENT, pack_id)):
        by_text.setdefault(where, {})[language] = years(text)
    for where, found in by_text.items():
        assert len({frozenset(y) for y in found.values()}) == 1, f"{pack_id} {where}: {found}"


# What a pack adds that its page never gives: opening hours, weekdays, schedules, addresses on
# the web, e-mail. Where the page is silent the pack says so and names whom to ask.
INVENTED_DETAIL = re.compile(
    r"曜日|毎週|毎月|午前|午後|\d+時|開館|休館|受付時間|https?://|www\.|@|メール"
    r"|Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday|a\.m\.|p\.m\.|o'clock"
    r"|opening hours|every (?:week|month)|e-mail|email",
    re.IGNORECASE,
)


@pytest.mark.parametrize("pack_id", PAGES)
def test_no_opening_hours_schedules_or_addresses_the_page_lacks(pack_id: str) -> None:
    assert not INVENTED_DETAIL.search(page(pack_id).split("このページのお問い合わせ先")[0])
    for where, language, text in resident_texts(load_pack(CONTENT, pack_id)):
        found = INVENTED_DETAIL.search(text)
        assert found is None, f"{pack_id} {where} ({language}): {found.group()!r}"


# A body, plan or office: a word ending in one of these, with what comes right before it.
BODY = re.compile(
    r"(?:[一-龥々ァ-ヶー]|づくり)*"
    r"(?:会議|協議会|協議体|条例|指針|計画|センター|チーム|ひろば|団体|課|調査|公民館長?|部局|本庁)"
    r"(?![一-龥々ァ-ヶー])"
)
# Quoted words of the easy texts that are plain rewordings of the page's, not names.
EASY_QUOTES = {"おたがいさま": "お互いさま"}


@pytest.mark.parametrize("pack_id", PAGES)
def test_every_name_and_quotation_is_the_pages(pack_id: str) -> None:
    on_page = flat(page(pack_id))
    texts = resident_texts(load_pack(CONTENT, pack_id))
    # An easy text may quote the easy version of a name the page gives (the vision).
    by_place: dict[str, dict[str, str]] = {}
    for where, language, text in texts:
        by_place.setdefault(where, {})[language] = flat(text)
    easy_names = {t["easy"]: t["ja"] for t in by_place.values() if "easy" in t} | EASY_QUOTES
    for where, language, text in texts:
        if language == "en":
            # The Japanese names English texts give in brackets: 地域づくり協議会, 町会
            for name in re.findall(r"[一-龥々ぁ-ゖァ-ヶー・～]+", text):
                assert flat(name) in on_page, f"{pack_id} {where} (en): {name}"
            continue
        for name in BODY.findall(re.sub(r"（[ぁ-ゖー ]+）", "", text)):
            assert name in on_page, f"{pack_id} {where} ({language}): {name}"
        for quoted in re.findall(r"[「『](.+?)[」』]", flat(text)):
            quoted = easy_names.get(quoted, quoted) if language == "easy" else quoted
            if "{" in quoted:  # a placeholder of a catalog phrase ({receipt})
                continue
            assert quoted in on_page, f"{pack_id} {where} ({language}): 「{quoted}」"
