#!/usr/bin/env python3
"""Generates tests/text/data/clean_golden.json: token ids of >= 1,000 varied prompts from the two
reference tokenizers of SDXL's original code, with the real packages:

  encoder 1: transformers 4.44.2 CLIPTokenizer (ftfy 6.3.1 installed) on the fixture's tokenizer files
             (tests/fixtures/tiny-sdxl/tokenizer; vocab.json/merges.txt from tests/fixtures/tokenizer)
  encoder 2: open_clip_torch 2.24.0 SimpleTokenizer with its bundled BPE (bpe_simple_vocab_16e6.txt.gz),
             after checking that it is the same vocabulary and merge list as the fixture's tokenizer_2
             files, so the ids compare one to one (only the special tokens are spelled differently:
             <start_of_text>/<end_of_text> there, <|startoftext|>/<|endoftext|> in vocab.json, same ids).

Prompts are generated here, seeded: a few hand-written category seeds (word lists, sample sentences)
are varied by code into the categories of issue 16 (curly quotes, NFD accents, full-width and
half-width forms, ligatures, C0/C1 controls, U+FEFF and other removed characters, line separators,
terminal escapes, HTML entities under ftfy's rule, literal special tokens, ...) plus plain English.

Prompts where ftfy's mojibake repair (fix_encoding) changes the ids go to `mojibake` instead of
`prompts`, each with the real ids and the ids the same references give with fix_encoding=False.

Ids are stored as one string of space-separated numbers per encoder; `ids2` is "=" when equal to `ids1`.

Run from the repository root with the reference environment (scripts/reference_env.sh):
    .venv-ref/bin/python tests/text/data/make_clean_golden.py
    .venv-ref/bin/python tests/text/data/make_clean_golden.py --bench 3000 /tmp/prompts.txt  # no golden
"""
import argparse
import json
import os
import random
import shutil
import sys
import tempfile
import types
import unicodedata

import ftfy
import open_clip.tokenizer as oc
import importlib.metadata

import transformers
from transformers import CLIPTokenizer

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "clean_golden.json")
SEED = 20261202

# ---- category seeds (hand-written) -------------------------------------------------------------------
SUBJECTS = ["a cat", "an astronaut", "a red fox", "an old lighthouse", "a samurai", "a robot", "a dragon",
            "a little girl", "a vintage car", "a bowl of ramen", "a wizard", "a mountain village",
            "a children's book illustration", "a portrait of a woman", "a cyberpunk street"]
PLACES = ["on the moon", "in a misty forest", "at sunset", "under the sea", "in Tokyo at night",
          "on a rainy street", "in the desert", "inside a cathedral", "on a snowy peak"]
STYLES = ["oil painting", "watercolor", "photorealistic", "8k", "highly detailed", "trending on artstation",
          "cinematic lighting", "studio ghibli style", "by greg rutkowski", "octane render", "bokeh",
          "masterpiece", "best quality", "35mm film", "isometric", "low poly"]
ACCENTED = ["café", "naïve", "façade", "Zürich", "São Paulo", "crème brûlée", "Ångström", "Dvořák",
            "Łódź", "Việt Nam", "Nguyễn", "résumé", "piñata", "Ærøskøbing", "Straße"]
CJK = ["一只猫坐在窗台上", "東京の夜景", "ネオンがきらめく", "한국어 프롬프트", "水墨画", "赛博朋克城市",
       "桜の木の下で", "古い寺院"]
CJK_PUNCT = ["，", "。", "（", "）", "：", "；", "！", "？", "、", "「", "」", "【", "】", "\u3000", "～"]
HALF_KATAKANA = ["ｶﾀｶﾅ", "ﾈｺ", "ﾄｳｷｮｳ", "ｱﾆﾒ ｽﾀｲﾙ", "ﾗｰﾒﾝ"]
OTHER_SCRIPTS = ["Москва ночью", "αθήνα στο φως", "قطة على السطح", "नमस्ते दुनिया", "แมวสีส้ม", "🐱🚀 ✨",
                 "❤️ 👍🏽 👨\u200d👩\u200d👧 🇯🇵", "½ cup, 2² = 4, Ⅻ", "α + β → ∞ ± ≈ ≠ ©®™"]
LIGATURE_WORDS = ["ﬁre", "ﬂower", "eﬀect", "oﬃce", "waﬄe", "ﬆar", "ﬅone", "Ĳssel", "ĳs", "ŉ", "Ǆ", "ǅ",
                  "ǆem", "Ǉ", "ǈ", "ǉ", "Ǌ", "ǋ", "ǌ", "Ǳ", "ǲ", "ǳ"]
