//! The parser as it was before the on-demand lexer (commit 8e29965), kept for tests only: the
//! differential test in `parser_tests.rs` holds the fast parser to exactly its output (the
//! same tree, spans, values, and the same error message at the same offset).

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

#[derive(Clone, Copy, Debug, PartialEq)]
enum Tok {
    Ident,
    Num,
    Str,
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
    Bin(BinaryOperator),
    Eof,
}

#[derive(Clone, Copy, Debug)]
struct Token {
    tok: Tok,
    start: u32,
    end: u32,
}

/// Heap scratch reused across parses (per thread).
#[derive(Default)]
pub struct Scratch {
    tokens: Vec<Token>,
    text: String,
}

fn syntax<T>(offset: u32, message: impl Into<String>) -> Result<T> {
    Err(ParseError::Syntax {
        offset,
        message: message.into(),
    })
}

fn lex(src: &str, out: &mut Vec<Token>) -> Result<()> {
    if src.len() >= u32::MAX as usize {
        return syntax(0, "the source is 4 GiB or more");
    }
    out.clear();
    let b = src.as_bytes();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        let start = i;
        let tok = match c {
            b' ' | b'\t' | b'\n' | b'\r' => {
                i += 1;
                continue;
            }
            b'/' if b.get(i + 1) == Some(&b'/') => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
                continue;
            }
            b'0'..=b'9' => {
                while i < b.len() && b[i].is_ascii_digit() {
                    i += 1;
                }
                if i + 1 < b.len() && b[i] == b'.' && b[i + 1].is_ascii_digit() {
                    i += 1;
                    while i < b.len() && b[i].is_ascii_digit() {
                        i += 1;
                    }
                }
                if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
                    let mut j = i + 1;
                    if j < b.len() && (b[j] == b'+' || b[j] == b'-') {
                        j += 1;
                    }
                    if j < b.len() && b[j].is_ascii_digit() {
                        i = j;
                        while i < b.len() && b[i].is_ascii_digit() {
                            i += 1;
                        }
                    }
                }
                Tok::Num
            }
            b'"' | b'\'' => {
                i += 1;
                loop {
                    match b.get(i) {
                        None | Some(b'\n') => return syntax(start as u32, "unterminated string"),
                        Some(&q) if q == c => break,
                        Some(b'\\') => i += 2,
                        Some(_) => i += 1,
                    }
                }
                i += 1;
                Tok::Str
            }
            c if c.is_ascii_alphabetic() || c == b'_' || c == b'$' => {
                while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_' || b[i] == b'$')
                {
                    i += 1;
                }
                match &src[start..i] {
                    "let" => Tok::Let,
                    "const" => Tok::Const,
                    "function" => Tok::Function,
                    "return" => Tok::Return,
                    "if" => Tok::If,
                    "else" => Tok::Else,
                    "true" => Tok::True,
                    "false" => Tok::False,
                    _ => Tok::Ident,
                }
            }
            _ => {
                let two = b.get(i + 1).copied();
                let (tok, n) = match (c, two) {
                    (b'|', Some(b'|')) => (Tok::Bin(BinaryOperator::Or), 2),
                    (b'&', Some(b'&')) => (Tok::Bin(BinaryOperator::And), 2),
                    (b'=', Some(b'=')) => (Tok::Bin(BinaryOperator::Eq), 2),
                    (b'!', Some(b'=')) => (Tok::Bin(BinaryOperator::Ne), 2),
                    (b'<', Some(b'=')) => (Tok::Bin(BinaryOperator::Le), 2),
                    (b'>', Some(b'=')) => (Tok::Bin(BinaryOperator::Ge), 2),
                    (b'=', Some(b'>')) => (Tok::Arrow, 2),
                    (b'<', _) => (Tok::Bin(BinaryOperator::Lt), 1),
                    (b'>', _) => (Tok::Bin(BinaryOperator::Gt), 1),
                    (b'+', _) => (Tok::Bin(BinaryOperator::Add), 1),
                    (b'-', _) => (Tok::Bin(BinaryOperator::Sub), 1),
                    (b'*', _) => (Tok::Bin(BinaryOperator::Mul), 1),
                    (b'/', _) => (Tok::Bin(BinaryOperator::Div), 1),
                    (b'%', _) => (Tok::Bin(BinaryOperator::Rem), 1),
                    (b'=', _) => (Tok::Assign, 1),
                    (b'!', _) => (Tok::Bang, 1),
                    (b'(', _) => (Tok::LParen, 1),
                    (b')', _) => (Tok::RParen, 1),
                    (b'{', _) => (Tok::LBrace, 1),
                    (b'}', _) => (Tok::RBrace, 1),
                    (b'[', _) => (Tok::LBracket, 1),
                    (b']', _) => (Tok::RBracket, 1),
                    (b',', _) => (Tok::Comma, 1),
                    (b';', _) => (Tok::Semi, 1),
                    (b'.', _) => (Tok::Dot, 1),
                    _ => {
                        let ch = src[i..].chars().next().unwrap_or('?');
                        return syntax(i as u32, format!("unexpected character {ch:?}"));
                    }
                };
                i += n;
                tok
            }
        };
        out.push(Token {
            tok,
            start: start as u32,
            end: i as u32,
        });
    }
    let end = b.len() as u32;
    out.push(Token {
        tok: Tok::Eof,
        start: end,
        end,
    });
    Ok(())
}

