//! The parser against golden outcomes: for every input, the outcome (the tree as JSON — node
//! types, spans, values, number bits — or the error message and offset) must be the one
//! recorded in `test/fixtures/parser-golden/*.txt`. Those files were written by the parser
//! this one replaced (which lexed the whole source into a token list first), so they hold the
//! new parser to the old one's output byte for byte without keeping the old parser around.
//! Inputs: the generated sources of `test/source.js` (ported below, the same for the same
//! seed; bench.js's 1 MB source among them), edge cases, many small mutations of generated
//! sources, which reach the error paths (a lexical error after a syntax error, too deep
//! nesting, bad escapes), and numbers in many shapes. Every input is deterministic: fixed
//! seeds, a fixed xorshift, no clock and no hash-map order.
//!
//! A golden file has one line per input, `<name> <ok|err|arena> <digest>`, where the digest
//! is the 64-bit FNV-1a of the outcome string (`outcome` below), and a first line
//! `#inputs <count> <digest of all the input sources>`, which tells a changed input (a
//! generator or case list edited) from a changed outcome.
//!
//! Regenerating: `AST_WRITE_GOLDEN=1 cargo test --release parser_tests` rewrites the files
//! from the current parser (and the tests pass). Do it only for a deliberate change of the
//! output (a new node field, a reworded error) or of the inputs (a new edge case), after the
//! tests passed on every other line, and review `git diff test/fixtures/parser-golden`: a
//! regenerated file proves nothing about the lines it changed.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::PathBuf;

use raw_transfer::FixedSizeAllocator;

use crate::parser;

/// What a parse gives: the tree as JSON, or the error.
fn outcome(src: &str, block: &mut FixedSizeAllocator) -> String {
    block.reset();
    match parser::parse(src, block, &mut parser::Scratch::default()) {
        Ok(p) => format!("ok {}", serde_json::to_string(&*p).unwrap()),
        Err(parser::ParseError::Syntax { offset, message }) => format!("err {offset}: {message}"),
        Err(parser::ParseError::Arena(e)) => format!("arena {e}"),
    }
}

