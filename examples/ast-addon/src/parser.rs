//! Source text → the AST of `ast.rs`, built in a block: an on-demand lexer (one token of
//! lookahead, no token list) and a recursive-descent parser with operator precedence.
//!
//! ```text
//! program   = statement*
//! statement = ("let" | "const") IDENT ("=" expr)? ";"
//!           | "function" IDENT "(" params ")" block
//!           | "return" expr? ";"   | "if" "(" expr ")" statement ("else" statement)?
//!           | block                | expr ";"
//! expr      = binary operators, loosest first: || && (== !=) (< <= > >=) (+ -) (* / %)
//! unary     = ("-" | "+" | "!") unary | postfix
//! postfix   = primary ("(" args ")" | "." IDENT | "[" expr "]")*
//! primary   = NUMBER | STRING | "true" | "false" | IDENT | "[" elements "]" | "(" expr ")"
//!           | "function" IDENT? "(" params ")" block | params "=>" (block | expr)
//! ```
//!
//! Nesting is limited ([`MAX_NESTING`]), so neither this parser's stack nor a JS walk of the
//! result can overflow on hostile input.
//!
//! Errors are those of a parser that lexes the whole source before parsing (which this one
//! was): the first lexical error anywhere in the source (an unterminated string, an unknown
//! character) wins over any syntax error, so a failed parse lexes the rest of the source
//! before it reports (`Parser::into_error`). `parser_tests.rs` holds the output, errors
//! included, to that older parser's, recorded as digests in `test/fixtures/parser-golden/`.
//!
//! Speed: 41 instructions per source byte on bench.js's generated source (42.5 M for 1 MB;
//! the token-list parser before it took 73.8 M), about 5.8 ms per MB. What it takes: the lexer
//! is one out-of-line function (`Parser::advance`) that dispatches on a byte-class table and
//! writes the token in place; a failure is a zero-sized `Fail` whose error waits in the
//! parser, so `PResult<Expression>` is the 16 bytes of an `Expression`, returned in
//! registers; short names are copied into the block once per parse (`Parser::names`); and
//! the cold paths (error messages, numbers that need the full decimal algorithm, strings
//! with escapes) are out of line.

use raw_transfer::FixedSizeAllocator;
use raw_transfer::layout::{ArenaBox, ArenaError, ArenaSlice, ArenaStr, ArenaVec};

use crate::ast::*;

/// How deep statements and expressions may nest.
pub const MAX_NESTING: u32 = 256;

/// Why a source could not be parsed into the block.
#[derive(Debug)]
pub enum ParseError {
    /// Bad input: what and where (a byte offset).
    Syntax { offset: u32, message: String },
    /// The block is full (or could not allocate).
    Arena(ArenaError),
}

impl From<ArenaError> for ParseError {
    fn from(e: ArenaError) -> Self {
        Self::Arena(e)
    }
}

type Result<T> = std::result::Result<T, ParseError>;

/// A failed parse: the error itself is in [`Parser::error`]. Zero-sized, so a `PResult` of
/// an `Expression` or a `Statement` is 16 bytes (the tag's niche holds `Err`).
struct Fail;

type PResult<T> = std::result::Result<T, Fail>;

/// A token's kind. The binary operators come first, in the order of [`BinaryOperator`], so
/// "is this a binary operator, and which" is one compare and a table load.
#[derive(Clone, Copy, Debug, PartialEq)]
#[repr(u8)]
enum Tok {
    OrOr,
    AndAnd,
    EqEq,
    NotEq,
    Lt,
    Le,
    Gt,
    Ge,
    Plus,
    Minus,
    Star,
    Slash,
    Percent,
    Ident,
    Num,
    /// A string literal without `\`.
    Str,
    /// A string literal with at least one `\` (its value is unescaped out of line).
    StrEscaped,
    Let,
    Const,
    Function,
    Return,
    If,
    Else,
    True,
    False,
    LParen,
    RParen,
    LBrace,
    RBrace,
    LBracket,
    RBracket,
    Comma,
    Semi,
    Dot,
    Arrow,
    Assign,
    Bang,
    Eof,
    /// A lexical error at `start`: a string not closed on its line.
    Unterminated,
    /// A lexical error at `start`: a character no token starts with.
    Unexpected,
}

/// The binary operator and its precedence (1 binds loosest) of each operator token.
const BINARY: [(BinaryOperator, u8); 13] = {
    use BinaryOperator::*;
    [
        (Or, 1),
        (And, 2),
        (Eq, 3),
        (Ne, 3),
        (Lt, 4),
        (Le, 4),
        (Gt, 4),
        (Ge, 4),
        (Add, 5),
        (Sub, 5),
        (Mul, 6),
        (Div, 6),
        (Rem, 6),
    ]
};