ENTITIES = ["&amp;", "&lt;", "&gt;", "&quot;", "&#39;", "&#x2019;", "&#8217;", "&eacute;", "&EACUTE;",
            "&hellip;", "&nbsp;", "&amp;amp;", "&amp;lt;", "&amp", "&copy", "&notes;", "&NTILDE;",
            "&nTILDE;", "&SZLIG;", "&#59;", "&#x3B;", "&#65abc;", "&#0;", "&#x80;", "&#xD800;", "&mdash;",
            "&rsquo;", "&ldquo;", "&rdquo;", "&Jscr;", "&checkmark;", "&#128512;", "&#x1F431;",
            "&" + "a" * 25 + ";", "&AMP;", "&LT;", "&ampx;", "&#12;", "&#13;", "&#x85;", "&#xFEFF;"]
SPECIALS = ["<|startoftext|>", "<|endoftext|>", "<|ENDOFTEXT|>", "<|StartOfText|>", "<start_of_text>",
            "<end_of_text>", "<END_OF_TEXT>", "<|endoftext|", "<endoftext>", "<ſtart_of_text>"]
MOJIBAKE = ["cafÃ©", "â€™s", "Ã¼ber", "â€œquotedâ€\x9d", "naÃ¯ve", "Ã\xa0 la carte", "CafÃ© MÃ¼nchen",
            "Ð¼Ð¾Ñ\x81ÐºÐ²Ð°", "æ\x9d±äº¬", "â€¦", "Ã©tÃ©", "voilÃ le travail"]
CONTROLS = [chr(c) for c in list(range(0x00, 0x20)) + [0x7F]]
C1 = [chr(c) for c in range(0x80, 0xA0)]
REMOVED = ["\ufeff", "\ufff9", "\ufffa", "\ufffb", "\ufffc", "\u206a", "\u206f"]
KEPT_FORMAT = ["\u200b", "\u200c", "\u200d", "\u200e", "\u200f", "\u202a", "\u202e", "\u00ad", "\u2060"]
LINE_BREAKS = ["\r\n", "\r", "\n", "\u2028", "\u2029", "\u0085", "\x0b", "\x0c"]
ESCAPES = ["\x1b[31m", "\x1b[0m", "\x1b[1;32m", "\x1b[38;5;208m", "\x1b[m", "\x1b[31", "\x1b[", "\x1b",
           "\x1b[١m", "\x1b[2J"]
QUOTES_SINGLE = ["\u2018", "\u2019", "\u201a", "\u201b", "\u02bc"]
QUOTES_DOUBLE = ["\u201c", "\u201d", "\u201e", "\u201f"]
COMBINING = ["\u0301", "\u0300", "\u0302", "\u0303", "\u0308", "\u0327", "\u0328", "\u0323", "\u031b",
             "\u0345", "\u0344", "\u0340", "\u0341", "\u0343", "\u0307", "\u030a", "\u0338", "\u05b4",
             "\u093c", "\u0e39", "\u3099", "\u309a"]
COMPOSITION_EXCLUSIONS = ["\u0958", "\u2126", "\u212b", "\u0340", "\u0374", "\u037e", "\u1f71", "\ufb1d",
                          "\u2adc", "\U0001d15e", "\uf900", "\u2000", "\u0f73"]
JAMO_L, JAMO_V, JAMO_T = range(0x1100, 0x1113), range(0x1161, 0x1176), range(0x11A8, 0x11C3)


def plain(rng):
    words = [rng.choice(SUBJECTS), rng.choice(PLACES)] + rng.sample(STYLES, rng.randint(0, 4))
    text = ", ".join(words)
    if rng.random() < 0.3:
        text = text.title()
    if rng.random() < 0.2:
        text += rng.choice(["!", "!!!", " (masterpiece:1.2)", " [blurry]", " BREAK sharp focus"])
    return text


def sprinkle(rng, text, pieces, count):
    for _ in range(count):
        i = rng.randint(0, len(text))
        text = text[:i] + rng.choice(pieces) + text[i:]
    return text


def curly(rng):
    base = plain(rng)
    forms = [f"{rng.choice(SUBJECTS)}’s dream", f"“{base}”", f"‘{base}’", f"it’s {base}",
             f"„{base}“", f"‚{base}‘", f"don\u02bct stop", f"‟{base}‟", f"{base} ‛quoted‛"]
    return sprinkle(rng, rng.choice(forms), QUOTES_SINGLE + QUOTES_DOUBLE, rng.randint(0, 2))