/// 64-bit FNV-1a, continued from `h` (start from `FNV_OFFSET`).
fn fnv1a(mut h: u64, bytes: &[u8]) -> u64 {
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;

/// Keeps a string short in a failure message.
fn cut(s: &str) -> String {
    let mut t: String = s.chars().take(300).collect();
    if t.len() < s.len() {
        t.push('…');
    }
    t
}

/// One golden file: checks each input's outcome against its line, or (with
/// `AST_WRITE_GOLDEN=1`) collects the lines to write.
struct Golden {
    path: PathBuf,
    write: bool,
    /// The file's lines by name (empty when writing).
    want: HashMap<String, String>,
    want_inputs: String,
    /// The lines of this run, in order.
    lines: Vec<String>,
    inputs: u64,
    mismatches: Vec<String>,
    block: FixedSizeAllocator,
}

impl Golden {
    fn new(file: &str) -> Self {
        let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("test/fixtures/parser-golden")
            .join(file);
        let write = std::env::var_os("AST_WRITE_GOLDEN").is_some_and(|v| v == "1");
        let mut want = HashMap::new();
        let mut want_inputs = String::new();
        if !write {
            let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
                panic!("{}: {e} (AST_WRITE_GOLDEN=1 writes it)", path.display())
            });
            for line in text.lines() {
                if let Some(rest) = line.strip_prefix("#inputs ") {
                    want_inputs = rest.to_owned();
                } else if let Some((name, _)) = line.split_once(' ') {
                    want.insert(name.to_owned(), line.to_owned());
                }
            }
        }
        Self {
            path,
            write,
            want,
            want_inputs,
            lines: Vec::new(),
            inputs: FNV_OFFSET,
            mismatches: Vec::new(),
            block: FixedSizeAllocator::new().unwrap(),
        }
    }

    /// Parses each of `srcs` and checks their outcomes, together, against the line `name`;
    /// returns the outcomes' kinds (`ok`, `err` or `arena`).
    fn check(&mut self, name: &str, srcs: &[&str]) -> Vec<&'static str> {
        let mut digest = FNV_OFFSET;
        let mut kinds = Vec::new();
        let mut outcomes = Vec::new();
        for (i, src) in srcs.iter().enumerate() {
            self.inputs = fnv1a(self.inputs, src.as_bytes());
            self.inputs = fnv1a(self.inputs, &[0xff]);
            let out = outcome(src, &mut self.block);
            if i > 0 {
                digest = fnv1a(digest, b"\n");
            }
            digest = fnv1a(digest, out.as_bytes());
            kinds.push(match out.as_bytes()[0] {
                b'o' => "ok",
                b'e' => "err",
                _ => "arena",
            });
            outcomes.push(out);
        }
        let line = format!("{name} {} {digest:016x}", kinds.join(","));
        if !self.write {
            let want = self.want.get(name).map_or("(no line)", String::as_str);
            if want != line && self.mismatches.len() < 5 {
                let mut m = format!("{name}: golden `{want}`, now `{line}`");
                for (src, out) in srcs.iter().zip(&outcomes) {
                    write!(m, "\n  source: {:?}\n  now:    {}", cut(src), cut(out)).unwrap();
                }
                self.mismatches.push(m);
            } else if want != line {
                self.mismatches.push(String::new());
            }
        }
        self.lines.push(line);
        kinds
    }

    /// Writes the file, or fails naming the inputs whose outcome changed.
    fn finish(self) {
        let inputs = format!("{} {:016x}", self.lines.len(), self.inputs);
        if self.write {
            let mut text = format!("#inputs {inputs}\n");
            for l in &self.lines {
                text.push_str(l);
                text.push('\n');
            }
            std::fs::create_dir_all(self.path.parent().unwrap()).unwrap();
            std::fs::write(&self.path, text).unwrap();
            return;
        }
        let inputs_note = if inputs == self.want_inputs {
            String::new()
        } else {
            format!(
                "\nThe inputs themselves changed (count and digest now `{inputs}`, golden `{}`): \
                 a generator, the case list or the mutations are no longer those the file was \
                 recorded for.",
                self.want_inputs
            )
        };
        assert!(
            self.mismatches.is_empty() && self.lines.len() == self.want.len(),
            "{}: {} of {} inputs differ from the golden outcomes ({} golden lines){inputs_note}\n{}",
            self.path.display(),
            self.mismatches.len(),
            self.lines.len(),
            self.want.len(),
            self.mismatches
                .iter()
                .filter(|m| !m.is_empty())
                .cloned()
                .collect::<Vec<_>>()
                .join("\n")
        );
        assert_eq!(
            inputs,
            self.want_inputs,
            "{}{inputs_note}",
            self.path.display()
        );
    }
}

/// `test/source.js`'s xorshift: the same numbers for the same seed.
struct Rng(u32);

impl Rng {
    fn new(seed: u32) -> Self {
        Self(if seed == 0 { 1 } else { seed })
    }

    fn below(&mut self, n: usize) -> usize {
        let mut s = self.0;
        s ^= s << 13;
        s ^= s >> 17;
        s ^= s << 5;
        self.0 = s;
        s as usize % n
    }
}

const NAMES: [&str; 14] = [
    "a", "b", "foo", "bar", "value", "items", "x1", "result", "ctx", "node", "_tmp", "$el",
    "console", "log",
];
const STRINGS: [&str; 8] = [
    "'hello'",
    "\"world\"",
    "'it\\'s'",
    "\"tab\\tand\\nline\"",
    "'héllo wörld'",
    "\"→ arrow\"",
    "''",
    "\"a longer string literal than sixteen bytes\"",
];
const BIN: [&str; 13] = [
    "||", "&&", "==", "!=", "<", "<=", ">", ">=", "+", "-", "*", "/", "%",
];