// Each operator token's index in BINARY is its BinaryOperator, and the tokens after are not.
const _: () = {
    let mut k = 0;
    while k < BINARY.len() {
        assert!(BINARY[k].0 as usize == k);
        k += 1;
    }
    assert!(Tok::Percent as usize == BINARY.len() - 1 && Tok::Ident as usize == BINARY.len());
};

impl Tok {
    /// The binary operator and its precedence, if this is one.
    #[inline(always)]
    fn binary(self) -> Option<(BinaryOperator, u8)> {
        BINARY.get(self as usize).copied()
    }
}

#[derive(Clone, Copy, Debug)]
struct Token {
    tok: Tok,
    start: u32,
    end: u32,
}

/// Heap scratch reused across parses (per thread): the value of a string with escapes.
#[derive(Default)]
pub struct Scratch {
    text: String,
}

/// What a byte starts, for the lexer's dispatch (one table load and a jump).
#[derive(Clone, Copy, PartialEq)]
enum Class {
    Blank,
    /// `[A-Za-z_$]`, and a keyword may start with it.
    NameKeyword,
    /// `[A-Za-z_$]`, no keyword starts with it.
    Name,
    Digit,
    Quote,
    /// A token of its own byte, whatever follows (its kind in [`SINGLE`]).
    Single,
    /// `/ = ! < > | &`: what follows decides.
    Pair,
    Other,
}

static CLASS: [Class; 256] = {
    let mut t = [Class::Other; 256];
    let mut c = 0;
    while c < 256 {
        let b = c as u8;
        t[c] = match b {
            b' ' | b'\t' | b'\n' | b'\r' => Class::Blank,
            b'c' | b'e' | b'f' | b'i' | b'l' | b'r' | b't' => Class::NameKeyword,
            b'a'..=b'z' | b'A'..=b'Z' | b'_' | b'$' => Class::Name,
            b'0'..=b'9' => Class::Digit,
            b'"' | b'\'' => Class::Quote,
            b'(' | b')' | b'{' | b'}' | b'[' | b']' | b',' | b';' | b'.' | b'+' | b'-' | b'*'
            | b'%' => Class::Single,
            b'/' | b'=' | b'!' | b'<' | b'>' | b'|' | b'&' => Class::Pair,
            _ => Class::Other,
        };
        c += 1;
    }
    t
};

/// The token of each `Class::Single` byte.
static SINGLE: [Tok; 256] = {
    let mut t = [Tok::Unexpected; 256];
    t[b'(' as usize] = Tok::LParen;
    t[b')' as usize] = Tok::RParen;
    t[b'{' as usize] = Tok::LBrace;
    t[b'}' as usize] = Tok::RBrace;
    t[b'[' as usize] = Tok::LBracket;
    t[b']' as usize] = Tok::RBracket;
    t[b',' as usize] = Tok::Comma;
    t[b';' as usize] = Tok::Semi;
    t[b'.' as usize] = Tok::Dot;
    t[b'+' as usize] = Tok::Plus;
    t[b'-' as usize] = Tok::Minus;
    t[b'*' as usize] = Tok::Star;
    t[b'%' as usize] = Tok::Percent;
    t
};

/// Which bytes continue a name (`[A-Za-z0-9_$]`).
static NAME: [bool; 256] = {
    let mut t = [false; 256];
    let mut c = 0;
    while c < 256 {
        let b = c as u8;
        t[c] = b.is_ascii_alphanumeric() || b == b'_' || b == b'$';
        c += 1;
    }
    t
};

/// The lexer: a cursor into the source. `Copy`, so a lookahead is a copy that runs ahead.
/// At the end, and at a lexical error, it stays put: asked again, it returns the same token.
#[derive(Clone, Copy)]
struct Lexer<'s> {
    src: &'s [u8],
    pos: usize,
    /// The value of the last number lexed, when the fast path of [`number`] gave it; NaN
    /// (which no number token is) when its text must go through `str::parse`.
    num: f64,
}

