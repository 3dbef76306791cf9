"""Are a summary's numbers and names in its article? Matched the way a careful reader matches them.

    grounder = Grounder(article.text)
    grounder.missing("Ana Ruiz won six of 8 races.")   # ["six"] when the article never says 6
    grounder.facts(summary)                            # every number and name checked, with its verdict

Why each rule (issue 10: the old check cried wolf on a quarter of faithful summaries and missed
spelled-out numbers and one-word names):

* Numbers are compared by value, so "six", "6", "6.0" and "six-" agree; ranges are read whole
  ("2007-11" is 2007 and 2011); a percentage needs a percentage and a currency amount an amount in the
  same currency or none ("three euros" grounds "€3"); "3.5 million" also matches "3,500,000". A score
  "4-1" of small numbers is grounded when the article holds it or its two numbers (goals listed one by
  one), and "1." "2)" at the start of a line are list markers, not numbers. "one" is too common a word to
  check.
* Names are checked word by word: each capitalized word (one-word names "Zack", "Canadian" included) must
  be a word of the article, in any case. A word opening a sentence, a heading or a list item is exempt
  when it is a common English word (justext's stop list), as is a title ("Mr", "Dr"). A word the article
  holds in another form is grounded: a prefix of an article word ("Chris" for "Christopher"), a
  demonym ("Canadian" for "Canada"), an abbreviation whose letters start consecutive article words
  ("WA" for "Western Australia", "CEO" for "chief executive officer") and the reverse, or an
  organization's designator after a grounded word ("West Ham United" for "West Ham").
* A given name before a surname the article uses ("Eddie Howe" for "Howe") is read as a variant of the
  name. People labelling news summaries accept it (AggreFact-CLIFF); it costs the recall of wrong first
  names ("Thomas Dubuisson" for "Victor Dubuisson"), which a check without world knowledge cannot tell
  from right ones.
* What is reported is the name as written ("Zack de la Rocha"), from its first to last capitalized word,
  lowercase particles included, titles and exempt openers left out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

_TRANSLATE = str.maketrans(
    {
        "\u2019": "'",
        "\u2018": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u00a0": " ",
        "\u2013": "-",
        "\u2014": "-",
        "\u2212": "-",
        "\u2011": "-",
    }
)

# --- numbers -------------------------------------------------------------------------------------

_UNITS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15,
    "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19,
}  # fmt: skip
_TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90}
_ORDINAL_TEXT = "first second third fourth fifth sixth seventh eighth ninth tenth eleventh twelfth"
_ORDINALS = {word: i for i, word in enumerate(_ORDINAL_TEXT.split(), 1)}  # read in an article, never checked
_SCALES = {"hundred": 100, "thousand": 1e3, "million": 1e6, "billion": 1e9, "trillion": 1e12}
_SHORT_SCALES = {"m": 1e6, "mn": 1e6, "bn": 1e9, "b": 1e9, "k": 1e3, "tn": 1e12, "trn": 1e12}
_SPELLED_WORD = "|".join(sorted([*_UNITS, *_TENS], key=len, reverse=True))
# Spelled numbers too common to be a claim ("one of the", "no one") are read in an article, never checked.
_UNCHECKED_WORDS = frozenset({"zero", "one"})
_CURRENCY_SIGNS = {"$": "$", "£": "£", "€": "€", "¥": "¥"}
_CURRENCY_WORDS = {
    "dollar": "$", "dollars": "$", "usd": "$", "pound": "£", "pounds": "£", "gbp": "£", "sterling": "£",
    "euro": "€", "euros": "€", "eur": "€", "yen": "¥",
}  # fmt: skip
_PERCENT_WORDS = ("%", "per cent", "percent", "percentage points", "percentage point", "pc")

_NUMBER = re.compile(
    r"""
    (?P<sign>(?:US|A|C|NZ|HK)?[$£€¥])?\s?
    (?:
        (?P<digits>(?<![\w.,])\d{1,3}(?:,\d{3})+(?:\.\d+)?(?!\d|,\d) | (?<![\w.,])\d+(?:\.\d+)?)
      | (?P<word>\b(?:(?:twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety)[- ]
                      (?:one|two|three|four|five|six|seven|eight|nine)\b|(?:"""
    + _SPELLED_WORD
    + r""")\b))
    )
    (?P<ordinal>st|nd|rd|th)?
    (?P<tail>(?:\s?-\s?(?:\d+|(?:"""
    + _SPELLED_WORD
    + r""")\b))?)
    (?P<scale>\s?(?:hundred|thousand|million|billion|trillion|m|mn|bn|b|k|tn|trn)\b)?
    (?P<unit>\s?(?:%|per\s?cent\b|percent\b|percentage\spoints?\b|pc\b)|\s(?:dollars?|usd|pounds?|gbp|sterling|euros?|eur|yen)\b)?
    """,
    re.IGNORECASE | re.VERBOSE,
)
# "more than £500,000" for £572,206: a hedged number is grounded by a value in the range it claims.
_HEDGE = re.compile(
    r"\b(more than|over|at least|almost|nearly|up to|less than|under|about|around|roughly|approximately|some)"
    r"\s+$",
    re.IGNORECASE,
)
_HEDGE_RANGES = {
    "more than": (1.0, 1.5), "over": (1.0, 1.5), "at least": (1.0, 1.5), "almost": (0.67, 1.0),
    "nearly": (0.67, 1.0), "up to": (0.67, 1.0), "less than": (0.67, 1.0), "under": (0.67, 1.0),
    "about": (0.85, 1.15), "around": (0.85, 1.15), "roughly": (0.85, 1.15), "approximately": (0.85, 1.15),
    "some": (0.85, 1.15),
}  # fmt: skip
# "world number one", "number eight Billy Vunipola": a rank or position, not a count
_RANK = re.compile(r"\b(?:number|no\.)\s+$", re.IGNORECASE)
# "1." "2)" "(3)" opening a line or a sentence: a list marker. A sentence's start counts as well as a
# line's, so a list item checked alone and the same item inside its paragraph read alike.
_LIST_MARKER = re.compile(r"\(?\d{1,2}[.)](?=\s)")
_BEFORE_MARKER = re.compile(r"(?:\n[ \t>*_#-]*|[.!?\u2026]['\")\]*_]*\s+[>*_#-]*\s*)$")  # not "AGE: 27."
_SPORT = re.compile(
    r"\b(?:goals?|scored|scores|scoring|tries|try|points|wickets|runs|sets?|strike|penalty|won|beat)\b", re.I
)


@dataclass(frozen=True)
class Fact:
    """One number or name of a summary and whether the article holds it."""

    text: str
    kind: str  # "number" or "name"
    grounded: bool
    start: int = 0


@dataclass(frozen=True)
class _Mention:
    text: str
    values: tuple[float, ...]  # one, or the ends of a range / the two sides of a score
    scale: float  # "million" in "3.5 million": 1e6
    unit: str | None  # "%", a currency sign, or None
    spelled: bool
    score: bool
    start: int
    hedge: tuple[float, float] | None = None  # the range a "more than", "about"... claims
    rank: bool = False


def plain(text: str) -> str:
    """Typographic quotes and dashes as ASCII, so that both sides are read alike."""
    return text.translate(_TRANSLATE)


def _value(digits: str | None, word: str | None) -> float | None:
    if digits:
        try:
            return float(digits.replace(",", ""))
        except ValueError:
            return None
    word = (word or "").lower().replace(" ", "-")
    if "-" in word:
        tens, unit = word.split("-", 1)
        return float(_TENS[tens] + _UNITS[unit])
    if word in _UNITS:
        return float(_UNITS[word])
    return float(_TENS[word]) if word in _TENS else None


def _unit(sign: str | None, unit: str | None) -> str | None:
    if sign:
        return _CURRENCY_SIGNS[sign[-1]]
    unit = " ".join((unit or "").lower().split())
    if not unit:
        return None
    if unit.startswith(("%", "per", "percent", "pc")):
        return "%"
    return _CURRENCY_WORDS.get(unit)


def _expand_tail(first: float, tail: str) -> float | None:
    """The second end of "2007-11" (2011) or "4-1" (1)."""
    raw = tail.strip().lstrip("-").strip().lower()
    value = float(raw) if raw.isdigit() else (float(_UNITS[raw]) if raw in _UNITS else _TENS.get(raw))
    if value is None:
        return None
    value = float(value)
    if raw.isdigit() and first >= 1000 and len(raw) < 4 and first == int(first):  # "2007-11", "1914-18"
        base = int(first) - int(first) % (10 ** len(raw))
        expanded = base + int(raw)
        return float(expanded if expanded > first else expanded + 10 ** len(raw))
    return value


def mentions(text: str) -> list[_Mention]:
    """Numbers of ``text`` (list markers left out), each with its values and unit."""
    text = _drop_list_markers(plain(text))
    found = []
    for match in _NUMBER.finditer(text):
        digits, word = match.group("digits"), match.group("word")
        value = _value(digits, word)
        if value is None:
            continue
        values = [value]
        tail = match.group("tail")
        second = _expand_tail(value, tail) if tail else None
        if second is not None:
            values.append(second)
        scale = (match.group("scale") or "").strip().lower()
        factor = float(_SCALES.get(scale) or _SHORT_SCALES.get(scale, 1)) if scale else 1.0
        score = second is not None and value <= 20 and second <= 20 and bool(digits) and "." not in digits
        lead = len(match.group(0)) - len(match.group(0).lstrip())
        before = text[max(0, match.start() - 20) : match.start() + lead]
        hedge = _HEDGE.search(before)
        big = max(values) * factor >= 10  # "about 5" is a count; "about 500,000" an estimate
        found.append(
            _Mention(
                hedge=_HEDGE_RANGES[" ".join(hedge.group(1).lower().split())] if hedge and big else None,
                scale=factor,
                rank=bool(_RANK.search(before)),
                text=match.group(0).strip(),
                values=tuple(values),
                unit=_unit(match.group("sign"), match.group("unit")),
                spelled=word is not None,
                score=score,
                start=match.start(),
            )
        )
    return found


def _drop_list_markers(text: str) -> str:
    def blank(match: re.Match[str]) -> str:
        start = match.start()
        opens = not text[:start].strip(" \t>*_#-") or _BEFORE_MARKER.search(text[max(0, start - 12) : start])
        return " " * len(match.group(0)) if opens else match.group(0)

    return _LIST_MARKER.sub(blank, text)


# --- names ---------------------------------------------------------------------------------------

_TOKEN = re.compile(r"[^\W\d_]+(?:['.][^\W\d_]+)*\.?", re.UNICODE)
_PARTICLES_TEXT = "de la le da di del della der den van von du des dos das bin ibn al el ter y st"
_PARTICLES = frozenset(_PARTICLES_TEXT.split())
_CONNECTORS = frozenset(["of", "and", "&"])  # inside a name ("Office of Fair Trading"), checked apart
_TITLES_TEXT = "mr mrs ms miss dr prof sir dame lord lady rev st mt jr sr i ii iii iv jnr snr"
_TITLES = frozenset(_TITLES_TEXT.split())
_DESIGNATORS_TEXT = """united city town county rovers wanderers athletic albion fc afc club inc ltd llc plc corp
corporation company co group holdings party university college hospital council government airport jr sr"""
_DESIGNATORS = frozenset(_DESIGNATORS_TEXT.split())
_DEMONYM_ENDINGS = ("an", "ian", "ean", "ish", "ese", "i", "ic", "ch", "ss", "ine", "man", "men")
_NATIONS = {
    "irish": "ireland", "welsh": "wales", "scots": "scotland", "scottish": "scotland", "british": "britain",
    "english": "england", "french": "france", "dutch": "netherlands", "swiss": "switzerland", "greek": "greece",
    "spanish": "spain", "danish": "denmark", "swedish": "sweden", "finnish": "finland", "polish": "poland",
    "turkish": "turkey", "thai": "thailand", "filipino": "philippines", "norwegian": "norway", "peruvian": "peru",
}  # fmt: skip
_OPENS_SENTENCE = re.compile(r"(?:^|[.!?:;\u2026]['\")\]*_]*\s+|\n\s*|[\"'(\[*_#>•-]\s*|\b\d{1,2}\)\s+)$")
_WEAK_BEFORE = 12  # characters looked back to decide that a word opens a sentence, heading or item


@lru_cache(maxsize=1)
def _common_words() -> frozenset[str]:
    """Words that open a sentence without being a name: justext's stop list (shipped with trafilatura)
    and the words Webster's Second (the english-words package, its "web2" list) writes in lower case."""
    words: set[str] = set()
    try:
        import justext

        words |= {w.strip('"(').lower() for w in justext.get_stoplist("English")}
    except Exception:  # pragma: no cover - a courtesy list; the article's own words still count
        pass
    try:
        from english_words import get_english_words_set

        words |= {w for w in get_english_words_set(["web2"], lower=False, alpha=True) if w.islower()}
    except Exception:  # pragma: no cover
        pass
    extra = """a an the and but or so yet for of in on at to by from with as after before when while since
    until if then than though although because however meanwhile also still he she it they we you his her
    its their our my your this that these those there here what which who whom whose why how where all any
    both each every some many most no not such only just even despite former new key overall summary
    today yesterday tomorrow last next according officials police authorities experts researchers"""
    return frozenset(words | set(extra.split()))