/// `test/source.js`'s `generate(bytes, seed)`, call for call (so the same text).
fn generate(bytes: usize, seed: u32) -> String {
    struct G(Rng);
    impl G {
        fn id(&mut self) -> String {
            NAMES[self.0.below(NAMES.len())].to_owned()
        }
        fn list(&mut self, n: usize, mut f: impl FnMut(&mut Self) -> String) -> String {
            (0..n).map(|_| f(self)).collect::<Vec<_>>().join(", ")
        }
        fn params(&mut self) -> String {
            let n = self.0.below(4);
            self.list(n, Self::id)
        }
        fn expr(&mut self, d: i32) -> String {
            let k = if d <= 0 {
                self.0.below(5)
            } else {
                self.0.below(16)
            };
            match k {
                0 | 1 => self.id(),
                2 => {
                    if self.0.below(4) == 0 {
                        let a = self.0.below(1000);
                        let b = self.0.below(100);
                        format!("{a}.{b}")
                    } else {
                        self.0.below(100000).to_string()
                    }
                }
                3 => STRINGS[self.0.below(STRINGS.len())].to_owned(),
                4 => (if self.0.below(2) != 0 {
                    "true"
                } else {
                    "false"
                })
                .to_owned(),
                5 => {
                    let n = self.0.below(4);
                    format!("[{}]", self.list(n, |g| g.expr(d - 1)))
                }
                6 => {
                    let op = ["-", "+", "!"][self.0.below(3)];
                    format!("{op}{}", self.expr(d - 1))
                }
                7..=9 => {
                    let l = self.expr(d - 1);
                    let op = BIN[self.0.below(BIN.len())];
                    let r = self.expr(d - 1);
                    format!("{l} {op} {r}")
                }
                10 => format!("({})", self.expr(d - 1)),
                11 | 12 => {
                    let f = self.id();
                    let n = self.0.below(4);
                    format!("{f}({})", self.list(n, |g| g.expr(d - 1)))
                }
                13 => {
                    if self.0.below(2) != 0 {
                        let (a, b, c) = (self.id(), self.id(), self.id());
                        format!("{a}.{b}.{c}")
                    } else {
                        let a = self.id();
                        format!("{a}[{}]", self.expr(d - 1))
                    }
                }
                14 => {
                    let name = if self.0.below(2) != 0 {
                        self.id()
                    } else {
                        String::new()
                    };
                    let params = self.params();
                    format!(
                        "function {name}({params}) {{ return {}; }}",
                        self.expr(d - 1)
                    )
                }
                _ => {
                    if self.0.below(2) != 0 {
                        let params = self.params();
                        format!("({params}) => {}", self.expr(d - 1))
                    } else {
                        let a = self.id();
                        format!("{a} => {{ return {}; }}", self.expr(d - 1))
                    }
                }
            }
        }
        fn stmt(&mut self, d: i32) -> String {
            let k = if d <= 0 {
                self.0.below(4)
            } else {
                self.0.below(10)
            };
            match k {
                0 => {
                    let a = self.id();
                    format!("let {a} = {};", self.expr(3))
                }
                1 => {
                    let a = self.id();
                    format!("const {a} = {};", self.expr(3))
                }
                2 => {
                    let (a, b) = (self.id(), self.id());
                    let n = self.0.below(4);
                    format!("{a}.{b}({});", self.list(n, |g| g.expr(2)))
                }
                3 => {
                    if self.0.below(4) != 0 {
                        format!("return {};", self.expr(2))
                    } else {
                        "return;".to_owned()
                    }
                }
                4 | 5 => {
                    let test = self.expr(2);
                    let then = self.stmt(d - 1);
                    let alt = if self.0.below(2) != 0 {
                        format!(" else {}", self.stmt(d - 1))
                    } else {
                        String::new()
                    };
                    format!("if ({test}) {then}{alt}")
                }
                6 | 7 => {
                    let a = self.id();
                    let params = self.params();
                    let n = 1 + self.0.below(4);
                    let body = (0..n).map(|_| self.stmt(d - 1)).collect::<Vec<_>>();
                    format!("function {a}({params}) {{\n  {}\n}}", body.join("\n  "))
                }
                8 => {
                    let a = self.stmt(d - 1);
                    let b = self.stmt(d - 1);
                    format!("{{ {a} {b} }}")
                }
                _ => {
                    let e = self.expr(3);
                    if e.starts_with("function") {
                        format!("({e});")
                    } else {
                        format!("{e};")
                    }
                }
            }
        }
    }
    let mut g = G(Rng::new(seed));
    let mut out = Vec::new();
    let mut n = 0;
    loop {
        let t = if g.0.below(8) == 0 {
            format!("{} // a comment", g.stmt(2))
        } else {
            g.stmt(2)
        };
        n += t.len() + 1;
        out.push(t);
        if n >= bytes {
            break;
        }
    }
    out.join("\n")
}

#[test]
fn generated_sources() {
    let mut g = Golden::new("generated.txt");
    // bench.js's source (seed 42), and smaller ones of other seeds.
    assert_eq!(
        g.check("bench-1MiB-seed42", &[&generate(1 << 20, 42)]),
        ["ok"]
    );
    for seed in 1..=40 {
        let name = format!("seed{seed}");
        assert_eq!(g.check(&name, &[&generate(20_000, seed)]), ["ok"]);
    }
    g.finish();
}

