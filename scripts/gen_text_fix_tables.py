#!/usr/bin/env python3
"""Generates src/text/generated/text_fix_tables.cpp: the data behind sdxl::text's ftfy-equivalent text fixes.

Both reference CLIP tokenizers call `ftfy.fix_text` (6.3.1) with its default settings first. Every table
here is read from ftfy's own module data or computed by calling ftfy's own fixer functions, so the C++
side only reproduces the control flow of `fix_text` (src/text/text_fixes.cpp):

  uppercase entities   ftfy.chardata.HTML_ENTITIES keys that are not in html.entities.html5 ("&EACUTE;")
  c1 controls          fixes.fix_c1_controls on U+0080..U+009F (sloppy Windows-1252)
  ligatures            fixes.fix_latin_ligatures on every code point that it changes
  width forms          fixes.fix_character_width on every code point that it changes
  quotes               fixes.uncurl_quotes on every code point that it changes
  removed controls     fixes.remove_control_chars: the code points it deletes
  decimal digits       str.isdecimal() (\\d of Python's `re`, used by the terminal-escape pattern)
  NFC                  unicodedata: canonical combining classes, canonical decompositions, and the
                       primary composites (two-character canonical decompositions that NFC keeps)

Run with the reference environment (Python 3.11, Unicode 14.0.0, ftfy 6.3.1):
    .venv-ref/bin/python scripts/gen_text_fix_tables.py > src/text/generated/text_fix_tables.cpp
"""
import html.entities
import os
import sys
import unicodedata

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gen_unicode_tables import MAX_CP, emit_ranges, is_surrogate, ranges  # noqa: E402

import ftfy  # noqa: E402
from ftfy import chardata, fixes  # noqa: E402

assert ftfy.__version__ == "6.3.1", ftfy.__version__
assert unicodedata.unidata_version == "14.0.0", unicodedata.unidata_version


def c_string(s):
    return '"' + "".join(f"\\{b:03o}" if b < 0x20 or b >= 0x7F or b in b'"\\?' else chr(b) for b in s.encode()) + '"'


def changed_by(fixer):
    """(code point, replacement) for every code point a per-character fixer changes."""
    out = []
    for cp in range(MAX_CP):
        if is_surrogate(cp):
            continue
        fixed = fixer(chr(cp))
        if fixed != chr(cp):
            out.append((cp, fixed))
    return out


def emit_table(out, comment, ctype, name, rows):
    """A C array of preformatted initializers and its element count `{name}Count`."""
    out += [f"// {comment}", f"const {ctype} {name}[] = {{"] + [f"    {{{row}}}," for row in rows]
    out += ["};", f"const size_t {name}Count = sizeof({name}) / sizeof({name}[0]);", ""]


def replacements(pairs):
    return [f"0x{cp:X}, {c_string(text)}" for cp, text in pairs]


def uppercase_entities():
    """ftfy's extra names: all-caps spellings of lowercase HTML5 names (sorted by name, strcmp order)."""
    html5 = html.entities.html5
    extra = [(k[1:], v) for k, v in chardata.HTML_ENTITIES.items() if k[1:] not in html5]
    assert all(k.endswith(";") and k.upper() == k for k, _ in extra)
    # Every other key is exactly a `;`-terminated html5 name: the C++ looks those up in generated/html_entities.cpp.
    assert {k[1:] for k in chardata.HTML_ENTITIES} - {k for k, _ in extra} == {k for k in html5 if k.endswith(";")}
    return sorted(extra, key=lambda kv: kv[0].encode())


def canonical_decomposition(cp):
    d = unicodedata.decomposition(chr(cp))
    if not d or d.startswith("<"):
        return None
    return [int(x, 16) for x in d.split()]


