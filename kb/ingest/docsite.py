"""What docs-site generators put in front matter, and MDX read as Markdown.

A Hugo, Docusaurus, Starlight (Astro) or MkDocs (Material) page carries fields for the site's
layout (`weight`, `sidebar_position`, `toc`, ...). They say nothing about the answer, so they are
ignored, counted, and reported in one line per load (`Notes.summary`) instead of one error per file.
A few carry content and are mapped: `description` and `summary` to the article's summary, `lastmod`
and `date` to `updated` (when `updated` is not given), `draft: true` skips the file with a notice.
Any other unknown field is still refused (a misspelt `visiblity` must not be dropped silently).

The field names come from each generator's front-matter reference: Hugo's "Front matter" page,
Docusaurus' "docs" plugin (`sidebar_*`, `pagination_*`, `hide_*`), Starlight's frontmatter
reference, MkDocs Material's "Setting up ..." pages (`hide`, `icon`, `status`, `search`).
"""

from __future__ import annotations

import difflib
import re
from collections import Counter
from dataclasses import dataclass, field

from ..errors import Problem

# content fields mapped onto the article (name in the page -> Article field)
SUMMARY_FIELDS = ("description", "summary")
UPDATED_FIELDS = ("lastmod", "date", "last_update")

# layout, navigation and rendering fields: no meaning for search, ignored (compared in lower case)
_LAYOUT_NAMES = (
    # Hugo
    "weight aliases linkTitle layout type menu menus outputs cascade markup headless build "
    "publishDate expiryDate keywords images series categories translationKey isCJKLanguage "
    "toc showToc TocOpen math mermaid author authors featured_image thumbnail resources "
    "sitemap params "
    # Docusaurus
    "id sidebar_label sidebar_position sidebar_class_name sidebar_custom_props sidebar_key "
    "displayed_sidebar hide_title hide_table_of_contents toc_min_heading_level "
    "toc_max_heading_level pagination_label pagination_next pagination_prev "
    "parse_number_prefixes custom_edit_url image unlisted "
    # Starlight / Astro
    "sidebar template hero banner head editUrl lastUpdated prev next pagefind "
    "tableOfContents "
    # MkDocs (Material) and Jekyll-style themes
    "hide icon status subtitle search comments nav_order parent nav_exclude has_children "
    "permalink"
)
PRESENTATIONAL = frozenset(name.lower() for name in _LAYOUT_NAMES.split())

# JSX and ESM lines of an .mdx file: `import X from '...'`, `export const ...`, `<Tabs>`,
# `</TabItem>`, `<Admonition type="tip" />`, fragments and `{/* comments */}`
ESM_RE = re.compile(r"^(import|export)\s")
JSX_OPEN_RE = re.compile(r"^\s*<(/?[A-Z][\w.]*|/?>|>)")
JSX_TAG_RE = re.compile(r"</?(?:[A-Z][\w.]*)?(?:\s[^<>]*)?/?>")
JSX_COMMENT_RE = re.compile(r"^\s*\{/\*.*\*/\}\s*$")
FENCES = ("```", "~~~")


@dataclass
class Notes:
    """Notices of one load: things done that the editor should know about but that are not
    errors (a draft skipped, a file of another format skipped, merged cells filled, a header found
    on row 3). `ignored` counts presentational fields by name, for one summary line."""

    items: list[Problem] = field(default_factory=list)
    ignored: Counter = field(default_factory=Counter)

    def add(self, path: str, line: int, message: str) -> None:
        """Record one notice, printed like a problem: `path:line: message`."""
        self.items.append(Problem(path, line, message))

    def all(self, where: str = "front matter") -> list[Problem]:
        """Every notice, then the one line (at `where`, line 0) counting ignored presentational
        fields by name (if any)."""
        if not self.ignored:
            return list(self.items)
        counts = ", ".join(f"{name} ({n})" for name, n in sorted(self.ignored.items()))
        line = Problem(
            where,
            0,
            f"ignored docs-site layout fields (they do not change search): {counts}",
        )
        return [*self.items, line]


def field_hint(name: str, known: list[str]) -> str:
    """`did you mean 'title'? ` for the name of `known` or PRESENTATIONAL closest to a misspelt
    field `name` (difflib, cutoff 0.6), a layout field said to be ignored
    (`did you mean 'sidebar_position' (a layout field, ignored)? `); "" when none is close."""
    close = difflib.get_close_matches(name, [*known, *sorted(PRESENTATIONAL)], n=1)
    if not close:
        return ""
    layout = " (a layout field, ignored)" if close[0] not in known else ""
    return f"did you mean {close[0]!r}{layout}? "


def is_presentational(key: object) -> bool:
    """Whether a front-matter key is a docs-site layout field (PRESENTATIONAL, any case)."""
    return isinstance(key, str) and key.strip().lower() in PRESENTATIONAL


def strip_mdx(text: str) -> str:
    """An .mdx file's text as Markdown with the same line numbers: outside code fences and the
    front matter, `import`/`export` lines, lines that are JSX tags of components (a capitalised
    name, `<Tabs>`, `</TabItem>`, a tag spread over several lines up to its closing `>`),
    fragments (`<>`, `</>`) and `{/* comments */}` become empty lines. Text inside a component
    is kept (also on the tag's own line: `<Note>Fees apply.</Note>` -> `Fees apply.`);
    lower-case HTML tags are left to the Markdown reader like in any .md file."""
    lines = text.split("\n")
    out: list[str] = []
    in_fence = in_tag = False
    front = bool(lines) and lines[0].strip() == "---"
    for number, line in enumerate(lines):
        stripped = line.strip()
        if front:
            out.append(line)
            front = not (number > 0 and stripped in ("---", "..."))
            continue
        if stripped.startswith(FENCES):
            in_fence = not in_fence
        if in_fence or stripped.startswith(FENCES):
            out.append(line)
            continue
        if in_tag:
            in_tag = ">" not in line
            out.append("")
            continue
        if ESM_RE.match(line) or JSX_COMMENT_RE.match(line):
            out.append("")
        elif JSX_OPEN_RE.match(line):
            in_tag = ">" not in line
            out.append("" if in_tag else JSX_TAG_RE.sub("", line).strip())
        else:
            out.append(line)
    return "\n".join(out)