#[test]
fn edge_cases() {
    let deep = |open: &str, mid: &str, close: &str, n: usize| {
        format!("{}{mid}{}", open.repeat(n), close.repeat(n))
    };
    let mut cases: Vec<String> = [
        "",
        " ",
        "// only a comment",
        "// a comment\n",
        "x",
        "x;",
        ";",
        "let",
        "let x",
        "let x;",
        "let x = ;",
        "const = 1;",
        "let = 1; 'abc",
        "f(; 'abc",
        "f(; #",
        "f(;\n'abc\n",
        "'abc",
        "'abc\n'",
        "\"abc'",
        "'a\\'",
        "'a\\",
        "'\\",
        "'\\q';",
        "'\\q'; 'unterminated",
        "'\\\n';",
        "'\\é';",
        "'é\\t→';",
        "'\\\\' + \"\\\"\";",
        "#",
        "x; @",
        "é;",
        "let é = 1;",
        "x = 1;",
        "a.b.c.d(e)[f](g);",
        "a.1;",
        "a.;",
        "a[;",
        "a[1;",
        "f(a, b,);",
        "f(,);",
        "[,];",
        "[1, 2,];",
        "[1 2];",
        "x => x;",
        "x => { return x; };",
        "() => 1;",
        "(a) => a;",
        "(a,) => a;",
        "(a, b) => { };",
        "(a b) => a;",
        "(a, 1) => a;",
        "(1) => a;",
        "(a);",
        "(a, b);",
        "() + 1;",
        "(a) => ;",
        "(a) =>",
        "x =>",
        "(a, 'b",
        "((a)) => a;",
        "function f() {}",
        "function () {}",
        "function f(a, b,) { return a; }",
        "function f(a b) {}",
        "function f(1) {}",
        "function f() { return }",
        "function f() {",
        "(function () {});",
        "(function g(a) { return a; });",
        "if (a) b; else c;",
        "if (a) { } else if (b) { } else { }",
        "if a b;",
        "if (a) else b;",
        "return;",
        "return 1",
        "{ { } }",
        "{",
        "}",
        "1; 2.5; 0.1; 1e3; 1e+3; 1E-3; 1e; 1e+; 1.; .5; 007; 1.50;",
        "123456789012345678; 9007199254740993; 9007199254740992; 12345678901234567890123;",
        "0.1234567890123456789; 3.14159265358979323846; 1.7976931348623157e308; 1e400; 5e-324; 1e-400;",
        "99999999999999999999.5; 0.0000000000000000000001; 4.35;",
        "1.5.3;",
        "a+++b;",
        "-+!-x;",
        "a || b && c == d != e < f <= g > h >= i + j - k * l / m % n;",
        "a = = b;",
        "a =! b;",
        "a >= = b;",
        "true; false; truex; iff; lets; function1;",
        "a\tb;",
        "a\r\nb;",
        "let x = 1 // comment",
        "let x = 1 /* not a comment */;",
        "let x = 1 / 2;",
        "$ + _;",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    cases.push(deep("(", "1", ")", 255) + ";");
    cases.push(deep("(", "1", ")", 256) + ";");
    cases.push(deep("(", "1", ")", 300) + ";");
    cases.push(deep("(", "1", ")", 300) + "; 'abc");
    cases.push(deep("[", "1", "]", 300) + ";");
    cases.push(deep("{", "", "}", 256));
    cases.push(deep("{", "", "}", 257));
    cases.push(deep("{", "", "}", 257) + " #");
    cases.push(deep("if (a) ", "b;", "", 300));
    cases.push("-".repeat(300) + "x;");
    cases.push("!".repeat(255) + "x;");
    cases.push(format!("x{};", ".y".repeat(300)));
    cases.push(format!("x{};", "()".repeat(300)));
    cases.push(format!("x{};", "[0]".repeat(300)));
    cases.push(format!("{}1;", "1 + ".repeat(3000)));
    cases.push(format!("{}1;", "x => ".repeat(300)));
    cases.push(format!("({}) => 1;", "a, ".repeat(3000)));
    cases.push(format!("({}) + 1;", "a, ".repeat(3000)));
    cases.push(format!("f({});", "function () { ".repeat(200)));
    let mut g = Golden::new("edge-cases.txt");
    for (i, c) in cases.iter().enumerate() {
        g.check(&format!("case{i:03}"), &[c]);
    }
    g.finish();
}

/// Small random edits of generated sources: deletions, insertions of bytes the grammar
/// cares about, swaps, truncations.
#[test]
fn mutated_sources() {
    const PIECES: [&str; 28] = [
        "(",
        ")",
        "{",
        "}",
        "[",
        "]",
        ",",
        ";",
        ".",
        "=>",
        "=",
        "'",
        "\"",
        "\\",
        "\n",
        " ",
        "#",
        "é",
        "1",
        "1.5e3",
        "x",
        "let ",
        "function ",
        "if ",
        "return",
        "!",
        "-",
        "//",
    ];
    let mut g = Golden::new("mutated.txt");
    let mut rng = Rng::new(7);
    let mut errors = 0;
    for seed in 0..4000 {
        let base = generate(300 + rng.below(1500), 1000 + seed);
        let mut s = base.into_bytes();
        for _ in 0..1 + rng.below(3) {
            let at = rng.below(s.len() + 1);
            match rng.below(4) {
                0 if at < s.len() => {
                    let n = 1 + rng.below(8).min(s.len() - at - 1);
                    s.drain(at..at + n);
                }
                1 => {
                    let p = PIECES[rng.below(PIECES.len())];
                    s.splice(at..at, p.bytes());
                }
                2 if at + 1 < s.len() => s.swap(at, at + 1),
                _ => s.truncate(at),
            }
        }
        // Keep it UTF-8 (the napi side rejects anything else before parsing).
        let s = String::from_utf8_lossy(&s).into_owned();
        if g.check(&format!("mut{seed:04}"), &[&s]) == ["err"] {
            errors += 1;
        }
    }
    g.finish();
    // Most edits break the source: the error paths are what this test is for.
    assert!(
        errors > 2000,
        "only {errors} of 4000 mutated sources failed to parse"
    );
}

/// Numbers next to other tokens (`lexer.rs`'s own test holds the fast number path to
/// `str::parse` bit for bit).
#[test]
fn numbers() {
    let mut rng = Rng::new(3);
    let number = |rng: &mut Rng| {
        let int_digits = 1 + rng.below(20);
        let frac_digits = rng.below(24);
        let mut t: String = (0..int_digits)
            .map(|_| char::from(b'0' + rng.below(10) as u8))
            .collect();
        if frac_digits > 0 {
            t.push('.');
            t.extend((0..frac_digits).map(|_| char::from(b'0' + rng.below(10) as u8)));
        }
        if rng.below(4) == 0 {
            // An exponent, or an `e` that is not one (then a name follows the number).
            t.push_str(["e", "E", "e+", "e-"][rng.below(4)]);
            t.extend((0..rng.below(4)).map(|_| char::from(b'0' + rng.below(10) as u8)));
        }
        t
    };
    let mut g = Golden::new("numbers.txt");
    // Each source also without the numbers that are not numbers alone (`1e`, `2.5e+`): the
    // first of those ends the parse, and the sources without them parse in full.
    let valid = |t: &String| t.parse::<f64>().is_ok();
    let mut src = String::new();
    let mut all_valid = String::new();
    for _ in 0..20_000 {
        let t = number(&mut rng);
        src.push_str(&t);
        src.push_str(";\n");
        if valid(&t) {
            all_valid.push_str(&t);
            all_valid.push_str(";\n");
        }
    }
    g.check("statements", &[&src]);
    assert_eq!(g.check("statements-valid", &[&all_valid]), ["ok"]);
    // In lists and operators, where the token after a number is lexed before its value is
    // taken; and sources that end in a number or put two numbers side by side.
    let mut src = String::new();
    let mut all_valid = String::new();
    for _ in 0..5_000 {
        let n: Vec<String> = (0..4).map(|_| number(&mut rng)).collect();
        let call = format!("f({}, {} * {}, [{}]);\n", n[0], n[1], n[2], n[3]);
        src.push_str(&call);
        if n.iter().all(valid) {
            all_valid.push_str(&call);
        }
    }
    g.check("calls", &[&src]);
    assert_eq!(g.check("calls-valid", &[&all_valid]), ["ok"]);
    // Three sources to a line.
    for i in 0..2_000 {
        let (x, y) = (number(&mut rng), number(&mut rng));
        g.check(
            &format!("pair{i:04}"),
            &[
                &format!("{x} {y};"),
                &format!("let a = {x}"),
                &format!("[{x}.{y}];"),
            ],
        );
    }
    g.finish();
}
