//! The lexer of the example's language: tokens read on demand from a byte-class table
//! (one table load and a jump per token), numbers valued while they are scanned. The parser
//! (`parser.rs`) holds one `Lexer` and one token of lookahead.

use crate::ast::BinaryOperator;

/// A token's kind. The binary operators come first, in the order of [`BinaryOperator`], so
/// "is this a binary operator, and which" is one compare and a table load.
#[derive(Clone, Copy, Debug, PartialEq)]
#[repr(u8)]
pub(crate) enum Tok {
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
pub(crate) const BINARY: [(BinaryOperator, u8); 13] = {
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
    pub(crate) fn binary(self) -> Option<(BinaryOperator, u8)> {
        BINARY.get(self as usize).copied()
    }
}

#[derive(Clone, Copy, Debug)]
pub(crate) struct Token {
    pub(crate) tok: Tok,
    pub(crate) start: u32,
    pub(crate) end: u32,
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
pub(crate) struct Lexer<'s> {
    pub(crate) src: &'s [u8],
    pub(crate) pos: usize,
    /// The value of the last number lexed, when the fast path of [`number`] gave it; NaN
    /// (which no number token is) when its text must go through `str::parse`.
    pub(crate) num: f64,
}

impl Lexer<'_> {
    #[inline(always)]
    pub(crate) fn next_token(&mut self) -> Token {
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
pub(crate) fn number_slow(text: &str) -> Option<f64> {
    text.parse::<f64>().ok()
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
