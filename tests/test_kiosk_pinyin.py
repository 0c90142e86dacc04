"""Pinyin input on the kiosk keyboard: candidates from pypinyin, paging, 中/EN, Chinese names."""

from __future__ import annotations

import pytest

from kiosk.customer import check_name
from kiosk.events import MemorySink
from kiosk.flow import KioskModel
from kiosk.pinyin import PinyinComposer, gb2312_level, plain_syllable, shared_index
from kiosk.texts import ZH_CN


def composer_with(letters: str, page_size: int = 8) -> PinyinComposer:
    composer = PinyinComposer(page_size=page_size)
    for letter in letters:
        composer.type(letter)
    return composer


def test_typing_wang_offers_wang_characters_common_ones_first() -> None:
    composer = composer_with("wang")
    texts = [c.text for c in composer.candidates()]
    assert "王" in [c.text for c in composer.visible()], texts[:8]
    assert {"王", "网", "望", "忘", "往"} <= set(texts)
    assert all(gb2312_level(t) in (1, 2) for t in texts)
    assert texts.index("王") < texts.index("汪") < len(texts)


#: the characters of China's most common given names (伟 of 张伟 and 王伟, 芳, 娜, 秀英 …), by their pinyin
COMMON_GIVEN_NAMES = {"wei": "伟", "fang": "芳", "na": "娜", "min": "敏", "jing": "静", "li": "丽", "qiang": "强",
                      "lei": "磊", "jun": "军", "yang": "洋", "yong": "勇", "jie": "杰", "juan": "娟", "tao": "涛",
                      "ming": "明", "chao": "超", "xia": "霞", "ping": "平", "gang": "刚", "gui": "桂",
                      "ying": "英", "hua": "华", "ling": "玲", "bin": "斌", "hui": "辉", "peng": "鹏", "hong": "红",
                      "fei": "飞", "jian": "建", "bo": "波", "yu": "宇", "hao": "浩", "ting": "婷", "xin": "欣",
                      "feng": "峰", "xue": "雪", "lin": "琳", "xiu": "秀", "lan": "兰", "mei": "梅"}


@pytest.mark.parametrize("letters, name", sorted(COMMON_GIVEN_NAMES.items()))
def test_common_given_names_are_on_the_first_page(letters: str, name: str) -> None:
    composer = composer_with(letters)
    assert name in [c.text for c in composer.visible()], [c.text for c in composer.candidates()][:16]


def test_ranking_follows_common_use_not_the_gb2312_level() -> None:
    wei = [c.text for c in composer_with("wei").visible()]
    assert wei[:2] == ["为", "伟"], wei  # was page 3, behind 尾 微 危 (more dictionary phrases)
    ting = [c.text for c in composer_with("ting").visible()]
    assert "婷" in ting and gb2312_level("婷") == 2  # a level-2 character people name their daughters
    assert [c.text for c in composer_with("de").visible()][0] == "的"  # the most used character of all


#: the most common surnames, with a syllable where other characters are more used in text (李 was 12th)
COMMON_SURNAMES = {"li": "李", "wang": "王", "zhang": "张", "liu": "刘", "chen": "陈", "yang": "杨", "huang": "黄",
                   "zhao": "赵", "wu": "吴", "zhou": "周", "xu": "徐", "sun": "孙", "ma": "马", "zhu": "朱", "hu": "胡",
                   "guo": "郭", "he": "何", "lin": "林", "gao": "高", "luo": "罗"}


@pytest.mark.parametrize("letters, surname", sorted(COMMON_SURNAMES.items()))
def test_a_names_first_character_offers_the_surname_first(letters: str, surname: str) -> None:
    first = PinyinComposer(surname_first=True)
    for letter in letters:
        first.type(letter)
    assert first.visible()[0].text == surname, [c.text for c in first.visible()]