impl Lexer<'_> {
    #[inline(always)]
    fn next_token(&mut self) -> Token {
        let b = self.src;
        let mut i = self.pos;
        loop {
            // Single spaces between tokens are most of the blanks: skip them here, so they
            // do not each take a trip through the class dispatch below.
            while b.get(i) == Some(&b' ') {
                i += 1;
            }
            let Some(&c) = b.get(i) else {
                self.pos = i;
                let end = i as u32;
                return Token {
                    tok: Tok::Eof,
                    start: end,
                    end,
                };
            };
            let start = i;
            let tok = match CLASS[c as usize] {
                Class::Blank => {
                    i += 1;
                    continue;
                }
                Class::Name => {
                    i = name_end(b, i + 1);
                    Tok::Ident
                }
                Class::NameKeyword => {
                    i = name_end(b, i + 1);
                    keyword(&b[start..i])
                }
                Class::Single => {
                    i += 1;
                    SINGLE[c as usize]
                }
                Class::Digit => {
                    (i, self.num) = number(b, i);
                    Tok::Num
                }
                Class::Quote => {
                    let mut escaped = false;
                    i += 1;
                    loop {
                        match b.get(i) {
                            Some(&q) if q == c => break,
                            Some(b'\\') => {
                                escaped = true;
                                i += 2;
                            }
                            None | Some(b'\n') => return self.error(Tok::Unterminated, start),
                            Some(_) => i += 1,
                        }
                    }
                    i += 1;
                    if escaped { Tok::StrEscaped } else { Tok::Str }
                }
                Class::Pair => {
                    let two = b.get(i + 1).copied();
                    let (tok, n) = match (c, two) {
                        (b'/', Some(b'/')) => {
                            // A comment, to the end of the line.
                            i = b[i..]
                                .iter()
                                .position(|&c| c == b'\n')
                                .map_or(b.len(), |n| i + n);
                            continue;
                        }
                        (b'|', Some(b'|')) => (Tok::OrOr, 2),
                        (b'&', Some(b'&')) => (Tok::AndAnd, 2),
                        (b'=', Some(b'=')) => (Tok::EqEq, 2),
                        (b'!', Some(b'=')) => (Tok::NotEq, 2),
                        (b'<', Some(b'=')) => (Tok::Le, 2),
                        (b'>', Some(b'=')) => (Tok::Ge, 2),
                        (b'=', Some(b'>')) => (Tok::Arrow, 2),
                        (b'<', _) => (Tok::Lt, 1),
                        (b'>', _) => (Tok::Gt, 1),
                        (b'/', _) => (Tok::Slash, 1),
                        (b'=', _) => (Tok::Assign, 1),
                        (b'!', _) => (Tok::Bang, 1),
                        _ => return self.error(Tok::Unexpected, start),
                    };
                    i += n;
                    tok
                }
                Class::Other => return self.error(Tok::Unexpected, start),
            };
            self.pos = i;
            return Token {
                tok,
                start: start as u32,
                end: i as u32,
            };
        }
    }

    /// A lexical error at `at`; the lexer stays before it, so it is returned again if asked.
    #[cold]
    fn error(&mut self, tok: Tok, at: usize) -> Token {
        self.pos = at;
        Token {
            tok,
            start: at as u32,
            end: at as u32,
        }
    }
}

/// Where the name whose rest starts at `i` ends.
#[inline(always)]
fn name_end(b: &[u8], i: usize) -> usize {
    let rest = &b[i.min(b.len())..];
    i + rest
        .iter()
        .position(|&c| !NAME[c as usize])
        .unwrap_or(rest.len())
}

/// The token of a name: a keyword or `Ident`. A match on the length first, so a name is
/// compared with at most two keywords, each compare a load of a known size.
#[inline(always)]
fn keyword(s: &[u8]) -> Tok {
    match s.len() {
        2 if s == b"if" => Tok::If,
        3 if s == b"let" => Tok::Let,
        4 if s == b"else" => Tok::Else,
        4 if s == b"true" => Tok::True,
        5 if s == b"const" => Tok::Const,
        5 if s == b"false" => Tok::False,
        6 if s == b"return" => Tok::Return,
        8 if s == b"function" => Tok::Function,
        _ => Tok::Ident,
    }
}

/// Exact powers of ten as `f64` (10^22 is the largest that is exact).
const POW10: [f64; 23] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
    1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
];

