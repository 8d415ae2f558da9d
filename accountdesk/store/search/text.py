"""Text normalisation for the search index: NFKC and case folding, pinyin readings (full and
initials, with surnames' readings), the sort key, mixed pinyin queries, and the document builders
the index's triggers call as SQL functions (:func:`register_functions`)."""

from __future__ import annotations

import functools
import operator
import re
import sqlite3
import unicodedata

SEP = "\x1f"  # between the parts of a document; never part of a query
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
_WORD = re.compile(r"[^\W_]+")  # runs of letters/digits (Han included)
_PHONEISH = re.compile(r"^[\d\s+\-().]+$")
_SPACE = re.compile(r"\s+")
MAX_VARIANTS = 4
#: Surnames read otherwise than the character's usual reading.
SURNAME_READINGS = {
    "曾": "zeng",
    "单": "shan",
    "解": "xie",
    "区": "ou",
    "仇": "qiu",
    "朴": "piao",
    "查": "zha",
    "盖": "ge",
    "乐": "yue",
    "缪": "miao",
    "覃": "qin",
    "翟": "zhai",
    "秘": "bi",
    "种": "chong",
    "召": "shao",
    "员": "yun",
    "洗": "xian",
    "柏": "bai",
    "折": "she",
    "隗": "wei",
    "宿": "su",
    "薄": "bo",
    "句": "gou",
    "阚": "kan",
}  # pinyin readings indexed per name: the usual one and common alternatives


# -- normalisation ------------------------------------------------------------------------------


def normalise(value: str | None) -> str:
    """NFKC, case-folded, white space removed (used for documents and queries alike)."""
    if not value:
        return ""
    return _SPACE.sub("", unicodedata.normalize("NFKC", value).casefold())


def normalise_query(query: str | None) -> str:
    """A query as it is looked up: phone-like input keeps only its digits."""
    q = normalise(query).replace(SEP, "")
    if q and query and _PHONEISH.match(query.strip()) and any(ch.isdigit() for ch in q):
        return "".join(ch for ch in q if ch.isdigit())
    return q


def digits(value: str | None) -> str:
    return "".join(filter(str.isdigit, value or ""))


# -- pinyin -------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=65536)
def _han_readings(run: str) -> tuple[tuple[str, ...], ...]:
    """Pinyin variants (syllable tuples) of a run of Han characters: the phrase-aware reading
    first, then per-character common readings that differ from it."""
    from pypinyin.seg.simpleseg import seg

    # pypinyin reads a run word by word (its own segmentation, then each word's reading): the
    # words repeat across names (有限公司, 科技, surnames) and are cached, which makes the first
    # indexing of thousands of new names (an initial sync, an import) several times faster.
    # tests/store/test_search_pinyin.py checks this against lazy_pinyin of the whole run.
    usual = tuple(syllable for word in seg(run) for syllable in _word_readings(word))
    variants = [usual]
    if len(usual) == len(run) <= 4:
        # The character-by-character most common reading (where phrases read otherwise), for
        # short runs: people's names and short names (long company names would only grow the
        # index with readings nobody types).
        default = tuple(_char_readings(ch)[0] for ch in run)
        if default not in variants:
            variants.append(default)
    # Surnames often read otherwise than the character does elsewhere (曾 zeng, 单 shan).
    surname = SURNAME_READINGS.get(run[0])
    if surname and len(variants) < MAX_VARIANTS:
        alt = (surname, *usual[1:])
        if alt not in variants:
            variants.append(alt)
    return tuple(variants[:MAX_VARIANTS])


@functools.lru_cache(maxsize=65536)
def _word_readings(word: str) -> tuple[str, ...]:
    """pypinyin's toneless reading of one word of its segmentation."""
    from pypinyin import Style, lazy_pinyin

    return tuple(lazy_pinyin(word, style=Style.NORMAL))


@functools.lru_cache(maxsize=32768)
def _char_readings(ch: str) -> tuple[str, ...]:
    """A character's toneless readings, most common first."""
    from pypinyin import Style, pinyin

    return tuple(dict.fromkeys(pinyin(ch, style=Style.NORMAL, heteronym=True)[0]))