def nfd(rng):
    words = rng.sample(ACCENTED, rng.randint(1, 4))
    text = f"{rng.choice(SUBJECTS)} in " + " ".join(words)
    form = rng.choice(["NFD", "NFD", "NFKD", "mixed"])
    if form == "mixed":
        return "".join(unicodedata.normalize(rng.choice(["NFD", "NFC"]), ch) for ch in text)
    return unicodedata.normalize(form, text)


def marks(rng):
    """Random base letters with random combining marks in random order (canonical ordering, blocking)."""
    out = []
    for _ in range(rng.randint(2, 8)):
        out.append(rng.choice("aeiouAEIOUnNcCsSzZyYwWαωΑΩиИ"))
        out.extend(rng.choice(COMBINING) for _ in range(rng.randint(0, 3)))
        if rng.random() < 0.2:
            out.append(" ")
    if rng.random() < 0.4:
        out.append(rng.choice(COMPOSITION_EXCLUSIONS))
    return "".join(out)


def hangul(rng):
    out = []
    for _ in range(rng.randint(1, 5)):
        out.append(chr(rng.choice(JAMO_L)) + chr(rng.choice(JAMO_V)))
        if rng.random() < 0.6:
            out.append(chr(rng.choice(JAMO_T)))
        if rng.random() < 0.2:
            out.append(unicodedata.normalize("NFD", "한국"))
    return rng.choice(["", "a ", "고양이 "]) + "".join(out)


def fullwidth(rng):
    base = plain(rng)
    wide = "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" and rng.random() < 0.8 else c for c in base)
    if rng.random() < 0.5:
        wide = wide.replace(" ", "\u3000")
    return wide


def cjk(rng):
    parts = rng.sample(CJK, rng.randint(1, 3))
    text = "".join(p + rng.choice(CJK_PUNCT) for p in parts)
    if rng.random() < 0.5:
        text += "（" + rng.choice(STYLES) + "：1.2）"
    if rng.random() < 0.3:
        text += rng.choice(HALF_KATAKANA) + "ﾞﾟ｡｢｣､･"
    return text


def ligatures(rng):
    return sprinkle(rng, plain(rng), LIGATURE_WORDS, rng.randint(1, 3))


def controls(rng):
    return sprinkle(rng, plain(rng), CONTROLS + C1 + REMOVED + KEPT_FORMAT, rng.randint(1, 4))


def bom(rng):
    text = plain(rng)
    where = rng.choice(["start", "end", "middle", "twice"])
    if where == "start":
        return "\ufeff" + text
    if where == "end":
        return text + "\ufeff"
    if where == "twice":
        return "\ufeff\ufeff" + text
    return sprinkle(rng, text, ["\ufeff"], 1)


def line_breaks(rng):
    lines = [plain(rng) for _ in range(rng.randint(2, 3))]
    return "".join(line + rng.choice(LINE_BREAKS) for line in lines[:-1]) + lines[-1]


def escapes(rng):
    return sprinkle(rng, plain(rng), ESCAPES, rng.randint(1, 3))


def entities(rng):
    text = sprinkle(rng, plain(rng), [" " + e + " " for e in ENTITIES] + ENTITIES, rng.randint(1, 3))
    if rng.random() < 0.25:  # ftfy does not unescape a segment holding '<'
        text = sprinkle(rng, text, ["<", "<b>", " < "], 1)
    if rng.random() < 0.25:  # ... nor any segment after it
        text = rng.choice(["a < b\n", "x\n", "<i>\n"]) + text
    return text


def specials(rng):
    text = sprinkle(rng, plain(rng), [" " + s + " " for s in SPECIALS] + SPECIALS, rng.randint(1, 2))
    if rng.random() < 0.4:
        text = sprinkle(rng, text, ENTITIES, 1)
    return text


def other_scripts(rng):
    return rng.choice(OTHER_SCRIPTS) + rng.choice(["", " ", ", "]) + rng.choice(["", plain(rng)])


def mixed(rng):
    text = plain(rng)
    for fn in rng.sample([curly, nfd, fullwidth, ligatures, controls, escapes, entities, cjk, marks], 3):
        text += rng.choice([" ", ", ", "\n"]) + fn(rng)
    return text