/// The number that starts at `start` (a digit): where it ends, and its value, or NaN when it
/// needs `str::parse`. The grammar: `digits ("." digits)? ([eE] [+-]? digits)?`, the fraction
/// and the exponent only when digits follow. The value is computed while scanning, on
/// Clinger's fast path (as in the standard library's own parser): no exponent, at most 19
/// digits (so `m` cannot overflow), the digits as an integer `m` at most 2^53 and at most 22 of
/// them after the point. Then `m` and `10^k` are exact `f64`s and one IEEE division rounds
/// correctly: the correctly rounded value, which is what `str::parse` returns too.
#[inline(always)]
fn number(b: &[u8], start: usize) -> (usize, f64) {
    let mut m: u64 = 0;
    let mut digits = |mut i: usize| {
        while i < b.len() && b[i].is_ascii_digit() {
            m = m.wrapping_mul(10).wrapping_add((b[i] - b'0') as u64);
            i += 1;
        }
        i
    };
    let mut i = digits(start);
    let mut count = i - start;
    let mut frac = 0;
    if i + 1 < b.len() && b[i] == b'.' && b[i + 1].is_ascii_digit() {
        let point = i + 1;
        i = digits(point);
        frac = i - point;
        count += frac;
    }
    let mut exponent = false;
    if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
        let mut j = i + 1;
        if j < b.len() && (b[j] == b'+' || b[j] == b'-') {
            j += 1;
        }
        if j < b.len() && b[j].is_ascii_digit() {
            exponent = true;
            i = j;
            while i < b.len() && b[i].is_ascii_digit() {
                i += 1;
            }
        }
    }
    let value = if !exponent && count <= 19 && m <= 1 << 53 && frac <= 22 {
        if frac == 0 {
            m as f64
        } else {
            m as f64 / POW10[frac]
        }
    } else {
        f64::NAN
    };
    (i, value)
}

#[cold]
#[inline(never)]
fn number_slow(text: &str) -> Option<f64> {
    text.parse::<f64>().ok()
}

struct Parser<'a, 's> {
    src: &'s str,
    lexer: Lexer<'s>,
    /// The current token (not yet taken).
    tok: Token,
    /// The end of the last token taken (0 before the first).
    prev_end: u32,
    block: &'a FixedSizeAllocator,
    text: &'s mut String,
    depth: u32,
    /// Why the parse failed, once a method has returned `Err(Fail)`.
    error: Option<ParseError>,
    /// Names of up to 8 bytes already in the block, by a hash of their bytes (a direct-mapped
    /// cache: a collision replaces). Programs use few names many times; sharing one copy saves
    /// an allocation and a `memcpy` per use, and block space. An `ArenaStr` holds no pointers,
    /// so two fields with the same string cannot make a JS walk loop or grow.
    names: [Option<(u64, ArenaStr<'a>)>; 256],
}

/// Parse `src` into `block`; the `Program` is the last thing allocated.
pub fn parse<'a>(
    src: &str,
    block: &'a FixedSizeAllocator,
    scratch: &mut Scratch,
) -> Result<ArenaBox<'a, Program<'a>>> {
    if src.len() >= u32::MAX as usize {
        return Err(ParseError::Syntax {
            offset: 0,
            message: "the source is 4 GiB or more".to_owned(),
        });
    }
    let mut lexer = Lexer {
        src: src.as_bytes(),
        pos: 0,
        num: f64::NAN,
    };
    let tok = lexer.next_token();
    let mut p = Parser {
        src,
        lexer,
        tok,
        prev_end: 0,
        block,
        text: &mut scratch.text,
        depth: 0,
        error: None,
        names: [None; 256],
    };
    match p.program() {
        Ok(program) => Ok(program),
        Err(Fail) => Err(p.into_error()),
    }
}

impl<'a> Parser<'a, '_> {
    fn program(&mut self) -> PResult<ArenaBox<'a, Program<'a>>> {
        let mut body = self.vec()?;
        while self.peek() != Tok::Eof {
            let s = self.statement()?;
            self.push(&mut body, s)?;
        }
        let program = Program {
            body,
            span: Span {
                start: 0,
                end: self.src.len() as u32,
            },
        };
        self.bx(program)
    }

    /// The error of a failed parse. The first lexical error of the source comes first (the
    /// current token's, or one further on), then the error that stopped the parse.
    #[cold]
    #[inline(never)]
    fn into_error(mut self) -> ParseError {
        let mut t = self.tok;
        loop {
            match t.tok {
                Tok::Eof => break,
                Tok::Unterminated => {
                    return ParseError::Syntax {
                        offset: t.start,
                        message: "unterminated string".to_owned(),
                    };
                }
                Tok::Unexpected => {
                    let ch = self.src[t.start as usize..].chars().next().unwrap_or('?');
                    return ParseError::Syntax {
                        offset: t.start,
                        message: format!("unexpected character {ch:?}"),
                    };
                }
                _ => t = self.lexer.next_token(),
            }
        }
        self.error.take().unwrap_or_else(|| ParseError::Syntax {
            offset: self.tok.start,
            message: "internal error: a failed parse without an error".to_owned(),
        })
    }