fn precedence(op: BinaryOperator) -> u8 {
    use BinaryOperator::*;
    match op {
        Or => 1,
        And => 2,
        Eq | Ne => 3,
        Lt | Le | Gt | Ge => 4,
        Add | Sub => 5,
        Mul | Div | Rem => 6,
    }
}

struct Parser<'a, 's> {
    src: &'s str,
    toks: &'s [Token],
    pos: usize,
    block: &'a FixedSizeAllocator,
    text: &'s mut String,
    depth: u32,
}

/// Parse `src` into `block`; the `Program` is the last thing allocated.
pub fn parse<'a>(
    src: &str,
    block: &'a FixedSizeAllocator,
    scratch: &mut Scratch,
) -> Result<ArenaBox<'a, Program<'a>>> {
    lex(src, &mut scratch.tokens)?;
    let mut p = Parser {
        src,
        toks: &scratch.tokens,
        pos: 0,
        block,
        text: &mut scratch.text,
        depth: 0,
    };
    let mut body = ArenaVec::try_new_in(block)?;
    while p.peek() != Tok::Eof {
        body.try_push(p.statement()?)?;
    }
    let program = Program {
        body,
        span: Span {
            start: 0,
            end: src.len() as u32,
        },
    };
    Ok(ArenaBox::try_new_in(program, block)?)
}

