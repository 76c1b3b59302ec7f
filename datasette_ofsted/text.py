"""Text helpers shared by the parser, the classifier and the comparison.

Kept free of I/O so that every step that looks at words sees them the same way.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from itertools import chain

import snowballstemmer

# Quote marks and dashes vary between reports and years; the gold quotes and the
# comparison ignore the difference, so everything that compares text does too.
_SINGLE_QUOTES = re.compile(r"[\u2018\u2019\u201b\u2032]")
_DOUBLE_QUOTES = re.compile(r"[\u201c\u201d\u201f]")
_DASHES = re.compile(r"[\u2010-\u2015\u2212]")
_SPACES = re.compile(r"\s+")


def normalise(text: str) -> str:
    """Fold case, quotes, dashes and white space: the form quotes are matched in."""
    if text.isascii():  # most sentences: nothing to fold but case and white space
        return " ".join(text.split()).lower()
    text = unicodedata.normalize("NFKC", text)
    text = text.replace("\ufffe", "-").replace("\u00ad", "")
    text = _SINGLE_QUOTES.sub("'", text)
    text = _DOUBLE_QUOTES.sub('"', text)
    text = _DASHES.sub("-", text)
    return _SPACES.sub(" ", text).strip().lower()


STOPWORDS = frozenset(
    """a about above across after again against all almost along also although always am among an and any
    are as at be because been before being below between both but by can could did do does doing done down
    during each either enough etc even ever every few for from further had has have having he her here hers
    him his how however i if in into is it its itself just least less let like made make makes many may me
    more most much must my near need needs no nor not now of off often on once one only or other others our
    out over own per quite rather same see seen she should since so some still such than that the their them
    then there these they this those though through thus to too under until up upon us very was we well were
    what when where whether which while who whom whose why will with within without would yet you your
    ensure ensures ensuring including include includes local authority authorities children child young people
    person inspector inspectors inspection social work workers worker service services
    practice improve improving improvement improved sufficiently
    effective effectively always""".split()
)

_WORD = re.compile(r"[a-z][a-z'\-]*[a-z]|[a-z]")
_stemmer = snowballstemmer.stemmer("english")


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    return _stemmer.stemWord(word)


def _token_words(token: str) -> list[str]:
    token = token.replace("'s", "").replace("'", "")
    return [part for part in token.split("-") if part]


def words(text: str) -> list[str]:
    """Lower-case word tokens with hyphens split, apostrophe endings dropped."""
    return [word for token in _WORD.findall(normalise(text)) for word in _token_words(token)]


# Words reports use for one matter, each with the word it is compared as, and why. Kept small: a synonym
# joins two matters everywhere, so each must hold across the whole archive.
SYNONYMS = {
    # A child's home in care is a placement in older reports and accommodation or a home in newer ones
    # ("the quality of accommodation for young people" / "the quality of these placements varies").
    "accommodation": "placement",
    "accommodations": "placement",
    # A shortage is named by the noun with its prefix ("an insufficiency of homes"): the matter is sufficiency;
    # whether it is criticised is polarity's business.
    "insufficiency": "sufficiency",
}


class _TokenStems(dict):
    """The content stems of a token, worked out once per token of the vocabulary."""

    def __missing__(self, token: str) -> tuple[str, ...]:
        if len(self) > 200_000:
            self.clear()
        self[token] = tuple(stem(SYNONYMS.get(w, w)) for w in _token_words(token) if w not in STOPWORDS and len(w) > 2)
        return self[token]


def stem_of_word(word: str) -> str:
    """The stem a word is compared as (its synonym's, if it has one)."""
    return stem(SYNONYMS.get(word, word))


_TOKEN_STEMS = _TokenStems()


def stems_of_normalised(folded: str) -> list[str]:
    """Stems of the words that carry meaning, in a normalised text: what two wordings of one concern share."""
    return list(chain.from_iterable(map(_TOKEN_STEMS.__getitem__, _WORD.findall(folded))))


_SENTENCE_END = re.compile(r"(?<=[.!?])[\"')\]]*\s+(?=[A-Z(\"'\u2018\u201c])")
_ABBREVIATIONS = re.compile(r"\b(?:e\.g|i\.e|etc|Mr|Mrs|Ms|Dr|St|No)\.$")


def sentences(text: str) -> list[str]:
    """Split a paragraph into sentences, keeping abbreviations such as 'e.g.' whole."""
    parts: list[str] = []
    for piece in _SENTENCE_END.split(text.strip()):
        if parts and _ABBREVIATIONS.search(parts[-1]):
            parts[-1] = f"{parts[-1]} {piece}"
        elif piece:
            parts.append(piece)
    return [p.strip() for p in parts if p.strip()]


def slugify(name: str) -> str:
    name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
