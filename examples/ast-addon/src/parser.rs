//! Source text → the AST of `ast.rs`, built in a block: an on-demand lexer (`lexer.rs`,
//! one token of lookahead, no token list) and a recursive-descent parser with operator
//! precedence.
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
use crate::lexer::{Lexer, Tok, Token, number_slow};

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

/// Heap scratch reused across parses (per thread): the value of a string with escapes.
#[derive(Default)]
pub struct Scratch {
    text: String,
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
