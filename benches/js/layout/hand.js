'use strict'
// A hand-written lazy reader of the benchmark AST (src/layout/tests/bench.rs), as a careful
// author writes one without the generator: a class per node type over module-level typed
// arrays, offsets typed in from the Rust layout, no checks (no bounds, no staleness, no
// layout hash). benches/js/layout.js checks that it reads what the generated reader reads.
let u8, u32, f64, buf

function str(p) {
  const q = u32[p >> 2]
  const n = u32[(p >> 2) + 2]
  if (n <= 16) {
    let s = ''
    for (let k = q, e = q + n; k < e; k++) {
      const c = u8[k]
      if (c >= 0x80) return buf.utf8Slice(q, q + n)
      s += String.fromCharCode(c)
    }
    return s
  }
  return buf.utf8Slice(q, q + n)
}

class Span {
  constructor(p) {
    this.p = p
  }
  get start() {
    return u32[this.p >> 2]
  }
  get end() {
    return u32[(this.p >> 2) + 1]
  }
}

class List {
  constructor(p, n, read, size) {
    this.p = p
    this.length = n
    this.read = read
    this.size = size
  }
  at(i) {
    return this.read(this.p + i * this.size)
  }
}

class Module {
  constructor(p) {
    this.p = p
  }
  get type() {
    return 'Module'
  }
  get body() {
    const p = this.p
    return new List(u32[p >> 2], u32[(p >> 2) + 2], statement, 16)
  }
  get span() {
    return new Span(this.p + 24)
  }
}

class VariableDeclaration {
  constructor(p) {
    this.p = p
  }
  get type() {
    return 'VariableDeclaration'
  }
  get id() {
    return new Identifier(this.p)
  }
  get init() {
    const p = this.p + 24
    return u8[p] === 7 ? null : expression(p)
  }
  get span() {
    return new Span(this.p + 40)
  }
}

class ExpressionStatement {
  constructor(p) {
    this.p = p
  }
  get type() {
    return 'ExpressionStatement'
  }
  get expression() {
    return expression(this.p)
  }
  get span() {
    return new Span(this.p + 16)
  }
}

function statement(p) {
  const q = u32[(p >> 2) + 2]
  return u8[p] === 0 ? new VariableDeclaration(q) : new ExpressionStatement(q)
}

class Identifier {
  constructor(p) {
    this.p = p
  }
  get type() {
    return 'Identifier'
  }
  get name() {
    return str(this.p)
  }
  get span() {
    return new Span(this.p + 16)
  }
}

class NumericLiteral {
  constructor(p) {
    this.p = p
  }
  get type() {
    return 'NumericLiteral'
  }
  get value() {
    return f64[this.p >> 3]
  }
  get span() {
    return new Span(this.p + 8)
  }
}

class StringLiteral {
  constructor(p) {
    this.p = p
  }
  get type() {
    return 'StringLiteral'
  }
  get value() {
    return str(this.p)
  }
  get span() {
    return new Span(this.p + 16)
  }
}

const UNARY = ['-', '!']
class UnaryExpression {
  constructor(p) {
    this.p = p
  }
  get type() {
    return 'UnaryExpression'
  }
  get operator() {
    return UNARY[u8[this.p]]
  }
  get argument() {
    return expression(this.p + 8)
  }
  get span() {
    return new Span(this.p + 24)
  }
}

const BINARY = ['+', '-', '*', '<']
class BinaryExpression {
  constructor(p) {
    this.p = p
  }
  get type() {
    return 'BinaryExpression'
  }
  get operator() {
    return BINARY[u8[this.p]]
  }
  get left() {
    return expression(this.p + 8)
  }
  get right() {
    return expression(this.p + 24)
  }
  get span() {
    return new Span(this.p + 40)
  }
}

class CallExpression {
  constructor(p) {
    this.p = p
  }
  get type() {
    return 'CallExpression'
  }
  get callee() {
    return expression(this.p)
  }
  get arguments() {
    const p = this.p + 16
    return new List(u32[p >> 2], u32[(p >> 2) + 2], expression, 16)
  }
  get span() {
    return new Span(this.p + 40)
  }
}

class MemberExpression {
  constructor(p) {
    this.p = p
  }
  get type() {
    return 'MemberExpression'
  }
  get object() {
    return expression(this.p)
  }
  get property() {
    return new Identifier(this.p + 16)
  }
  get span() {
    return new Span(this.p + 40)
  }
}

function expression(p) {
  const q = u32[(p >> 2) + 2]
  switch (u8[p]) {
    case 0:
      return new Identifier(q)
    case 1:
      return new NumericLiteral(q)
    case 2:
      return new StringLiteral(q)
    case 3:
      return new UnaryExpression(q)
    case 4:
      return new BinaryExpression(q)
    case 5:
      return new CallExpression(q)
    default:
      return new MemberExpression(q)
  }
}

/** The root of a block's RawBuffer. */
function readModule(raw) {
  u8 = raw.u8
  u32 = raw.u32
  f64 = raw.f64
  buf = raw.nodeBuffer
  return new Module(raw.dataOffset)
}

module.exports = { readModule }