@dataclass(frozen=True)
class _Word:
    text: str
    key: str  # lower case, possessive and final dot gone
    start: int
    end: int
    capital: bool
    opener: bool  # first word of a sentence, heading or list item
    heading: bool = False  # inside a markdown heading or bold label: title case on purpose


# Markdown headings and bold labels ("## Key Takeaways", "**Bottom Line:**") are title case on purpose
# and name what follows, where any name is checked: their words are not checked as names. Read from the
# marks alone (not from line starts), so a sentence checked alone and inside its paragraph agree.
_HEADING = re.compile(r"#{1,6}[ \t]+[^\n.!?:#]*|\*\*[^*\n]{1,80}\*\*")


def _headings(text: str) -> list[tuple[int, int]]:
    return [match.span() for match in _HEADING.finditer(text)]


def _words(text: str) -> list[_Word]:
    headings = _headings(text)
    words = []
    for match in _TOKEN.finditer(text):
        raw = match.group(0)
        key = _key(raw)
        before = text[max(0, match.start() - _WEAK_BEFORE) : match.start()]
        opener = match.start() == 0 or bool(_OPENS_SENTENCE.search(before))
        heading = any(start <= match.start() < end for start, end in headings)
        words.append(_Word(raw, key, match.start(), match.end(), raw[0].isupper(), opener or heading, heading))
    return words


