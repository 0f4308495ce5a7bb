"""Text that is no question: code and markup pasted or typed as an attack, and web addresses,
which name no topic (issue 17 item 6, "no good match").

Read before anything rewrites the query's punctuation (`word_joins.joined_words` spaces the dots
of `console.log(x)` and `www.example.com`).
"""

from __future__ import annotations

import re

from ..text.normalise import CJK_RUN_RE

# Code pasted or typed as an attack, not a question: a markup tag (<script>, </div>, <!--), a
# script address (javascript:, document.cookie: a new user's test, twentieth session), SQL
# (select *, drop table, union select, insert into, a `--` comment after a quote or `;`), a path
# climbing folders, a template expression. Its words (script, alert, users) are in no help center,
# yet its cosine to some article passed the cross-language threshold (off_topic*.txt, 2026-12-02).
CODE_RE = re.compile(
    r"<\s*/?\s*[a-z!][^<>]*>|\b(?:java|vb)script\s*:|\bdocument\.cookie\b"
    r"|\bselect\s+\*|\b(?:drop|truncate|alter)\s+table\b"
    r"|\bunion\s+(?:all\s+)?select\b|\binsert\s+into\b|['\";]\s*(?:or\b.*)?--|\.\./|\$\{|\{\{"
    # program text (a new user's break test, twenty-second session: `def foo(): return 42`
    # passed at cosine 0.844): a definition, a call of a printing function, an import, an
    # include, a declaration, a loop header, a block opened after a parenthesis
    r"|\bdef\s+\w+\s*\(|\b(?:print|printf|println|echo|console\.\w+)\("
    r"|^\s*(?:import\s+[\w.]+(?:\s+as\s+\w+)?|from\s+[\w.]+\s+import\s+\S+)\s*$|#\s*include\b"
    r"|\b(?:public|private|static)\s+(?:static\s+)?(?:void|int|string|class)\b"
    r"|\b(?:var|let|const)\s+\w+\s*=|\bfor\s*\(.*;.*;|\bfor\s+\w+\s+in\s+\w+\([^)]*\)\s*:"
    r"|\)\s*\{"
)
# a web address (scheme or www., or a host ending in a common top-level domain) is no topic: a
# bare `https://www.google.com/search?q=hello` passed at cosine 0.865 (the same break test), and a
# question about a link keeps its words (`这个链接 http://... 是骗子吗`: 链接, 骗子). An e-mail
# address is kept: the help center's own (`support@example.com`) is a question for it.
URL_RE = re.compile(
    r"(?<![@\w.-])(?:(?:https?|ftp)://|www\.)\S+"
    r"|(?<![@\w.-])[a-z0-9-]+(?:\.[a-z0-9-]+)*\.(?:com|net|org|cn|io|me|co|ly|info|app|hk|tw)"
    r"(?:[/?#]\S*)?(?![\w@-])"
)


def without_code(text: str) -> str | None:
    """None when normalised `text` is code (CODE_RE), else `text` with its web addresses
    (URL_RE) blanked out: what "no good match" reads a question from. Before `joined_words`,
    which rewrites the dots of `console.log(x)` and `www.example.com` as spaces."""
    return None if CODE_RE.search(text) else URL_RE.sub(" ", text)


def named_links(text: str) -> str:
    """Normalised `text` with the word for a link (`链接` in a query with a CJK character, `link`
    in another) before each web address (URL_RE), when words other than addresses are left;
    `text` itself when it is only addresses ("no good match" judges those, `without_code`).

    A customer who asks whether a link is genuine pastes it, and the address's own words
    (`okpay`, `verify`, `login`, `refund`) pulled the ranking to the articles about them. On 9
    such questions (eval/links.jsonl, 4 a new user wrote, twenty-third session): as written R@1
    0.11, R@10 0.89; the address replaced by the word R@1 0.56, R@10 0.67 (an address can name
    its topic: `community.example.com`); the word added before it R@1 0.44, R@10 1.00
    (docs/BENCHMARKS.md, "code and addresses")."""
    if not URL_RE.search(text) or not URL_RE.sub(" ", text).strip():
        return text
    word = "链接" if CJK_RUN_RE.search(text) else "link"
    return URL_RE.sub(lambda found: f" {word} {found.group()} ", text)