impl<'a> Parser<'a, '_> {
    fn peek(&self) -> Tok {
        self.toks[self.pos].tok
    }

    fn peek_at(&self, k: usize) -> Tok {
        self.toks[(self.pos + k).min(self.toks.len() - 1)].tok
    }

    fn start(&self) -> u32 {
        self.toks[self.pos].start
    }

    /// End of the last token taken.
    fn end(&self) -> u32 {
        if self.pos == 0 {
            0
        } else {
            self.toks[self.pos - 1].end
        }
    }

    fn next(&mut self) -> Token {
        let t = self.toks[self.pos];
        if t.tok != Tok::Eof {
            self.pos += 1;
        }
        t
    }

    fn eat(&mut self, tok: Tok) -> bool {
        if self.peek() == tok {
            self.next();
            true
        } else {
            false
        }
    }

    fn expect(&mut self, tok: Tok, what: &str) -> Result<Token> {
        if self.peek() == tok {
            return Ok(self.next());
        }
        let t = self.toks[self.pos];
        let found = if t.tok == Tok::Eof {
            "the end of the source".to_owned()
        } else {
            format!("'{}'", &self.src[t.start as usize..t.end as usize])
        };
        syntax(t.start, format!("expected {what}, found {found}"))
    }

    fn span(&self, start: u32) -> Span {
        Span {
            start,
            end: self.end(),
        }
    }

    fn nest(&mut self) -> Result<()> {
        self.depth += 1;
        if self.depth > MAX_NESTING {
            return syntax(self.start(), format!("nested more than {MAX_NESTING} deep"));
        }
        Ok(())
    }

    fn bx<T>(&self, v: T) -> Result<ArenaBox<'a, T>> {
        Ok(ArenaBox::try_new_in(v, self.block)?)
    }

    fn str(&self, s: &str) -> Result<ArenaStr<'a>> {
        Ok(ArenaStr::try_new_in(s, self.block)?)
    }

    fn identifier(&mut self) -> Result<Identifier<'a>> {
        let t = self.expect(Tok::Ident, "a name")?;
        Ok(Identifier {
            name: self.str(&self.src[t.start as usize..t.end as usize])?,
            span: Span {
                start: t.start,
                end: t.end,
            },
        })
    }

    fn statement(&mut self) -> Result<Statement<'a>> {
        self.nest()?;
        let s = self.statement_inner();
        self.depth -= 1;
        s
    }

    fn statement_inner(&mut self) -> Result<Statement<'a>> {
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

    fn block_statement(&mut self) -> Result<BlockStatement<'a>> {
        let start = self.start();
        self.expect(Tok::LBrace, "'{'")?;
        let mut body = ArenaVec::try_new_in(self.block)?;
        while !matches!(self.peek(), Tok::RBrace | Tok::Eof) {
            body.try_push(self.statement()?)?;
        }
        self.expect(Tok::RBrace, "'}'")?;
        Ok(BlockStatement {
            body,
            span: self.span(start),
        })
    }

    /// `( IDENT, ... )`.
    fn params(&mut self) -> Result<ArenaSlice<'a, Identifier<'a>>> {
        self.expect(Tok::LParen, "'('")?;
        let mut params = ArenaVec::try_new_in(self.block)?;
        while self.peek() != Tok::RParen {
            params.try_push(self.identifier()?)?;
            if !self.eat(Tok::Comma) {
                break;
            }
        }
        self.expect(Tok::RParen, "')'")?;
        Ok(params.into_slice())
    }

    fn expression(&mut self) -> Result<Expression<'a>> {
        self.nest()?;
        let e = self.binary(1);
        self.depth -= 1;
        e
    }

    /// Operators of precedence `min` and tighter, left-associative.
    fn binary(&mut self, min: u8) -> Result<Expression<'a>> {
        let start = self.start();
        let mut left = self.unary()?;
        while let Tok::Bin(operator) = self.peek() {
            let prec = precedence(operator);
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

    fn unary(&mut self) -> Result<Expression<'a>> {
        let start = self.start();
        let operator = match self.peek() {
            Tok::Bin(BinaryOperator::Sub) => UnaryOperator::Minus,
            Tok::Bin(BinaryOperator::Add) => UnaryOperator::Plus,
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

    fn postfix(&mut self) -> Result<Expression<'a>> {
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
    fn list(&mut self, close: Tok, what: &str) -> Result<ArenaVec<'a, Expression<'a>>> {
        let mut out = ArenaVec::try_new_in(self.block)?;
        while self.peek() != close {
            out.try_push(self.expression()?)?;
            if !self.eat(Tok::Comma) {
                break;
            }
        }
        self.expect(close, what)?;
        Ok(out)
    }

    /// Whether the tokens from here are `( IDENT, ... ) =>` or `IDENT =>`.
    fn at_arrow(&self) -> bool {
        if self.peek() == Tok::Ident {
            return self.peek_at(1) == Tok::Arrow;
        }
        let mut k = 1;
        loop {
            match self.peek_at(k) {
                Tok::RParen => return self.peek_at(k + 1) == Tok::Arrow,
                Tok::Ident => {}
                _ => return false,
            }
            k += 1;
            match self.peek_at(k) {
                Tok::Comma => k += 1,
                Tok::RParen => return self.peek_at(k + 1) == Tok::Arrow,
                _ => return false,
            }
        }
    }

    fn primary(&mut self) -> Result<Expression<'a>> {
        let start = self.start();
        let t = self.toks[self.pos];
        let text = &self.src[t.start as usize..t.end as usize];
        let span = Span {
            start: t.start,
            end: t.end,
        };
        Ok(match t.tok {
            Tok::Num => {
                self.next();
                let value = text
                    .parse::<f64>()
                    .or_else(|_| syntax(t.start, "bad number"))?;
                Expression::NumericLiteral(self.bx(NumericLiteral { value, span })?)
            }
            Tok::Str => {
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
            Tok::Ident | Tok::LParen if self.at_arrow() => {
                let params = if t.tok == Tok::Ident {
                    let id = self.identifier()?;
                    let mut v = ArenaVec::try_new_in(self.block)?;
                    v.try_push(id)?;
                    v.into_slice()
                } else {
                    self.params()?
                };
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
                Expression::ArrowFunctionExpression(self.bx(ArrowFunctionExpression {
                    params,
                    body,
                    expression,
                    span,
                })?)
            }
            Tok::Ident => Expression::Identifier({
                let v = self.identifier()?;
                self.bx(v)?
            }),
            Tok::LBracket => {
                self.next();
                let elements = self.list(Tok::RBracket, "']'")?;
                Expression::ArrayExpression(self.bx(ArrayExpression {
                    elements,
                    span: self.span(start),
                })?)
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
            _ => {
                self.expect(Tok::Ident, "an expression")?;
                unreachable!("expect fails on anything but a name")
            }
        })
    }

    /// The value of the string literal `t`, its escapes resolved, in the block.
    fn unescape(&mut self, t: Token) -> Result<ArenaStr<'a>> {
        let inner = &self.src[t.start as usize + 1..t.end as usize - 1];
        if !inner.contains('\\') {
            return self.str(inner);
        }
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
                    return syntax(
                        at,
                        "unknown escape (\\n \\t \\r \\0 \\\\ \\' \\\" are known)",
                    );
                }
            }
        }
        Ok(ArenaStr::try_new_in(self.text, self.block)?)
    }
}