_SKIPPED = frozenset(("of", "and", "the", "for", "&"))


def _key(token: str) -> str:
    key = token.lower().rstrip(".")
    return key[:-2] if key.endswith("'s") else key


class Grounder:
    """The facts of one article, built once and asked about many summaries or sentences."""

    def __init__(self, source_text: str) -> None:
        text = plain(source_text)  # list markers are dropped by mentions(), once
        self.values: dict[float, set[str | None]] = {}
        self.pairs: set[tuple[float, float]] = set()
        for mention in mentions(text):
            for value in {*mention.values, *(v * mention.scale for v in mention.values)}:
                self.values.setdefault(value, set()).add(mention.unit)
            if len(mention.values) >= 2:
                self.pairs.add(mention.values[:2])
        lowered = set(re.findall(r"[a-z]+", text.lower()))
        for word in lowered & (_UNITS.keys() | _TENS.keys() | _ORDINALS.keys()):  # "third quarter" grounds "Q3"
            value = _UNITS.get(word, _TENS.get(word, _ORDINALS.get(word, 0)))
            self.values.setdefault(float(value), set()).add(None)
        if "half" in lowered:  # "half the staff" grounds "50%"
            self.values.setdefault(50.0, set()).add("%")
        if re.search(r"\b(?:a|one|half a) dozen\b", text, re.IGNORECASE):
            self.values.setdefault(12.0, set()).add(None)
        self.sporty = len(_SPORT.findall(text)) >= 2
        tokens = _TOKEN.findall(text)  # the article's words: what a name may be matched against
        keys = [_key(token) for token in tokens]
        self.keys = set(keys) | {t.lower() for t in tokens} | {k.replace(".", "") for k in keys}
        for key in set(keys):  # "Jean-Luc" and "O'Neil" as written, and their parts
            self.keys.update(re.split(r"[-'.]", key))
        self.sequence = keys
        self.capitalized = {k for t, k in zip(tokens, keys, strict=True) if t[0].isupper()}
        self.acronyms = {t.rstrip(".").replace(".", "").lower() for t in set(tokens) if _is_acronym(t)}

    # -- the public questions --

    def missing(self, summary: str) -> list[str]:
        """Numbers and names of ``summary`` the article does not hold, in order of appearance."""
        return [fact.text for fact in self.facts(summary) if not fact.grounded]

    def facts(self, summary: str) -> list[Fact]:
        """Every number and name of ``summary``, each with whether the article holds it."""
        text = plain(summary)
        found = [
            self._number(m)
            for m in mentions(text)
            if not (m.spelled and (m.text.lower() in _UNCHECKED_WORDS or m.rank))
        ]
        found += self._names(text)
        return sorted(found, key=lambda fact: fact.start)

    # -- numbers --

    def _number(self, mention: _Mention) -> Fact:
        def held(value: float) -> bool:
            units = self.values.get(value)
            if units is None:
                return False
            if mention.unit is None:
                return True
            return mention.unit in units or (mention.unit != "%" and None in units)

        def held_scaled(value: float) -> bool:
            return held(value) or (mention.scale != 1 and held(value * mention.scale))

        ends = mention.values
        if len(ends) == 2:
            both = held_scaled(ends[0]) and held_scaled(ends[1])
            in_pairs = ends in self.pairs or (mention.score and ends[::-1] in self.pairs)
            computed = mention.score and self.sporty and max(ends) <= 9  # goals listed one by one
            grounded = both or in_pairs or computed
        else:
            grounded = held_scaled(ends[0])
        if not grounded and mention.hedge and len(ends) == 1:
            low, high = mention.hedge
            claimed = ends[0] * mention.scale
            grounded = any(
                low * claimed <= value <= high * claimed and (mention.unit is None or mention.unit in units)
                for value, units in self.values.items()
            )
        return Fact(mention.text, "number", grounded, mention.start)

    # -- names --

    def _names(self, text: str) -> list[Fact]:
        words = _words(text)
        facts, run = [], []
        for i, word in enumerate(words):
            joins = bool(run) and not word.capital and word.key in _PARTICLES | _CONNECTORS
            joins = joins and _particles_then_name(words, i)
            joins = joins and text[run[-1].end : word.start].strip() == ""
            if word.capital or joins:
                ended = run and run[-1].text.lower().endswith("'s")  # "Sussex's Police and Crime Commissioner"
                if run and (ended or text[run[-1].end : word.start].strip() not in ("", "-") or word.opener):
                    facts += self._run(run, text)
                    run = []
                run.append(word)
            else:
                facts += self._run(run, text)
                run = []
        return facts + self._run(run, text)

    def _run(self, run: list[_Word], text: str) -> list[Fact]:
        """One capitalized run ("Zack de la Rocha"): a fact if any of its words must be checked."""
        checked = [w for w in run if w.capital and self._checked(w)]
        if not checked:
            return []
        spelled_out = [w.key for w in run if w.key != "the"]
        letters = {"".join(k[0] for k in spelled_out), "".join(k[0] for k in spelled_out if k not in _CONNECTORS)}
        if len(spelled_out) >= 2 and letters & self.acronyms:  # "Western Australia" for "WA"
            grounded = True
        else:
            grounded = all(self._has(w, run) for w in checked) or self._given_name(run, checked)
        shown = [w for w in run if w.capital]
        while shown[0] is not checked[0] and (
            shown[0].key in _TITLES | _SKIPPED | {"a", "an"}
            or (not self._checked(shown[0]) and shown[0].key not in self.capitalized)
        ):
            shown.pop(0)
        first = shown[0]
        name = re.sub(r"'s$", "", text[first.start : shown[-1].end]).rstrip(".")
        return [Fact(name, "name", grounded, first.start)]

    def _abbreviates(self, letters: str) -> bool:
        """Whether consecutive article words start with these letters (skipping "of", "and", "the")."""
        sequence, n = self.sequence, len(letters)
        for i, key in enumerate(sequence):
            if key[:1] != letters[0]:
                continue
            found = "".join(k[0] for k in sequence[i : i + n] if k)
            plain_found = "".join(k[0] for k in sequence[i : i + 2 * n] if k and k not in _SKIPPED)[:n]
            if letters in (found, plain_found):
                return True
        return False

    def _given_name(self, run: list[_Word], checked: list[_Word]) -> bool:
        """ "Eddie Howe" for an article that says "Howe": given names before a surname the article uses
        as a name are a variant of that name, as "Chris Eubank Jr" is of "Christopher ... Eubank Jr."."""
        capitals = [w for w in run if w.capital]
        if len(capitals) < 2 or capitals[-1].key not in self.capitalized or len(capitals[-1].key) < 3:
            return False
        missing = [w for w in checked if not self._has(w, run)]
        return len(missing) <= 2 and all(w is not capitals[-1] and w.key.isalpha() for w in missing)

    def _checked(self, word: _Word) -> bool:
        if word.key in _TITLES or len(word.key.replace(".", "")) < 2:  # "J. K.", "U" of "U123": not names
            return False
        if word.heading:
            return False
        if word.key in _UNITS or word.key in _TENS:  # "Two men...": a number, checked as one
            return False
        if word.text.isupper() and len(word.key) >= 4 and _common(word.key):  # "CLICK HERE"
            return False
        return not (word.opener and _common(word.key))

    def _has(self, word: _Word, run: list[_Word]) -> bool:
        key = word.key
        if key in self.keys or word.text.lower() in self.keys:
            return True
        parts = [p for p in re.split(r"[-'.]", key) if p]
        if len(parts) > 1 and all(p in self.keys for p in parts):
            return True
        if key.endswith("s") and key[:-1] in self.keys:  # "Reds", "the Smiths"
            return True
        if _is_acronym(word.text) and self._abbreviates(key.replace(".", "")):  # "WA", "CEO"
            return True
        if len(key) >= 3 and any(c.startswith(key) for c in self.capitalized):  # "Chris" for "Christopher"
            return True
        if _NATIONS.get(key.removesuffix("man").removesuffix("men")) in self.keys:  # "Irishman" for "Ireland"
            return True
        if key.endswith(_DEMONYM_ENDINGS) and len(key) >= 5:  # "Canadian" for "Canada"
            stem = key[:4]
            if any(c.startswith(stem) for c in self.capitalized):
                return True
        if key in _DESIGNATORS:  # "West Ham United" for "West Ham"
            others = [w for w in run if w.capital and w is not word and w.key not in _DESIGNATORS]
            return bool(others) and all(o.key in self.keys for o in others)
        return False


def _particles_then_name(words: list[_Word], i: int) -> bool:
    """Whether lowercase particles from ``i`` on lead to a capitalized word: "de la Rocha"."""
    while i < len(words) and not words[i].capital and words[i].key in _PARTICLES | _CONNECTORS:
        i += 1
    return i < len(words) and words[i].capital


def _common(key: str) -> bool:
    """A common word, or one in an inflected form ("Points", "Scored", "Rising")."""
    common = _common_words()
    if key in common:
        return True
    for suffix, back in (("s", ""), ("es", ""), ("ed", ""), ("ed", "e"), ("d", ""), ("ing", ""), ("ing", "e"),
                         ("ies", "y"), ("ied", "y"), ("ly", "")):  # fmt: skip
        if key.endswith(suffix) and len(key) > len(suffix) + 2 and key[: -len(suffix)] + back in common:
            return True
    return False


def _is_acronym(text: str) -> bool:
    letters = text.replace(".", "").rstrip("'s")
    return 2 <= len(letters) <= 6 and letters.isalpha() and letters.isupper()
