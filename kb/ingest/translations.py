"""Language groups: an article in another language names its original with `translation_of:
<slug>`, so a front end can show the version in the reader's language (issue 14 item 6).

Checked once every article is loaded: the original must exist, must not itself be a translation
(one original per group, so a group is found with one lookup) and must be in another language;
two translations of one original must not share a language; a public article cannot be the
translation of an internal one (the public partition would name the internal slug).
"""

from __future__ import annotations

from collections.abc import Iterable

from ..errors import Problem
from ..model import Article
from .questions import renamed_row_hint


def translation_problems(articles: Iterable[Article]) -> list[Problem]:
    """One Problem per article whose `translation_of` is unknown, itself, a translation, internal
    while the article is public, in the same language, or a language another translation of that
    original already has; each at the article's source and body line, naming the bad value and
    the fix."""
    articles = list(articles)
    by_slug = {a.slug: a for a in articles}
    problems: list[Problem] = []
    taken: dict[tuple[str, str], str] = {}  # (original, language) -> the slug that has it
    for article in articles:
        target = article.translation_of
        if not target:
            continue
        original = by_slug.get(target)
        if original is None and (hint := renamed_row_hint(target, (), articles, set())):
            problem = f"translation_of: {hint}"
        elif original is None or original is article:
            why = "is this article itself" if original is article else "is not an article's slug"
            problem = f"translation_of {target!r} {why}; name the slug of the original article"
        elif original.translation_of:
            problem = (
                f"translation_of {target!r} is itself a translation of "
                f"{original.translation_of!r}; name the original {original.translation_of!r}"
            )
        elif article.is_public and not original.is_public:  # its slug would reach customers
            problem = (
                f"translation_of {target!r} is an internal article and this one is public; "
                "set this article's visibility to internal or remove the field"
            )
        elif original.language == article.language:
            problem = (
                f"translation_of {target!r} is in the same language "
                f"({article.language.value}); set this article's 'language' or remove the field"
            )
        elif (target, article.language.value) in taken:
            other = taken[(target, article.language.value)]
            problem = (
                f"{other!r} is already the {article.language.value} version of {target!r}; "
                "keep one translation per language"
            )
        else:
            taken[(target, article.language.value)] = article.slug
            continue
        problems.append(Problem(article.source, article.body_line, problem))
    return problems