def nfc_tables():
    ccc, decomp, compose = [], [], []
    for cp in range(MAX_CP):
        if is_surrogate(cp):
            continue
        c = unicodedata.combining(chr(cp))
        if c:
            if ccc and ccc[-1][1] == cp - 1 and ccc[-1][2] == c:
                ccc[-1] = (ccc[-1][0], cp, c)
            else:
                ccc.append((cp, cp, c))
        d = canonical_decomposition(cp)
        if d is None:
            continue
        assert 1 <= len(d) <= 2
        decomp.append((cp, d[0], d[1] if len(d) == 2 else 0))
        # A two-character decomposition whose composite NFC keeps is a primary composite.
        if len(d) == 2 and unicodedata.normalize("NFC", chr(cp)) == chr(cp):
            compose.append((d[0], d[1], cp))
    compose.sort()
    # The fast path in unicode_normalization.cpp: text below U+0300 is already NFC.
    assert all(unicodedata.normalize("NFC", chr(cp)) == chr(cp) for cp in range(0x300))
    assert all(b >= 0x300 for _, b, _ in compose)
    assert not any(0xAC00 <= cp <= 0xD7A3 for cp, _, _ in decomp)  # Hangul is algorithmic
    return ccc, decomp, compose


def main():
    c1 = [(cp, fixes.fix_c1_controls(chr(cp))) for cp in range(0x80, 0xA0)]
    ligatures = changed_by(fixes.fix_latin_ligatures)
    widths = changed_by(fixes.fix_character_width)
    quotes = changed_by(fixes.uncurl_quotes)
    removed = ranges(lambda cp: not is_surrogate(cp) and fixes.remove_control_chars(chr(cp)) == "")
    decimal = ranges(lambda cp: not is_surrogate(cp) and chr(cp).isdecimal())
    ccc, decomp, compose = nfc_tables()

    out = [
        f"// GENERATED by scripts/gen_text_fix_tables.py from ftfy {ftfy.__version__}, Python "
        f"{sys.version.split()[0]} (Unicode {unicodedata.unidata_version}). Do not edit.",
        '#include "text/text_fix_tables.h"',
        "",
        "namespace sdxl::text::fix_data {",
        "",
    ]
    emit_table(out, "ftfy.chardata.HTML_ENTITIES beyond html5's `;` names: all-caps spellings (name without '&').",
               "NamedReference", "kUppercaseEntities", [f"{c_string(n)}, {c_string(t)}" for n, t in uppercase_entities()])
    emit_table(out, "fixes.fix_c1_controls: U+0080..U+009F read as sloppy Windows-1252.", "Replacement",
               "kC1Controls", replacements(c1))
    emit_table(out, "fixes.fix_latin_ligatures.", "Replacement", "kLigatures", replacements(ligatures))
    emit_table(out, "fixes.fix_character_width (full-width and half-width forms, U+3000).", "Replacement",
               "kWidthForms", replacements(widths))
    emit_table(out, "fixes.uncurl_quotes.", "Replacement", "kCurlyQuotes", replacements(quotes))
    out.append("// fixes.remove_control_chars: deleted code points.")
    emit_ranges("kRemovedControls", removed, out)
    out.append("// str.isdecimal() (General_Category Nd): `\\d` of Python's re in fixes.ANSI_RE.")
    emit_ranges("kDecimalDigits", decimal, out)
    emit_table(out, "unicodedata.combining(): non-zero canonical combining classes.", "CombiningClassRange",
               "kCombiningClass", [f"0x{a:X}, 0x{b:X}, {c}" for a, b, c in ccc])
    emit_table(out, "unicodedata.decomposition() without a <tag>: one level, second = 0 for singletons.",
               "Decomposition", "kCanonicalDecomposition", [f"0x{cp:X}, 0x{a:X}, 0x{b:X}" for cp, a, b in decomp])
    emit_table(out, "Primary composites, sorted by (first, second).", "Composition", "kCompositions",
               [f"0x{a:X}, 0x{b:X}, 0x{cp:X}" for a, b, cp in compose])
    out.append("}  // namespace sdxl::text::fix_data")
    print("\n".join(out))


if __name__ == "__main__":
    main()