    #[cold]
    #[inline(never)]
    fn fail(&mut self, offset: u32, message: String) -> Fail {
        self.error = Some(ParseError::Syntax { offset, message });
        Fail
    }

    #[cold]
    #[inline(never)]
    fn arena_fail(&mut self, e: ArenaError) -> Fail {
        self.error = Some(ParseError::Arena(e));
        Fail
    }

    #[inline(always)]
    fn peek(&self) -> Tok {
        self.tok.tok
    }

    #[inline(always)]
    fn start(&self) -> u32 {
        self.tok.start
    }

    /// Take the current token. Never called at the end of the source or at a lexical error
    /// (no rule takes those), where the lexer would return the same token again.
    #[inline(always)]
    fn next(&mut self) -> Token {
        let t = self.tok;
        debug_assert!(!matches!(
            t.tok,
            Tok::Eof | Tok::Unterminated | Tok::Unexpected
        ));
        self.advance();
        t
    }

    /// The one out-of-line copy of the lexer the parser calls: it writes the token in place.
    #[inline(never)]
    fn advance(&mut self) {
        self.prev_end = self.tok.end;
        self.tok = self.lexer.next_token();
    }

    #[inline(always)]
    fn eat(&mut self, tok: Tok) -> bool {
        if self.peek() == tok {
            self.next();
            true
        } else {
            false
        }
    }

    #[inline(always)]
    fn expect(&mut self, tok: Tok, what: &str) -> PResult<Token> {
        if self.peek() == tok {
            return Ok(self.next());
        }
        Err(self.expected(what))
    }

    #[cold]
    #[inline(never)]
    fn expected(&mut self, what: &str) -> Fail {
        let t = self.tok;
        let found = if t.tok == Tok::Eof {
            "the end of the source".to_owned()
        } else {
            format!("'{}'", &self.src[t.start as usize..t.end as usize])
        };
        self.fail(t.start, format!("expected {what}, found {found}"))
    }

    #[inline(always)]
    fn span(&self, start: u32) -> Span {
        Span {
            start,
            end: self.prev_end,
        }
    }

    #[inline(always)]
    fn nest(&mut self) -> PResult<()> {
        self.depth += 1;
        if self.depth > MAX_NESTING {
            return Err(self.too_deep());
        }
        Ok(())
    }

    #[cold]
    #[inline(never)]
    fn too_deep(&mut self) -> Fail {
        self.fail(self.start(), format!("nested more than {MAX_NESTING} deep"))
    }

