'use strict'
// One walk of every node that works on both forms of a Program: the generated lazy view and
// plain objects (toJS(), JSON.parse of the serde JSON, napi-rs objects), which have the same
// field names. Lists are read with `length` and `at(i)` (the lazy lists have no `[i]`).
// Counts nodes and calls, and sums what a plugin would read (names, string lengths, numbers, operators).

function walkProgram(program) {
  const acc = { nodes: 1, calls: 0, chars: 0, sum: 0 }
  statements(program.body, acc)
  return acc
}

function statements(list, acc) {
  for (let i = 0, n = list.length; i < n; i++) statement(list.at(i), acc)
}

function expressions(list, acc) {
  for (let i = 0, n = list.length; i < n; i++) expression(list.at(i), acc)
}

function identifiers(list, acc) {
  for (let i = 0, n = list.length; i < n; i++) {
    acc.nodes++
    acc.chars += list.at(i).name.length
  }
}

function statement(s, acc) {
  acc.nodes++
  switch (s.type) {
    case 'VariableDeclaration': {
      acc.chars += s.kind.length + s.id.name.length
      acc.nodes++
      const init = s.init
      if (init !== null) expression(init, acc)
      break
    }
    case 'FunctionDeclaration':
      acc.nodes += 2
      acc.chars += s.id.name.length
      identifiers(s.params, acc)
      statements(s.body.body, acc)
      break
    case 'ReturnStatement': {
      const arg = s.argument
      if (arg !== null) expression(arg, acc)
      break
    }
    case 'IfStatement': {
      expression(s.test, acc)
      statement(s.consequent, acc)
      const alt = s.alternate
      if (alt !== null) statement(alt, acc)
      break
    }
    case 'BlockStatement':
      statements(s.body, acc)
      break
    case 'ExpressionStatement':
      expression(s.expression, acc)
      break
    default:
      throw new Error(`unknown statement ${s.type}`)
  }
}

function expression(e, acc) {
  acc.nodes++
  switch (e.type) {
    case 'Identifier':
      acc.chars += e.name.length
      break
    case 'NumericLiteral':
      acc.sum += e.value
      break
    case 'StringLiteral':
      acc.chars += e.value.length
      break
    case 'BooleanLiteral':
      if (e.value) acc.sum++
      break
    case 'ArrayExpression':
      expressions(e.elements, acc)
      break
    case 'UnaryExpression':
      acc.chars += e.operator.length
      expression(e.argument, acc)
      break
    case 'BinaryExpression':
      acc.chars += e.operator.length
      expression(e.left, acc)
      expression(e.right, acc)
      break
    case 'CallExpression':
      acc.calls++
      expression(e.callee, acc)
      expressions(e.arguments, acc)
      break
    case 'MemberExpression':
      expression(e.object, acc)
      expression(e.property, acc)
      if (e.computed) acc.sum++
      break
    case 'FunctionExpression': {
      const id = e.id
      if (id !== null) {
        acc.nodes++
        acc.chars += id.name.length
      }
      identifiers(e.params, acc)
      acc.nodes++
      statements(e.body.body, acc)
      break
    }
    case 'ArrowFunctionExpression': {
      identifiers(e.params, acc)
      const body = e.body
      if (e.expression) acc.sum++
      // A block body: a BlockStatement view, or (plain objects) the struct with no `type`.
      if (body.type === 'BlockStatement' || body.type === undefined) {
        acc.nodes++
        statements(body.body, acc)
      } else {
        // The lazy view wraps an untagged newtype variant ({ type: 'Expression', value });
        // serde and toJS() write the expression itself.
        expression(body.type === 'Expression' ? body.value : body, acc)
      }
      break
    }
    default:
      throw new Error(`unknown expression ${e.type}`)
  }
}

module.exports = { walkProgram }