@functools.lru_cache(maxsize=65536)
def pinyin_forms(value: str) -> tuple[str, ...]:
    """Full pinyin and initials of each reading variant of ``value`` (normalised, deduplicated).
    Non-Han parts are kept as they are in both forms."""
    value = normalise(value)
    if not value or not _HAN.search(value):
        return ()
    parts: list[str | tuple[tuple[str, ...], ...]] = []
    pos = 0
    for m in _HAN.finditer(value):
        if m.start() > pos:
            parts.append(value[pos : m.start()])
        parts.append(_han_readings(m.group()))
        pos = m.end()
    if pos < len(value):
        parts.append(value[pos:])
    n_variants = max(len(p) for p in parts if isinstance(p, tuple))
    forms: list[str] = []
    for v in range(n_variants):
        full, initials = [], []
        for p in parts:
            if isinstance(p, str):
                full.append(p)
                initials.append(p)
            else:
                syllables = p[min(v, len(p) - 1)]
                full.append("".join(syllables))
                initials.append("".join(s[0] for s in syllables if s))
        forms.extend(["".join(full), "".join(initials)])
    return tuple(dict.fromkeys(forms))


@functools.lru_cache(maxsize=65536)
def sort_key(name: str | None) -> str:
    """A collation key ordering Chinese names by pinyin syllable by syllable (华 hua after 护 hu),
    Latin names among them (阿里 a-li < Acme < 安徽 an-hui)."""
    if not name:
        return ""
    text_ = unicodedata.normalize("NFKC", name).casefold().strip()
    out = []
    pos = 0
    for m in _HAN.finditer(text_):
        out.append(text_[pos : m.start()])
        out.append("".join(syllable + "\x01" for syllable in _han_readings(m.group())[0]))
        pos = m.end()
    out.append(text_[pos:])
    # Append the text itself so that homophones order stably and distinct names never tie.
    return "".join(out) + "\x00" + text_


# -- mixed pinyin (full syllables and initials in one query) ------------------------------------

#: Every toneless pinyin syllable (ü written v, as pypinyin's NORMAL style does).
SYLLABLES = frozenset(
    """
    a ai an ang ao ba bai ban bang bao bei ben beng bi bian biang biao bie bin bing bo bong bu ca cai
    can cang cao ce cei cen ceng cha chai chan chang chao che chen cheng chi chong chou chu chua chuai
    chuan chuang chui chun chuo ci cong cou cu cuan cui cun cuo da dai dan dang dao de dei den deng di
    dia dian diao die din ding diu dong dou du duan dui dun duo e ei en eng er fa fan fang fei fen feng
    fiao fo fou fu ga gai gan gang gao ge gei gen geng gong gou gu gua guai guan guang gui gun guo ha
    hai han hang hao he hei hen heng hm hng hong hou hu hua huai huan huang hui hun huo ji jia jian
    jiang jiao jie jin jing jiong jiu ju juan jue jun ka kai kan kang kao ke kei ken keng kong kou ku
    kua kuai kuan kuang kui kun kuo la lai lan lang lao le lei len leng li lia lian liang liao lie lin
    ling liu lo long lou lu luan lun luo lv lve m ma mai man mang mao me mei men meng mi mian miao mie
    min ming miu mo mou mu n na nai nan nang nao ne nei nen neng ng ni nia nian niang niao nie nin ning
    niu nong nou nu nuan nun nuo nv nve o ou pa pai pan pang pao pei pen peng pi pian piao pie pin ping
    po pou pu qi qia qian qiang qiao qie qin qing qiong qiu qu quan que qun ran rang rao re ren reng ri
    rong rou ru rua ruan rui run ruo sa sai san sang sao se sen seng sha shai shan shang shao she shei
    shen sheng shi shou shu shua shuai shuan shuang shui shun shuo si song sou su suan sui sun suo ta
    tai tan tang tao te tei teng ti tian tiao tie ting tong tou tu tuan tui tun tuo wa wai wan wang wei
    wen weng wo wong wu xi xia xian xiang xiao xie xin xing xiong xiu xu xuan xue xun ya yan yang yao ye
    yi yin ying yo yong you yu yuan yue yun za zai zan zang zao ze zei zen zeng zha zhai zhan zhang zhao
    zhe zhei zhen zheng zhi zhong zhou zhu zhua zhuai zhuan zhuang zhui zhun zhuo zi zong zou zu zuan
    zui zun zuo
    """.split()
)


_SYLLABLE_PREFIXES = frozenset(syl[:i] for syl in SYLLABLES for i in range(1, len(syl) + 1))


