// ftfy 6.3.1's `fix_text` with its default settings, on code points: the text cleaning both reference CLIP
// tokenizers apply before anything else (HF CLIPTokenizer when ftfy is installed, open_clip always).
// Tables: generated/text_fix_tables.cpp (scripts/gen_text_fix_tables.py reads them out of ftfy itself).
#pragma once
#include <string>

namespace sdxl::text {

// ftfy.fix_text(text): the text is cut into segments after each '\n' (and every 1,000,000 code points);
// once a segment contains '<', HTML unescaping is off for it and every later one. Each segment gets the
// fixes below in ftfy's order, repeated until the segment no longer changes, each round ending with NFC.
// Not reproduced: `fix_encoding` (the heuristic mojibake repair, e.g. "cafÃ©" -> "café"): such text is
// left as it is. `fix_surrogates` has nothing to do: valid UTF-8 cannot carry surrogates.
std::u32string ftfy_fix_text(const std::u32string& text);

// The individual fixes (ftfy.fixes.*), in the order fix_text applies them.
namespace ftfy_fixes {
// `&name;` (HTML5 names ending in ';', plus all-caps spellings of lowercase names: "&EACUTE;") and
// `&#N;` / `&#xH;` (unless html.unescape leaves a ';' in the result), at most 24 name characters.
std::u32string unescape_html(const std::u32string& text);
std::u32string fix_c1_controls(const std::u32string& text);       // U+0080..U+009F as Windows-1252
std::u32string fix_latin_ligatures(const std::u32string& text);   // "ﬁ" -> "fi", "Ĳ" -> "IJ", ...
std::u32string fix_character_width(const std::u32string& text);   // "ｃａｔ" -> "cat", U+3000 -> ' '
std::u32string uncurl_quotes(const std::u32string& text);         // ‘ ’ ‚ ‛ ʼ -> ', “ ” „ ‟ -> "
std::u32string fix_line_breaks(const std::u32string& text);       // CRLF, CR, U+2028/9, U+0085 -> '\n'
std::u32string remove_terminal_escapes(const std::u32string& text);  // ESC '[' (digits|';')* letter
std::u32string remove_control_chars(const std::u32string& text);  // C0 but \t\n\f\r, DEL, U+FEFF, ...
}  // namespace ftfy_fixes

}  // namespace sdxl::text