def mojibake(rng):
    return sprinkle(rng, plain(rng), [" " + m + " " for m in MOJIBAKE], rng.randint(1, 2))


def long_prompt(rng):
    return ", ".join(plain(rng) for _ in range(rng.randint(6, 12)))


# (category, generator, how many)
CATEGORIES = [("plain", plain, 150), ("curly_quotes", curly, 90), ("nfd", nfd, 80), ("combining_marks", marks, 80),
              ("hangul_jamo", hangul, 30), ("fullwidth", fullwidth, 70), ("cjk_punctuation", cjk, 70),
              ("ligatures", ligatures, 50), ("controls", controls, 90), ("bom", bom, 30),
              ("line_breaks", line_breaks, 50), ("terminal_escapes", escapes, 40), ("html_entities", entities, 110),
              ("special_tokens", specials, 60), ("other_scripts", other_scripts, 40), ("mixed", mixed, 80),
              ("mojibake", mojibake, 40), ("long", long_prompt, 20)]


def prompts(seed, scale=1.0):
    rng = random.Random(seed)
    out, seen = [], set()
    for name, fn, count in CATEGORIES:
        made = 0
        while made < max(1, round(count * scale)):
            p = fn(rng)
            if p in seen:
                continue
            seen.add(p)
            out.append((name, p))
            made += 1
    return out


# ---- references --------------------------------------------------------------------------------------
def transformers_tokenizer(tmp):
    folder = os.path.join(tmp, "tokenizer")
    os.makedirs(folder)
    for f in ("special_tokens_map.json", "tokenizer_config.json"):
        shutil.copy(os.path.join(ROOT, "tests/fixtures/tiny-sdxl/tokenizer", f), folder)
    for f in ("vocab.json", "merges.txt"):  # tiny-sdxl/tokenizer/* are links to these
        shutil.copy(os.path.join(ROOT, "tests/fixtures/tokenizer", f), folder)
    tok = CLIPTokenizer.from_pretrained(folder)
    assert tok.fix_text is ftfy.fix_text, "transformers must run with ftfy"
    return tok


def check_open_clip_matches_fixture(simple):
    """open_clip's bundled BPE is the fixture's vocab.json/merges.txt, special tokens aside."""
    vocab = json.load(open(os.path.join(ROOT, "tests/fixtures/tokenizer/vocab.json"), encoding="utf-8"))
    rename = {"<start_of_text>": "<|startoftext|>", "<end_of_text>": "<|endoftext|>"}
    assert {rename.get(k, k): v for k, v in simple.encoder.items()} == vocab
    merges = open(os.path.join(ROOT, "tests/fixtures/tokenizer/merges.txt"), encoding="utf-8").read().split("\n")
    merges = [tuple(m.split()) for m in merges[1:] if m]
    assert dict(zip(merges, range(len(merges)))) == simple.bpe_ranks
    assert (simple.sot_token_id, simple.eot_token_id) == (49406, 49407)


def fix_cases(seed):
    """[input, output] pairs per individual ftfy fix (ftfy.fixes.*), for NFC and for fix_text as a whole
    (fix_encoding=False), on inputs generated like the prompts."""
    from ftfy import fixes
    rng = random.Random(seed)
    gens = {
        "unescape_html": (fixes.unescape_html, entities),
        "fix_c1_controls": (fixes.fix_c1_controls, lambda r: sprinkle(r, plain(r), C1, r.randint(1, 4))),
        "fix_latin_ligatures": (fixes.fix_latin_ligatures, ligatures),
        "fix_character_width": (fixes.fix_character_width, lambda r: r.choice([fullwidth, cjk])(r)),
        "uncurl_quotes": (fixes.uncurl_quotes, curly),
        "fix_line_breaks": (fixes.fix_line_breaks, lambda r: sprinkle(r, plain(r), LINE_BREAKS + ["\r\r\n"], 3)),
        "remove_terminal_escapes": (fixes.remove_terminal_escapes, escapes),
        "remove_control_chars": (fixes.remove_control_chars, controls),
        "nfc": (lambda t: unicodedata.normalize("NFC", t), lambda r: r.choice([nfd, marks, hangul])(r)),
        "fix_text": (lambda t: ftfy.fix_text(t, fix_encoding=False), lambda r: r.choice([entities, line_breaks, mixed])(r)),
    }
    out = {}
    for name, (fix, gen) in gens.items():
        cases = []
        while len(cases) < 40:
            t = gen(rng)
            cases.append([t, fix(t)])
        assert any(a != b for a, b in cases), name
        out[name] = cases
    return out


