"""Table printing shared by the bench scripts: one header row, rows of strings, notes below.

The first column is left-aligned (names), the others right-aligned (figures). As markdown the table is
ready for the README; as plain text the columns are padded and the header underlined.
"""

from __future__ import annotations


def render_table(head: list[str], rows: list[list[str]], markdown: bool, notes: list[str] = ()) -> str:
    """The table as text; `notes` follow after a blank line (as a markdown list when `markdown`)."""
    table = [list(head)] + [list(r) for r in rows]
    lines = []
    if markdown:
        lines.append("| " + " | ".join(table[0]) + " |")
        lines.append("|" + "|".join(["---"] + ["---:"] * (len(head) - 1)) + "|")
        lines += ["| " + " | ".join(r) + " |" for r in table[1:]]
    else:
        widths = [max(len(r[i]) for r in table) for i in range(len(head))]
        for n, r in enumerate(table):
            lines.append("  ".join(v.ljust(w) if i == 0 else v.rjust(w) for i, (v, w) in enumerate(zip(r, widths))))
            if n == 0:
                lines.append("  ".join("-" * w for w in widths))
    if notes:
        lines.append("")
        lines += [("- " if markdown else "") + n for n in notes]
    return "\n".join(lines)