@pytest.mark.parametrize("letters, lifted, not_lifted", [
    ("wang", "王汪", "方"),  # 方 is read wǎng only in old texts: the surname Fang came third for "wang"
    ("zeng", "曾", ""), ("qin", "秦覃", ""),  # surnames read with their character's other reading
    ("fang", "方", ""), ("tan", "谭", ""),
])
def test_a_surname_is_lifted_only_under_the_syllable_it_is_read_as(letters: str, lifted: str, not_lifted: str) -> None:
    first = PinyinComposer(surname_first=True)
    for letter in letters:
        first.type(letter)
    shown = [c.text for c in first.visible()]
    assert shown[:len(lifted)] == list(lifted), shown
    assert not any(char in shown[:4] for char in not_lifted), shown


@pytest.mark.parametrize("letters, name", sorted(COMMON_GIVEN_NAMES.items()))
def test_after_the_surname_a_common_given_name_is_among_the_first_three(letters: str, name: str) -> None:
    composer = PinyinComposer(given_name=True)
    for letter in letters:
        composer.type(letter)
    offered = [c.text for c in composer.visible()]
    assert name in offered[:3], offered


@pytest.mark.parametrize("letters, name, text_first", [("wei", "伟", "为"), ("fang", "芳", "方"), ("na", "娜", "那"),
                                                       ("min", "敏", "民"), ("jing", "静", "经"), ("li", "丽", "里"),
                                                       ("qiang", "强", "强"), ("lei", "磊", "雷"), ("ming", "明", "明")])
def test_after_the_surname_the_most_given_character_comes_first_where_text_put_another(
        letters: str, name: str, text_first: str) -> None:
    plain, given = PinyinComposer(), PinyinComposer(given_name=True)
    for letter in letters:
        plain.type(letter)
        given.type(letter)
    assert plain.visible()[0].text == text_first, "the ranking of text, kept for everything but a given name"
    assert given.visible()[0].text == name, [c.text for c in given.visible()]


def test_the_surname_comes_first_only_while_the_name_is_empty(catalog_model: KioskModel) -> None:
    model = catalog_model
    model.set_language("zh_CN")
    for key in "li":
        model.type_key(key)
    assert model.composer.visible()[0].text == "李", "the surname Li, not 里 (a mile) as in text"
    model.type_key("space")
    for key in "li":
        model.type_key(key)
    given = [c.text for c in model.composer.visible()]
    assert given[0] == "丽", given  # 李丽: a given name's character, not 里 (a mile) as in text
    model.type_key("space")
    for key in "na":
        model.type_key(key)
    assert model.composer.visible()[0].text == "娜"  # 李丽娜, not 李丽那
    model.type_key("space")
    assert model.name == "李丽娜"


def test_candidates_are_paged_with_next_and_previous() -> None:
    composer = composer_with("wei", page_size=5)
    assert composer.pages() > 3 and not composer.has_previous()
    first = [c.text for c in composer.visible()]
    composer.next_page()
    second = [c.text for c in composer.visible()]
    assert len(first) == len(second) == 5 and not set(first) & set(second)
    composer.previous_page()
    composer.previous_page()  # no page before the first
    assert [c.text for c in composer.visible()] == first
    while composer.has_next():
        composer.next_page()
    last_page = composer.page
    composer.next_page()
    assert composer.page == last_page == composer.pages() - 1
    everything = [c.text for c in composer.candidates()]
    assert "伟" in everything, "a common name character is offered, if not on the first page"


def test_several_syllables_offer_phrases_then_characters_of_the_first() -> None:
    composer = composer_with("zhongguo")
    assert composer.syllables() == ["zhong", "guo"]
    assert composer.visible()[0].text == "中国"
    assert composer.pick(0) == "中国" and not composer.composing
    composer = composer_with("wangwei")
    index = [c.text for c in composer.visible()].index("王")
    assert composer.pick(index) == "王"
    assert composer.letters == "wei", "the other syllables wait for their character"