def ids_string(ids):
    return " ".join(map(str, ids))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bench", nargs=2, metavar=("N", "FILE"), help="write N generated prompts as a .txt/.jsonl file")
    args = ap.parse_args()
    if args.bench:
        n, path = int(args.bench[0]), args.bench[1]
        ps = []
        for k in range(100):
            ps += [p for _, p in prompts(SEED + 1 + k) if "\0" not in p]  # prompt files refuse NUL
            if len(ps) >= n:
                break
        with open(path, "w", encoding="utf-8") as f:
            for p in ps[:n]:
                f.write(json.dumps({"prompt": p}) + "\n" if path.endswith(".jsonl") else p.replace("\n", " ") + "\n")
        return

    assert importlib.metadata.version("open_clip_torch") == "2.24.0"
    simple = oc.SimpleTokenizer()
    check_open_clip_matches_fixture(simple)
    with tempfile.TemporaryDirectory() as tmp:
        hf = transformers_tokenizer(tmp)
        real_fix = ftfy.fix_text
        no_mojibake_repair = lambda t: real_fix(t, fix_encoding=False)  # noqa: E731

        def both(p):
            ids1 = hf(p, add_special_tokens=False)["input_ids"]
            ids2 = simple.encode(p)
            # The model input SDXL builds from these ids ([bos] + ids[:75] + [eos], pad 0 for encoder 2).
            row = oc.tokenize([p])[0].tolist()
            kept = ids2[:75]
            assert row == [49406] + kept + [49407] + [0] * (75 - len(kept)), p
            return ids1, ids2

        golden, moji = [], []
        for category, p in prompts(SEED):
            ids1, ids2 = both(p)
            hf.fix_text, oc.ftfy = no_mojibake_repair, types.SimpleNamespace(fix_text=no_mojibake_repair)
            alt1, alt2 = both(p)
            hf.fix_text, oc.ftfy = real_fix, ftfy
            entry = [category, p, ids_string(ids1), "=" if ids2 == ids1 else ids_string(ids2)]
            if (alt1, alt2) == (ids1, ids2):
                golden.append(entry)
            else:
                moji.append(entry + [ids_string(alt1), "=" if alt2 == alt1 else ids_string(alt2)])

    out = {
        "description": "Token ids (no bos/eos, untruncated) of generated prompts from SDXL's reference tokenizers. "
                       "prompts[]: [category, prompt, ids1, ids2]; mojibake[]: [category, prompt, ids1, ids2, "
                       "ids1 with fix_encoding=False, ids2 with fix_encoding=False]. ids2 '=' means equal to ids1.",
        "generator": "tests/text/data/make_clean_golden.py",
        "seed": SEED,
        "versions": {"transformers": transformers.__version__, "ftfy": ftfy.__version__,
                     "open_clip_torch": importlib.metadata.version("open_clip_torch"), "python": sys.version.split()[0],
                     "unicode": unicodedata.unidata_version},
        "encoder1": "transformers CLIPTokenizer + ftfy, tests/fixtures/tiny-sdxl/tokenizer",
        "encoder2": "open_clip SimpleTokenizer (bundled BPE == tests/fixtures/tokenizer vocab/merges)",
        "fixes": fix_cases(SEED + 7),
        "prompts": golden,
        "mojibake": moji,
    }
    with open(OUT, "w", encoding="utf-8") as f:  # one list entry a line: small and diffable
        dump = lambda v: json.dumps(v, ensure_ascii=False, separators=(",", ":"))  # noqa: E731
        f.write("{\n")
        for i, (key, value) in enumerate(out.items()):
            if isinstance(value, list):
                body = "[\n" + ",\n".join(dump(e) for e in value) + "\n]"
            elif key == "fixes":
                body = "{\n" + ",\n".join(f"{dump(k)}:[\n" + ",\n".join(dump(c) for c in v) + "\n]"
                                           for k, v in value.items()) + "\n}"
            else:
                body = dump(value)
            f.write(f"{dump(key)}:{body}{',' if i + 1 < len(out) else ''}\n")
        f.write("}\n")
    json.load(open(OUT, encoding="utf-8"))
    cats = {}
    for e in golden:
        cats[e[0]] = cats.get(e[0], 0) + 1
    print(f"{OUT}: {len(golden)} prompts, {len(moji)} mojibake, {os.path.getsize(OUT)} bytes; {cats}", file=sys.stderr)


if __name__ == "__main__":
    main()
