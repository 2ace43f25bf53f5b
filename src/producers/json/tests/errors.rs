//! Rejections: kind, byte offset, line and column. The offsets of ASCII inputs were checked
//! against Node 20's `JSON.parse` messages ("... at position N").

use super::*;
use JsonErrorKind as K;

fn err(text: &[u8]) -> JsonError {
    let (_serial, alloc) = block();
    match parse(&alloc, text) {
        Err(ParseError::Syntax(e)) => e,
        other => panic!(
            "{:?}: expected a syntax error, got {other:?}",
            String::from_utf8_lossy(text)
        ),
    }
}

#[track_caller]
fn rejects(text: &str, kind: K, offset: usize) {
    rejects_bytes(text.as_bytes(), kind, offset);
}

#[track_caller]
fn rejects_bytes(text: &[u8], kind: K, offset: usize) {
    let e = err(text);
    assert_eq!(
        (e.kind, e.offset),
        (kind, offset),
        "{:?}: {e}",
        String::from_utf8_lossy(text)
    );
}

#[test]
fn trailing_commas() {
    rejects("[1,]", K::UnexpectedToken(']'), 3);
    rejects("[1, 2 ,\n ]", K::UnexpectedToken(']'), 9);
    rejects(r#"{"a":1,}"#, K::ExpectedPropertyName, 7);
    rejects("[,1]", K::UnexpectedToken(','), 1);
    rejects("[1,,2]", K::UnexpectedToken(','), 3);
    rejects("{,}", K::ExpectedPropertyNameOrBrace, 1);
}

#[test]
fn bad_numbers() {
    rejects("01", K::UnexpectedNumber, 1);
    rejects("[-01]", K::UnexpectedNumber, 3);
    rejects("00", K::UnexpectedNumber, 1);
    rejects("-", K::NoNumberAfterMinus, 1);
    rejects("[-]", K::NoNumberAfterMinus, 2);
    rejects("-a", K::NoNumberAfterMinus, 1);
    rejects("1.", K::UnterminatedFraction, 2);
    rejects("1.x", K::UnterminatedFraction, 2);
    rejects("-0.e1", K::UnterminatedFraction, 3);
    rejects(".5", K::UnexpectedToken('.'), 0);
    rejects("1e", K::MissingExponent, 2);
    rejects("1e+", K::MissingExponent, 3);
    rejects("1E-x", K::MissingExponent, 3);
    rejects("+1", K::UnexpectedToken('+'), 0);
    rejects("0x10", K::TrailingCharacters, 1);
    rejects("NaN", K::UnexpectedToken('N'), 0);
    rejects("Infinity", K::UnexpectedToken('I'), 0);
    rejects("1 2", K::TrailingCharacters, 2);
}

#[test]
fn bad_strings() {
    rejects(r#""\x""#, K::BadEscape, 2);
    rejects(r#""abc\'""#, K::BadEscape, 5);
    rejects(r#""\U0041""#, K::BadEscape, 2);
    rejects("\"a\u{1}\"", K::BadControlCharacter, 2);
    rejects("\"\t\"", K::BadControlCharacter, 1);
    rejects("\"a\nb\"", K::BadControlCharacter, 2);
    rejects("\"abcdefghijklmnop\u{1f}\"", K::BadControlCharacter, 17);
    rejects("\"\\n\u{0}\"", K::BadControlCharacter, 3);
    rejects(r#""abc"#, K::UnterminatedString, 4);
    rejects(r#""abcdefghijklmnopqrstuvwxyz"#, K::UnterminatedString, 27);
    rejects(r#"["a\n"#, K::UnterminatedString, 5);
    rejects("\"", K::UnterminatedString, 1);
    rejects(r#""\"#, K::UnexpectedEnd, 2);
    rejects(r#""\u12x4""#, K::BadUnicodeEscape, 5);
    rejects(r#""\u12""#, K::BadUnicodeEscape, 5);
    rejects(r#""\u12"#, K::BadUnicodeEscape, 5);
    rejects(r#""\u""#, K::BadUnicodeEscape, 3);
    rejects(r#""\ud800\uzz""#, K::BadUnicodeEscape, 9);
    rejects(r#""\ud800\u""#, K::BadUnicodeEscape, 9);
    // Errors after a lone surrogate (found by the UTF-16 pass).
    rejects(r#""\ud800\q""#, K::BadEscape, 8);
    rejects("\"\\ud800\u{1}\"", K::BadControlCharacter, 7);
    rejects(r#""\ud800abc"#, K::UnterminatedString, 10);
    rejects("'a'", K::UnexpectedToken('\''), 0);
}

#[test]
fn bad_literals_and_structure() {
    rejects("tru", K::UnexpectedEnd, 3);
    rejects("trux", K::UnexpectedToken('x'), 3);
    rejects("nul", K::UnexpectedEnd, 3);
    rejects("True", K::UnexpectedToken('T'), 0);
    rejects("[falsy]", K::UnexpectedToken('y'), 5);
    rejects("t1", K::UnexpectedNumber, 1);
    rejects("[nu-]", K::UnexpectedNumber, 3);
    rejects("f\"x\"", K::UnexpectedString, 1);
    rejects("truefalse", K::TrailingCharacters, 4);
    rejects("[1] x", K::TrailingCharacters, 4);
    rejects(r#"{"a":1}}"#, K::TrailingCharacters, 7);
    rejects("", K::UnexpectedEnd, 0);
    rejects("   \n ", K::UnexpectedEnd, 5);
    rejects("[", K::UnexpectedEnd, 1);
    rejects("[1", K::ExpectedCommaOrBracket, 2);
    rejects("[1,", K::UnexpectedEnd, 3);
    rejects("[1 2]", K::ExpectedCommaOrBracket, 3);
    rejects("[1}", K::ExpectedCommaOrBracket, 2);
    rejects("{", K::ExpectedPropertyNameOrBrace, 1);
    rejects(r#"{"a""#, K::ExpectedColon, 4);
    rejects(r#"{"a" 1}"#, K::ExpectedColon, 5);
    rejects(r#"{"a":"#, K::UnexpectedEnd, 5);
    rejects(r#"{"a":}"#, K::UnexpectedToken('}'), 5);
    rejects(r#"{"a":1"#, K::ExpectedCommaOrBrace, 6);
    rejects(r#"{"a":1 "b":2}"#, K::ExpectedCommaOrBrace, 7);
    rejects(r#"{"a":1]"#, K::ExpectedCommaOrBrace, 6);
    rejects("{1:1}", K::ExpectedPropertyNameOrBrace, 1);
    rejects("{'a':1}", K::ExpectedPropertyNameOrBrace, 1);
    rejects("/* c */ 1", K::UnexpectedToken('/'), 0);
    rejects("1 // c", K::TrailingCharacters, 2);
    rejects("]", K::UnexpectedToken(']'), 0);
}

#[test]
fn only_four_whitespace_characters() {
    rejects("\u{b}1", K::UnexpectedToken('\u{b}'), 0);
    rejects("\u{c}1", K::UnexpectedToken('\u{c}'), 0);
    rejects("\u{a0}1", K::UnexpectedToken('\u{a0}'), 0);
    rejects("1\u{a0}", K::TrailingCharacters, 1);
    rejects("[1,\u{2028}2]", K::UnexpectedToken('\u{2028}'), 3);
    // A leading BOM is not whitespace to JSON.parse.
    rejects("\u{feff}1", K::UnexpectedToken('\u{feff}'), 0);
    rejects("\u{feff}", K::UnexpectedToken('\u{feff}'), 0);
}

#[test]
fn invalid_utf8() {
    rejects_bytes(b"\"a\xffb\"", K::InvalidUtf8, 2);
    rejects_bytes(b"[\"\xe9t\xe9\"]", K::InvalidUtf8, 2);
    rejects_bytes(b"\"abcdefghijklmnop\xffqrstuvwxyz\"", K::InvalidUtf8, 17);
    rejects_bytes(b"\"\xc3\xa9\xe2\x82\"", K::InvalidUtf8, 3); // truncated before the quote
    rejects_bytes(b"\"\xe2\x82", K::InvalidUtf8, 1); // truncated at the end
    rejects_bytes(b"\"\xc0\x80\"", K::InvalidUtf8, 1); // overlong
    rejects_bytes(b"\"\xed\xa0\x80\"", K::InvalidUtf8, 1); // encoded surrogate
    rejects_bytes(b"\"\xf4\x90\x80\x80\"", K::InvalidUtf8, 1); // above U+10FFFF
    rejects_bytes(b"\"\\n\xff\"", K::InvalidUtf8, 3); // after an escape
    rejects_bytes(b"\"\\ud800\xff\"", K::InvalidUtf8, 7); // in the UTF-16 pass
    rejects_bytes(b"[\xff]", K::InvalidUtf8, 1);
    rejects_bytes(b"\xef\xbb", K::InvalidUtf8, 0);
    rejects_bytes(b"[1\x80]", K::InvalidUtf8, 2);
    rejects_bytes(b"1 \xff", K::InvalidUtf8, 2);
    // The earliest problem wins.
    rejects_bytes(b"\"\xff\x01\"", K::InvalidUtf8, 1);
    rejects_bytes(b"\"\x01\xff\"", K::BadControlCharacter, 1);
}

/// After an escape, an invalid UTF-8 sequence, a control byte, a bad escape or the end of the
/// text at every distance from it, so each falls at every place in the decoder's 16-byte
/// steps and in the byte-wise tail: the same error, at the same offset, as anywhere else.
#[test]
fn errors_after_an_escape_at_every_offset() {
    let bads: [(&[u8], K, usize); 7] = [
        (b"\xff", K::InvalidUtf8, 0),
        (b"\xc3(", K::InvalidUtf8, 0),
        (b"\xe2\x82", K::InvalidUtf8, 0),
        (b"\xed\xa0\x80", K::InvalidUtf8, 0),
        (b"\x1f", K::BadControlCharacter, 0),
        (b"\\q", K::BadEscape, 1),
        (b"\\u12g4", K::BadUnicodeEscape, 4),
    ];
    for escape in [&b"\\n"[..], b"\\u00e9", b"\\\""] {
        for before in [0, 3, 15, 16] {
            for gap in 0..40 {
                for filler in [&b"a"[..], "\u{e9}".as_bytes()] {
                    let mut text = b"[\"".to_vec();
                    text.extend(b"x".repeat(before));
                    text.extend_from_slice(escape);
                    // `gap` bytes of filler (a two-byte character counts as two).
                    let fill: Vec<u8> = filler.repeat(gap / filler.len());
                    text.extend(&fill);
                    let at = text.len();
                    // The end of the text right after the filler.
                    rejects_bytes(&text, K::UnterminatedString, at);
                    for (bad, kind, offset) in bads {
                        let mut t = text.clone();
                        t.extend_from_slice(bad);
                        t.extend_from_slice(b"tail\"]");
                        rejects_bytes(&t, kind, at + offset);
                        // With nothing after it (the last bytes of the text).
                        let mut t = text.clone();
                        t.extend_from_slice(bad);
                        let e = err(&t);
                        assert!(e.offset >= at, "{:?}: {e}", String::from_utf8_lossy(&t));
                    }
                }
            }
        }
    }
}

#[test]
fn line_and_column() {
    let e = err(b"[1,\n  2,\n  ]");
    assert_eq!(
        (e.kind, e.offset, e.line, e.column),
        (K::UnexpectedToken(']'), 11, 3, 3)
    );
    // Columns count UTF-16 units: '😀' is two, 'é' one.
    let e = err("[\"😀é\", x]".as_bytes());
    assert_eq!((e.offset, e.line, e.column), (11, 1, 9));
    // \r does not start a line.
    let e = err(b"\r\n\r[\r1 2]");
    assert_eq!((e.offset, e.line, e.column), (7, 2, 6));
    let e = err(b"");
    assert_eq!((e.offset, e.line, e.column), (0, 1, 1));
    let e = err(b"\"abc\n");
    assert_eq!(
        (e.kind, e.offset, e.line, e.column),
        (K::BadControlCharacter, 4, 1, 5)
    );
    let e = err(b"[\n\"abc");
    assert_eq!(
        (e.kind, e.offset, e.line, e.column),
        (K::UnterminatedString, 6, 2, 5)
    );
}

#[test]
fn messages() {
    let e = err(b"{}}");
    assert_eq!(
        e.message(),
        "Unexpected non-whitespace character after JSON"
    );
    assert_eq!(
        e.to_string(),
        "Unexpected non-whitespace character after JSON at position 2 (line 1 column 3)"
    );
    assert_eq!(err(b"[1,}").message(), "Unexpected token '}'");
    assert_eq!(err(b"\"ab").message(), "Unterminated string");
    assert_eq!(err(b"\"\\a\"").message(), "Bad escaped character");
    assert_eq!(
        err("\u{feff}[]".as_bytes()).message(),
        "Unexpected token '\\u{feff}'"
    );
    let wrapped = ParseError::Syntax(err(b"x"));
    assert_eq!(
        wrapped.to_string(),
        "Unexpected token 'x' at position 0 (line 1 column 1)"
    );
    assert!(std::error::Error::source(&wrapped).is_some());
}
