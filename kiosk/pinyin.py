"""Pinyin input for the on-screen keyboard: Latin letters in, pages of Chinese candidates out.

Customers who switch the kiosk to Chinese type their name in Chinese. The readings come from
pypinyin (its per-character readings and its phrase dictionary), inverted once to
syllable -> characters. Candidates are ranked by common use, so a name is found on the first page:
a character's main reading before its other readings, then by how much the character is used, from
wordfreq's Chinese word list (a maintained package that ships frequencies merged from Wikipedia,
subtitles, news, books and the web; pypinyin ships none) in two shares of equal weight: its part in
all the text, and its part in the given names of that list's three-character words that begin with
one of the 100 most common surnames (王伟, 李娜 …). Text alone puts 伟 ninth for ``wei`` behind
为 位 未 委 …; with the names it is second. The name's first character is its surname: there the 100
most common surnames come first (``li`` offers 李 before 里 利 丽, ``wang`` 王 then 汪); after it the
characters most given in names (``na`` offers 娜 before 那, ``li`` 丽 before 里). Only GB2312
characters are offered: the rest are rare and would bury the common ones.

No Qt here: :class:`PinyinComposer` is the state the keyboard widget draws and tests drive.
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import threading
import unicodedata
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

PAGE_SIZE = 8
"""Candidates per page: eight 64 px targets fit beside the page keys on a 1280 px screen."""

LONGEST_SYLLABLE = 6  # "zhuang", "shuang", "chuang"


@lru_cache(maxsize=4096)
def plain_syllable(reading: str) -> str:
    """``"lǜ"`` -> ``"lv"``: what a customer types for a tone-marked reading (ü typed as v)."""
    decomposed = unicodedata.normalize("NFD", reading).replace("u\u0308", "v")
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


@lru_cache(maxsize=32768)
def gb2312_level(char: str) -> int:
    """1 for the 3,755 common characters (first byte 0xB0-0xD7), 2 for the rest of GB2312, 0 otherwise."""
    try:
        encoded = char.encode("gb2312")
    except UnicodeEncodeError:
        return 0
    if len(encoded) != 2:
        return 0
    if 0xB0 <= encoded[0] <= 0xD7:
        return 1
    return 2 if 0xD8 <= encoded[0] <= 0xF7 else 0


def pypinyin_data(name: str) -> dict[str, Any]:
    """pypinyin's ``pinyin_dict`` or ``phrases_dict``, read from the JSON files it ships.

    Importing ``pypinyin`` itself loads both dictionaries for its converter and keeps them (~60 MB);
    the kiosk needs them once, to build its index, and then lets them go."""
    spec = importlib.util.find_spec("pypinyin")
    for folder in (spec.submodule_search_locations or []) if spec else []:
        path = Path(folder) / f"{name}.json"
        if path.is_file():
            with path.open(encoding="utf-8") as file:
                data: dict[str, Any] = json.load(file)
                return data
    module = importlib.import_module(f"pypinyin.{name}")  # another layout: through the package
    return {str(k): v for k, v in getattr(module, name).items()}


#: the 100 most common Chinese surnames, most common first (the national household register's list): a
#: three-character word of the frequency list that begins with one is taken as a full name, and its other
#: two as a given name; and a name's first character is looked for among them first
SURNAME_RANK = {c: rank for rank, c in enumerate(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林高罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程"
    "魏苏吕丁任沈姚卢傅钟姜崔谭廖范汪陆金石戴贾韦夏邱方侯邹熊孟秦白江阎薛尹段雷黎史龙陶贺顾毛"
    "郝龚邵万钱严覃武")}
SURNAMES = frozenset(SURNAME_RANK)
#: surnames of that list read with another than their character's main reading (曾 céng, as a surname zēng;
#: 覃 tán, as a surname qín): for every other one pypinyin's first reading is the surname's
SURNAME_READING = {"曾": "zeng", "覃": "qin"}

#: characters parents most often give (the given names of the household register's most common full
#: names first: 伟 芳 娜 敏 静 …, then those of the younger generations: 浩 宇 欣 怡 梓 涵 …). After the
#: surname they come first: the frequency list's names are too noisy for that (its three-character words
#: after a surname include 马克思 and 高速路), so ``na`` offered 那 and ``li`` 里 for a given name
GIVEN_NAME_RANK = {c: rank for rank, c in enumerate(
    "伟芳娜敏静秀英丽强磊洋艳勇军杰娟涛明超霞兰平刚辉燕鹏华玲丹萍红桂玉梅珍斌宇浩凯健俊帆波峰亮飞鑫"
    "婷雪琳颖倩慧佳欣怡雨涵轩梓子睿博晨宁悦思诗萱妍嘉一泽昊航芬莉琴青晓小文国志建海云金荣凤春林东永"
    "德光生立新成龙秋菊香淑美彤瑶璐晶婧欢蕾薇雅琪晴茜然阳鸿毅翔宏晖锋岩松")}


def common_use() -> tuple[dict[str, float], dict[str, float]]:
    """(character -> share of use, word -> frequency) from wordfreq's large Chinese list.

    A character's share is half its part in all the text (each word's frequency counted for every
    character in it) and half its part in the given names (each name counted once, not by how famous
    its bearer is), so the characters parents choose stand beside the ones texts use most."""
    from wordfreq import get_frequency_list  # loaded for the build only: the index keeps the ranks

    text: dict[str, float] = {}
    names: Counter[str] = Counter()
    words: dict[str, float] = {}
    for bucket, found in enumerate(get_frequency_list("zh", wordlist="large")):
        frequency = 10 ** (-bucket / 100)  # wordfreq's centibel buckets
        words.update(dict.fromkeys(found, frequency))
        for char in "".join(found):  # one pass over the bucket's characters (plain dict: the build's hot loop)
            text[char] = text.get(char, 0.0) + frequency
        names.update(char for word in found if len(word) == 3 and word[0] in SURNAMES for char in set(word[1:]))
    text_total, name_total = sum(text.values()) or 1.0, sum(names.values()) or 1
    share = {c: f / text_total for c, f in text.items()}
    for char, count in names.items():
        share[char] = share.get(char, 0.0) + count / name_total
    return share, words


@dataclass(frozen=True)
class Candidate:
    text: str
    syllables: int
    """How many typed syllables it stands for (they leave the input when it is picked)."""


class PinyinIndex:
    """Syllable -> ranked characters, and syllable tuple -> phrases (built once from pypinyin)."""

    def __init__(self) -> None:
        pinyin_dict = {int(code): readings for code, readings in pypinyin_data("pinyin_dict").items()}
        phrases_dict = pypinyin_data("phrases_dict")
        uses, words = common_use()
        ranked: dict[str, list[tuple[tuple[int, float, int, int], str]]] = defaultdict(list)
        for code, readings in pinyin_dict.items():
            char = chr(code)
            level = gb2312_level(char)
            if level == 0:
                continue
            seen: set[str] = set()
            for order, reading in enumerate(readings.split(",")):
                syllable = plain_syllable(reading)
                if syllable in seen or not syllable.isalpha():
                    continue
                seen.add(syllable)
                ranked[syllable].append(((min(order, 1), -uses.get(char, 0.0), level, code), char))
        self.characters: dict[str, list[str]] = {s: [c for _, c in sorted(found)] for s, found in ranked.items()}
        main: dict[str, set[str]] = {s: {c for (first, *_), c in found if first == 0} for s, found in ranked.items()}
        for char, syllable in SURNAME_READING.items():
            main.setdefault(syllable, set()).add(char)
        self.main_reading: dict[str, frozenset[str]] = {s: frozenset(chars) for s, chars in main.items()}
        """Syllable -> the characters it is the first reading of (and the surnames read so): only they are lifted
        as surnames or given names (方 is read wǎng only in old texts, and came third for "wang" as the surname
        Fang)."""
        self.syllables = frozenset(self.characters)
        self.prefixes = frozenset(s[:n] for s in self.syllables for n in range(1, len(s) + 1))
        phrases: dict[tuple[str, ...], list[tuple[tuple[float, int, float], str]]] = defaultdict(list)
        for phrase, phrase_readings in phrases_dict.items():
            if len(phrase) < 2 or len(phrase_readings) != len(phrase):
                continue
            levels = [gb2312_level(c) for c in phrase]
            if 0 in levels:
                continue
            key = tuple(plain_syllable(r[0]) for r in phrase_readings)
            phrases[key].append(((-words.get(phrase, 0.0), max(levels), -sum(uses.get(c, 0.0) for c in phrase)),
                                 phrase))
        self.phrases: dict[tuple[str, ...], list[str]] = {k: [p for _, p in sorted(v)] for k, v in phrases.items()}
        gb2312_level.cache_clear()  # only the build needs them
        plain_syllable.cache_clear()

    def split(self, letters: str) -> list[str]:
        """Typed letters cut into syllables, longest first (``"wangwei"`` -> ``["wang", "wei"]``);
        the last piece may be an unfinished syllable (``"wangw"`` -> ``["wang", "w"]``)."""
        pieces: list[str] = []
        rest = letters
        while rest:
            for size in range(min(LONGEST_SYLLABLE, len(rest)), 0, -1):
                if rest[:size] in self.syllables:
                    break
            else:
                size = len(rest) if rest in self.prefixes else 0
            if size == 0:
                break
            if rest[:size] not in self.syllables and len(rest) > size:
                break
            pieces.append(rest[:size])
            rest = rest[size:]
        if rest:  # not pinyin from here on: keep it as one piece, it has no candidates
            pieces.append(rest)
        return pieces

    def completions(self, piece: str) -> list[str]:
        """The syllables ``piece`` may stand for: itself when complete, else those it begins."""
        if piece in self.syllables:
            return [piece]
        if piece in self.prefixes:
            return sorted(s for s in self.syllables if s.startswith(piece))
        return []

    def candidates(self, letters: str, *, surname_first: bool = False, given_name: bool = False) -> list[Candidate]:
        """Phrases for all the typed syllables first, then characters for the first one; ``surname_first``
        (the name's first character is typed): common surnames before the rest (李 was on page 2 for li);
        ``given_name`` (a surname is typed): common given-name characters first (娜 before 那 for na)."""
        pieces = self.split(letters)
        if not pieces:
            return []
        found: list[Candidate] = []
        seen: set[str] = set()
        if len(pieces) > 1 and all(self.completions(p) for p in pieces):
            head = tuple(pieces[:-1])
            for last in self.completions(pieces[-1]):
                for phrase in self.phrases.get((*head, last), []):
                    if phrase not in seen:
                        seen.add(phrase)
                        found.append(Candidate(phrase, len(pieces)))
        options = self.completions(pieces[0])
        if len(options) == 1:
            chars = self.characters[options[0]]
        else:  # an unfinished syllable: the best characters of each syllable it begins, interleaved
            ranked = sorted((rank, char) for s in options for rank, char in enumerate(self.characters[s]))
            chars = [char for _, char in ranked]
        main = frozenset().union(*(self.main_reading[s] for s in options))
        if surname_first:  # stable: surnames by how common they are, then the rest as ranked
            chars = sorted(chars, key=lambda char: SURNAME_RANK.get(char, len(SURNAME_RANK)) if char in main
                           else len(SURNAME_RANK))
        elif given_name:
            chars = sorted(chars, key=lambda char: GIVEN_NAME_RANK.get(char, len(GIVEN_NAME_RANK)) if char in main
                           else len(GIVEN_NAME_RANK))
        for char in chars:
            if char not in seen:
                seen.add(char)
                found.append(Candidate(char, 1))
        return found


_INDEX: PinyinIndex | None = None
_INDEX_LOCK = threading.Lock()


def shared_index() -> PinyinIndex:
    """The process's one index (about half a second to build: warm it off the UI thread)."""
    global _INDEX
    with _INDEX_LOCK:
        if _INDEX is None:
            _INDEX = PinyinIndex()
        return _INDEX


@dataclass
class PinyinComposer:
    """What is being typed in pinyin, its candidates and the page shown."""

    page_size: int = PAGE_SIZE
    letters: str = ""
    page: int = 0
    surname_first: bool = False
    """The name is still empty: what is typed now is most likely a surname (set by the kiosk's model)."""
    given_name: bool = False
    """The name so far is Chinese characters: what is typed now is most likely its given name."""
    _candidates: list[Candidate] = field(default_factory=list)

    def type(self, letter: str) -> None:
        if len(letter) != 1 or not ("a" <= letter.lower() <= "z"):
            raise ValueError(f"pinyin takes letters a-z, not {letter!r}")
        self._set(self.letters + letter.lower())

    def backspace(self) -> None:
        self._set(self.letters[:-1])

    def clear(self) -> None:
        self._set("")

    def _set(self, letters: str) -> None:
        self.letters = letters
        self.page = 0
        self._candidates = shared_index().candidates(letters, surname_first=self.surname_first,
                                                         given_name=self.given_name) if letters else []

    @property
    def composing(self) -> bool:
        return bool(self.letters)

    def syllables(self) -> list[str]:
        """The typed letters as syllables, for display (``wang'wei``)."""
        return shared_index().split(self.letters) if self.letters else []

    def candidates(self) -> list[Candidate]:
        return list(self._candidates)

    def visible(self) -> list[Candidate]:
        start = self.page * self.page_size
        return self._candidates[start:start + self.page_size]

    def pages(self) -> int:
        return max(1, -(-len(self._candidates) // self.page_size))

    def has_next(self) -> bool:
        return self.page + 1 < self.pages()

    def has_previous(self) -> bool:
        return self.page > 0

    def next_page(self) -> None:
        if self.has_next():
            self.page += 1

    def previous_page(self) -> None:
        if self.has_previous():
            self.page -= 1

    def pick(self, index: int) -> str:
        """Take candidate ``index`` of the page shown: its text, and its syllables leave the input."""
        shown = self.visible()
        if not 0 <= index < len(shown):
            raise IndexError(f"no candidate {index} on page {self.page + 1}")
        chosen = shown[index]
        pieces = self.syllables()
        self._set("".join(pieces[chosen.syllables:]))
        return chosen.text

    def take_letters(self) -> str:
        """Give up composing: the typed letters as they are (switching to EN keeps what was typed)."""
        letters = self.letters
        self.clear()
        return letters