    #[inline(always)]
    fn bx<T>(&mut self, v: T) -> PResult<ArenaBox<'a, T>> {
        match ArenaBox::try_new_in(v, self.block) {
            Ok(b) => Ok(b),
            Err(e) => Err(self.arena_fail(e)),
        }
    }

    #[inline(always)]
    fn vec<T>(&mut self) -> PResult<ArenaVec<'a, T>> {
        match ArenaVec::try_new_in(self.block) {
            Ok(v) => Ok(v),
            Err(e) => Err(self.arena_fail(e)),
        }
    }

    #[inline(always)]
    fn push<T>(&mut self, v: &mut ArenaVec<'a, T>, x: T) -> PResult<()> {
        match v.try_push(x) {
            Ok(()) => Ok(()),
            Err(e) => Err(self.arena_fail(e)),
        }
    }

    #[inline(always)]
    fn str(&mut self, s: &str) -> PResult<ArenaStr<'a>> {
        match ArenaStr::try_new_in(s, self.block) {
            Ok(s) => Ok(s),
            Err(e) => Err(self.arena_fail(e)),
        }
    }

    #[inline(always)]
    fn identifier(&mut self) -> PResult<Identifier<'a>> {
        let t = self.expect(Tok::Ident, "a name")?;
        Ok(Identifier {
            name: self.name(t.start as usize, t.end as usize)?,
            span: Span {
                start: t.start,
                end: t.end,
            },
        })
    }

    /// The name at `src[a..b]` in the block: a name of up to 8 bytes is copied once per parse
    /// and shared after (see [`Parser::names`]).
    #[inline(always)]
    fn name(&mut self, a: usize, b: usize) -> PResult<ArenaStr<'a>> {
        let n = b - a;
        if let (1..=8, Some(w)) = (n, self.src.as_bytes().get(a..a + 8)) {
            // The name's bytes, zero above its length: a name has no zero byte, so the key
            // says both its bytes and its length.
            let key =
                u64::from_le_bytes(w.try_into().expect("8 bytes")) & (u64::MAX >> (64 - 8 * n));
            let slot = (key.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 56) as usize;
            if let Some((k, s)) = self.names[slot]
                && k == key
            {
                return Ok(s);
            }
            let src = self.src;
            let s = self.str(&src[a..b])?;
            self.names[slot] = Some((key, s));
            return Ok(s);
        }
        let src = self.src;
        self.str(&src[a..b])
    }

    fn statement(&mut self) -> PResult<Statement<'a>> {
        self.nest()?;
        let s = self.statement_inner();
        self.depth -= 1;
        s
    }

    fn statement_inner(&mut self) -> PResult<Statement<'a>> {
        let start = self.start();
        Ok(match self.peek() {
            Tok::Let | Tok::Const => {
                let kind = if self.next().tok == Tok::Let {
                    VariableKind::Let
                } else {
                    VariableKind::Const
                };
                let id = self.identifier()?;
                let init = if self.eat(Tok::Assign) {
                    Some(self.expression()?)
                } else {
                    None
                };
                self.expect(Tok::Semi, "';'")?;
                let span = self.span(start);
                Statement::VariableDeclaration(self.bx(VariableDeclaration {
                    kind,
                    id,
                    init,
                    span,
                })?)
            }
            Tok::Function => {
                self.next();
                let id = self.identifier()?;
                let params = self.params()?;
                let body = self.block_statement()?;
                let span = self.span(start);
                Statement::FunctionDeclaration(self.bx(FunctionDeclaration {
                    id,
                    params,
                    body,
                    span,
                })?)
            }
            Tok::Return => {
                self.next();
                let argument = if self.peek() == Tok::Semi {
                    None
                } else {
                    Some(self.expression()?)
                };
                self.expect(Tok::Semi, "';'")?;
                let span = self.span(start);
                Statement::ReturnStatement(self.bx(ReturnStatement { argument, span })?)
            }
            Tok::If => {
                self.next();
                self.expect(Tok::LParen, "'('")?;
                let test = self.expression()?;
                self.expect(Tok::RParen, "')'")?;
                let consequent = self.statement()?;
                let alternate = if self.eat(Tok::Else) {
                    Some(self.statement()?)
                } else {
                    None
                };
                let span = self.span(start);
                Statement::IfStatement(self.bx(IfStatement {
                    test,
                    consequent,
                    alternate,
                    span,
                })?)
            }
            Tok::LBrace => Statement::BlockStatement({
                let v = self.block_statement()?;
                self.bx(v)?
            }),
            _ => {
                let expression = self.expression()?;
                self.expect(Tok::Semi, "';'")?;
                let span = self.span(start);
                Statement::ExpressionStatement(self.bx(ExpressionStatement { expression, span })?)
            }
        })
    }

    fn block_statement(&mut self) -> PResult<BlockStatement<'a>> {
        let start = self.start();
        self.expect(Tok::LBrace, "'{'")?;
        let mut body = self.vec()?;
        while !matches!(self.peek(), Tok::RBrace | Tok::Eof) {
            let s = self.statement()?;
            self.push(&mut body, s)?;
        }
        self.expect(Tok::RBrace, "'}'")?;
        Ok(BlockStatement {
            body,
            span: self.span(start),
        })
    }

    /// `( IDENT, ... )`.
    fn params(&mut self) -> PResult<ArenaSlice<'a, Identifier<'a>>> {
        self.expect(Tok::LParen, "'('")?;
        let mut params = self.vec()?;
        while self.peek() != Tok::RParen {
            let id = self.identifier()?;
            self.push(&mut params, id)?;
            if !self.eat(Tok::Comma) {
                break;
            }
        }
        self.expect(Tok::RParen, "')'")?;
        Ok(params.into_slice())
    }

    fn expression(&mut self) -> PResult<Expression<'a>> {
        self.nest()?;
        let e = self.binary(1);
        self.depth -= 1;
        e
    }

    /// Operators of precedence `min` and tighter, left-associative.
    fn binary(&mut self, min: u8) -> PResult<Expression<'a>> {
        let start = self.start();
        let mut left = self.unary()?;
        while let Some((operator, prec)) = self.peek().binary() {
            if prec < min {
                break;
            }
            self.next();
            self.nest()?;
            let right = self.binary(prec + 1)?;
            self.depth -= 1;
            let span = self.span(start);
            left = Expression::BinaryExpression(self.bx(BinaryExpression {
                operator,
                left,
                right,
                span,
            })?);
        }
        Ok(left)
    }

    fn unary(&mut self) -> PResult<Expression<'a>> {
        let start = self.start();
        let operator = match self.peek() {
            Tok::Minus => UnaryOperator::Minus,
            Tok::Plus => UnaryOperator::Plus,
            Tok::Bang => UnaryOperator::Not,
            _ => return self.postfix(),
        };
        self.next();
        self.nest()?;
        let argument = self.unary()?;
        self.depth -= 1;
        let span = self.span(start);
        Ok(Expression::UnaryExpression(self.bx(UnaryExpression {
            operator,
            argument,
            span,
        })?))
    }

    fn postfix(&mut self) -> PResult<Expression<'a>> {
        let start = self.start();
        let depth = self.depth;
        let mut e = self.primary()?;
        loop {
            match self.peek() {
                Tok::LParen => {
                    self.next();
                    let arguments = self.list(Tok::RParen, "')'")?;
                    let span = self.span(start);
                    e = Expression::CallExpression(self.bx(CallExpression {
                        callee: e,
                        arguments,
                        span,
                    })?);
                }
                Tok::Dot => {
                    self.next();
                    let id = self.identifier()?;
                    let property = Expression::Identifier(self.bx(id)?);
                    let span = self.span(start);
                    e = Expression::MemberExpression(self.bx(MemberExpression {
                        object: e,
                        property,
                        computed: false,
                        span,
                    })?);
                }
                Tok::LBracket => {
                    self.next();
                    let property = self.expression()?;
                    self.expect(Tok::RBracket, "']'")?;
                    let span = self.span(start);
                    e = Expression::MemberExpression(self.bx(MemberExpression {
                        object: e,
                        property,
                        computed: true,
                        span,
                    })?);
                }
                _ => {
                    self.depth = depth;
                    return Ok(e);
                }
            }
            // Each call or member nests its callee/object one level deeper (`a.b.c...`).
            self.nest()?;
        }
    }

    /// Expressions separated by commas up to `close` (a trailing comma allowed).
    fn list(&mut self, close: Tok, what: &str) -> PResult<ArenaVec<'a, Expression<'a>>> {
        let mut out = self.vec()?;
        while self.peek() != close {
            let e = self.expression()?;
            self.push(&mut out, e)?;
            if !self.eat(Tok::Comma) {
                break;
            }
        }
        self.expect(close, what)?;
        Ok(out)
    }

    /// At `(`: whether the tokens from here are `( IDENT, ... ) =>` (a trailing comma
    /// allowed). Looks ahead on a copy of the lexer; a lexical error on the way is "no" (the
    /// parse then fails at it, or earlier, and `into_error` finds it).
    fn at_arrow_params(&self) -> bool {
        let mut lexer = self.lexer;
        loop {
            match lexer.next_token().tok {
                Tok::RParen => return lexer.next_token().tok == Tok::Arrow,
                Tok::Ident => {}
                _ => return false,
            }
            match lexer.next_token().tok {
                Tok::Comma => {}
                Tok::RParen => return lexer.next_token().tok == Tok::Arrow,
                _ => return false,
            }
        }
    }

    fn primary(&mut self) -> PResult<Expression<'a>> {
        let start = self.start();
        let t = self.tok;
        let span = Span {
            start: t.start,
            end: t.end,
        };
        Ok(match t.tok {
            Tok::Ident => {
                let id = self.identifier()?;
                if self.peek() == Tok::Arrow {
                    // `x => body`
                    let mut v = self.vec()?;
                    self.push(&mut v, id)?;
                    self.arrow(start, v.into_slice())?
                } else {
                    Expression::Identifier(self.bx(id)?)
                }
            }
            Tok::Num => {
                // The lexer's last token is this one: its value, before `next` lexes another.
                let mut value = self.lexer.num;
                self.next();
                if value.is_nan() {
                    let Some(v) = number_slow(&self.src[t.start as usize..t.end as usize]) else {
                        return Err(self.fail(t.start, "bad number".to_owned()));
                    };
                    value = v;
                }
                Expression::NumericLiteral(self.bx(NumericLiteral { value, span })?)
            }
            Tok::Str => {
                self.next();
                let src = self.src;
                let value = self.str(&src[t.start as usize + 1..t.end as usize - 1])?;
                Expression::StringLiteral(self.bx(StringLiteral { value, span })?)
            }
            Tok::StrEscaped => {
                self.next();
                let value = self.unescape(t)?;
                Expression::StringLiteral(self.bx(StringLiteral { value, span })?)
            }
            Tok::True | Tok::False => {
                self.next();
                Expression::BooleanLiteral(self.bx(BooleanLiteral {
                    value: t.tok == Tok::True,
                    span,
                })?)
            }
            Tok::LParen if self.at_arrow_params() => {
                let params = self.params()?;
                self.arrow(start, params)?
            }
            Tok::LBracket => {
                self.next();
                let elements = self.list(Tok::RBracket, "']'")?;
                let span = self.span(start);
                Expression::ArrayExpression(self.bx(ArrayExpression { elements, span })?)
            }
            Tok::LParen => {
                self.next();
                let e = self.expression()?;
                self.expect(Tok::RParen, "')'")?;
                e
            }
            Tok::Function => {
                self.next();
                let id = if self.peek() == Tok::Ident {
                    Some({
                        let v = self.identifier()?;
                        self.bx(v)?
                    })
                } else {
                    None
                };
                let params = self.params()?;
                let body = self.block_statement()?;
                let span = self.span(start);
                Expression::FunctionExpression(self.bx(FunctionExpression {
                    id,
                    params,
                    body,
                    span,
                })?)
            }
            _ => return Err(self.expected("an expression")),
        })
    }

    /// The rest of an arrow function from `=>`, its parameters taken.
    fn arrow(
        &mut self,
        start: u32,
        params: ArenaSlice<'a, Identifier<'a>>,
    ) -> PResult<Expression<'a>> {
        self.expect(Tok::Arrow, "'=>'")?;
        let (body, expression) = if self.peek() == Tok::LBrace {
            (
                ArrowBody::BlockStatement({
                    let v = self.block_statement()?;
                    self.bx(v)?
                }),
                false,
            )
        } else {
            (ArrowBody::Expression(self.expression()?), true)
        };
        let span = self.span(start);
        Ok(Expression::ArrowFunctionExpression(self.bx(
            ArrowFunctionExpression {
                params,
                body,
                expression,
                span,
            },
        )?))
    }

    /// The value of the string literal `t` (which has a `\`), its escapes resolved, in the
    /// block.
    #[cold]
    #[inline(never)]
    fn unescape(&mut self, t: Token) -> PResult<ArenaStr<'a>> {
        let inner = &self.src[t.start as usize + 1..t.end as usize - 1];
        self.text.clear();
        let mut chars = inner.char_indices();
        while let Some((i, c)) = chars.next() {
            if c != '\\' {
                self.text.push(c);
                continue;
            }
            let at = t.start + 1 + i as u32;
            match chars.next().map(|(_, c)| c) {
                Some('n') => self.text.push('\n'),
                Some('t') => self.text.push('\t'),
                Some('r') => self.text.push('\r'),
                Some('0') => self.text.push('\0'),
                Some(c @ ('\\' | '\'' | '"')) => self.text.push(c),
                _ => {
                    return Err(self.fail(
                        at,
                        "unknown escape (\\n \\t \\r \\0 \\\\ \\' \\\" are known)".to_owned(),
                    ));
                }
            }
        }
        match ArenaStr::try_new_in(self.text, self.block) {
            Ok(s) => Ok(s),
            Err(e) => Err(self.arena_fail(e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::number;

    /// `number` against `str::parse` on many decimal strings: the same end, and the same
    /// bits whenever the fast path gives a value (most of the time: `taken` says how often).
    #[test]
    fn number_fast_path_is_exact() {
        let mut s: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut rnd = |n: u64| {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            s % n
        };
        let mut taken = 0;
        let mut text = String::new();
        for _ in 0..1_000_000 {
            text.clear();
            let int_digits = 1 + rnd(20);
            let frac_digits = rnd(24);
            // Long runs of one digit, and runs of 9s and 0s, find rounding boundaries.
            let kind = rnd(3);
            let mut digit = || match kind {
                0 => char::from(b'0' + rnd(10) as u8),
                1 => ['0', '9'][rnd(2) as usize],
                _ => ['1', '5', '0'][rnd(3) as usize],
            };
            text.extend((0..int_digits).map(|_| digit()));
            if frac_digits > 0 {
                text.push('.');
                text.extend((0..frac_digits).map(|_| digit()));
            }
            let (end, value) = number(text.as_bytes(), 0);
            assert_eq!(end, text.len(), "{text}");
            if !value.is_nan() {
                taken += 1;
                let want: f64 = text.parse().unwrap();
                assert_eq!(value.to_bits(), want.to_bits(), "{text}");
            }
        }
        assert!(
            taken > 200_000,
            "the fast path took only {taken} of 1 000 000"
        );
    }
}