def test_unfinished_syllable_and_v_for_u_umlaut() -> None:
    assert plain_syllable("lǜ") == "lv" and plain_syllable("Zhōng") == "zhong"
    index = shared_index()
    assert index.split("wangw") == ["wang", "w"]
    zh = [c.text for c in index.candidates("zh")]
    assert "中" in zh[:40] and "张" in zh
    assert "绿" in [c.text for c in index.candidates("lv")]
    assert index.candidates("xq") == []


def test_pick_outside_the_page_is_refused() -> None:
    composer = composer_with("a")
    with pytest.raises(IndexError):
        composer.pick(len(composer.visible()))
    with pytest.raises(ValueError):
        composer.type("1")


def test_model_in_chinese_composes_the_name_and_switches_to_latin(catalog_model: KioskModel) -> None:
    model = catalog_model
    model.set_language("zh_CN")
    assert model.input_mode == "pinyin"
    for key in "wang":
        model.type_key(key)
    assert model.name == "" and model.composing()
    model.type_key("backspace")
    assert model.composer.letters == "wan"
    model.type_key("g")
    model.pick_candidate([c.text for c in model.composer.visible()].index("王"))
    assert model.name == "王" and not model.composing()
    for key in "wei":
        model.type_key(key)
    model.type_key("space")  # space takes the first candidate
    assert model.name == "王伟", "the given name's 伟, not 为 (for), the first in text"
    model.type_key("backspace")  # nothing composing: deletes from the name
    assert model.name == "王"
    for key in "li":
        model.type_key(key)
    model.toggle_input_mode()  # EN keeps what was typed as letters
    assert model.input_mode == "latin" and model.name == "王li" and not model.composer.composing
    model.type_key("x")
    assert model.name == "王lix"
    model.toggle_input_mode()
    model.focus_field("phone")
    for key in "138":
        model.type_key(key)
    assert model.phone == "138", "the phone field takes digits whatever the mode"
    model.set_language("en")
    assert model.input_mode == "latin"


def test_placing_an_order_with_letters_still_composing_says_so_and_keeps_them(catalog_model: KioskModel) -> None:
    from kiosk.flow import Screen

    model = catalog_model
    model.start()
    model.select_product(model.products()[0].code)
    while model.screen == Screen.OPTIONS:
        model.next()
    model.to_details()
    model.set_language("zh_CN")
    model.focus_field("phone")
    for key in "13800138000":
        model.type_key(key)
    model.focus_field("name")
    for key in "wang":
        model.type_key(key)
    model.pick_candidate(0)
    for key in "wei":
        model.type_key(key)
    assert model.place_order() is None
    assert "finish your name" in model.field_errors["name"]
    assert model.composer.letters == "wei" and model.screen == Screen.DETAILS  # nothing dropped
    model.type_key("space")
    assert model.place_order() is not None and len(model.order.customer.name) == 2  # type: ignore[union-attr]


@pytest.fixture
def catalog_model() -> KioskModel:
    from sync.catalog import load_catalog
    from tests.test_kiosk_flow import SMALL

    return KioskModel(load_catalog(SMALL, deep=False), MemorySink())


@pytest.mark.parametrize("raw, expected", [
    ("王伟", "王伟"), ("欧阳娜娜", "欧阳娜娜"), ("阿依古丽·买买提", "阿依古丽·买买提"),
    ("阿依古丽・买买提", "阿依古丽·买买提"), ("阿依古丽•买买提", "阿依古丽·买买提"), ("王\u3000伟", "王 伟"),
])
def test_chinese_names_are_accepted_and_middle_dots_normalised(raw: str, expected: str) -> None:
    assert check_name(raw) == (expected, None)


@pytest.mark.parametrize("raw, problem", [("王", "too short"), ("王3", "no digits"), ("王伟!", "Only letters")])
def test_bad_chinese_names_say_what_is_wrong(raw: str, problem: str) -> None:
    _, message = check_name(raw)
    assert message is not None and problem in message and message in ZH_CN
