"""Each fact the cities' pages state, read back from the packs (content/*/pack.yaml).

The pages are in the shared seeds (see their README); these are the points where an earlier
pack said more, less or something else than the page.
"""

from __future__ import annotations

import pytest

from bot.content import Pack, load_catalog, load_pack
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