def segment_mixed(query: str) -> list[str] | None:
    """Split a letters-only query into pinyin units, each the longest run that begins a syllable:
    ``huhkj`` → ``[hu, h, k, j]``, ``hhang`` → ``[h, hang]``. ``None`` unless the query really
    mixes forms, i.e. a unit other than the last is not a whole syllable (full pinyin, initials
    and a full-pinyin prefix are found by plain substring search)."""
    if not query.isascii() or not query.isalpha():
        return None
    units: list[str] = []
    i = 0
    while i < len(query):
        size = 1
        for n in range(min(6, len(query) - i), 1, -1):
            if query[i : i + n] in _SYLLABLE_PREFIXES:
                size = n
                break
        units.append(query[i : i + size])
        i += size
    if len(units) < 2 or all(len(u) == 1 for u in units):
        return None
    if all(u in SYLLABLES for u in units[:-1]):
        return None
    return units


@functools.lru_cache(maxsize=65536)
def _unit_variants(part: str) -> tuple[tuple[str, ...], ...]:
    """The reading variants of a normalised name as unit tuples (syllables; other runs whole)."""
    pieces: list[tuple[tuple[str, ...], ...] | str] = []
    pos = 0
    for m in _HAN.finditer(part):
        if m.start() > pos:
            pieces.append(part[pos : m.start()])
        pieces.append(_han_readings(m.group()))
        pos = m.end()
    if pos < len(part):
        pieces.append(part[pos:])
    n = max((len(p) for p in pieces if isinstance(p, tuple)), default=0)
    out = []
    for v in range(n):
        units: list[str] = []
        for p in pieces:
            units.extend([p] if isinstance(p, str) else p[min(v, len(p) - 1)])
        out.append(tuple(units))
    return tuple(out)


def _consume(units: tuple[str, ...], i: int, q: str, j: int) -> bool:
    if j == len(q):
        return True
    if i == len(units):
        return False
    u = units[i]
    k = 0
    while k < len(u) and j + k < len(q) and u[k] == q[j + k]:
        k += 1
        if _consume(units, i + 1, q, j + k):
            return True
    return False


def mixed_match(doc: str | None, query: str | None) -> int:
    """1 when consecutive syllables of a name in ``doc`` (a ``name_doc``) spell ``query`` with each
    syllable given in full or by its first letters (``huhkj``, ``hhang``, ``zhongguoyh``)."""
    if not doc or not query:
        return 0
    for part in doc.split(SEP):
        if not _HAN.search(part):
            continue
        for units in _unit_variants(part):
            if any(_consume(units, start, query, 0) for start in range(len(units))):
                return 1
    return 0


# -- document builders (registered as SQL functions) --------------------------------------------


def name_doc(*names: str | None) -> str:
    parts: list[str] = []
    for name in names:
        n = normalise(name)
        if n:
            parts.append(n)
            parts.extend(pinyin_forms(n))
    return SEP.join(dict.fromkeys(parts))


def body_doc(*values: str | None) -> str:
    parts = [normalise(v) for v in values]
    return SEP.join(p for p in parts if p)


def phones_doc(*values: str | None) -> str:
    """Phone numbers as digits (a number without its country code is a substring of them)."""
    return SEP.join(dict.fromkeys(d for d in (digits(v) for v in values) if d))


def join_docs(*docs: str | None) -> str:
    return SEP.join(d for d in docs if d)


def grams(*docs: str | None) -> str:
    """Space-separated two-character grams of every word of the documents, plus each word's last
    character: the tokens of the ``search_bi`` index."""
    out: list[
        str
    ] = []  # in order, repeats dropped at the end (a third faster than a dict grown word by word)
    for doc in docs:
        if doc:
            for word in _WORD.findall(doc):
                out += map(operator.add, word, word[1:])  # each character and the next
                # The last character alone, so a one-character prefix query finds every position.
                out.append(word[-1])
    return " ".join(dict.fromkeys(out))


def register_functions(conn: sqlite3.Connection) -> None:
    """Register the index's SQL functions on a raw sqlite3 connection (every connection)."""
    conn.create_function("ad_name_doc", -1, name_doc, deterministic=True)
    conn.create_function("ad_body_doc", -1, body_doc, deterministic=True)
    conn.create_function("ad_phones_doc", -1, phones_doc, deterministic=True)
    conn.create_function("ad_join_docs", -1, join_docs, deterministic=True)
    conn.create_function("ad_grams", -1, grams, deterministic=True)
    conn.create_function("ad_sort_key", 1, sort_key, deterministic=True)
    conn.create_function("ad_mixed_match", 2, mixed_match, deterministic=True)
