//! How deep an AST is, found without recursion: the two baseline converters of `lib.rs`
//! (`serde_json` and napi-rs's `Env::to_js_value`) recurse once or more per level, and the
//! parser's nesting limit does not bound the depth of a left-associative chain (`1 + 1 +
//! … + 1` is as deep as it is long), so they check it first.

use crate::ast::*;

/// The deepest an AST may be for the baseline converters: with a few hundred bytes of native
/// stack per level, a fifth or less of a worker thread's 4 MiB.
pub const MAX_CONVERTED_HEIGHT: usize = 4096;

enum Node<'r, 'a> {
    Statement(&'r Statement<'a>),
    Expression(&'r Expression<'a>),
    Block(&'r BlockStatement<'a>),
}

/// The number of statements and expressions on the longest path from the root down.
pub fn height(program: &Program<'_>) -> usize {
    let mut stack: Vec<(Node<'_, '_>, usize)> = program
        .body
        .iter()
        .map(|s| (Node::Statement(s), 1))
        .collect();
    let mut deepest = 0;
    while let Some((node, depth)) = stack.pop() {
        deepest = deepest.max(depth);
        let below = depth + 1;
        match node {
            Node::Statement(s) => match s {
                Statement::VariableDeclaration(d) => {
                    if let Some(e) = &d.init {
                        stack.push((Node::Expression(e), below));
                    }
                }
                Statement::FunctionDeclaration(f) => stack.push((Node::Block(&f.body), below)),
                Statement::ReturnStatement(r) => {
                    if let Some(e) = &r.argument {
                        stack.push((Node::Expression(e), below));
                    }
                }
                Statement::IfStatement(i) => {
                    stack.push((Node::Expression(&i.test), below));
                    stack.push((Node::Statement(&i.consequent), below));
                    if let Some(s) = &i.alternate {
                        stack.push((Node::Statement(s), below));
                    }
                }
                Statement::BlockStatement(b) => stack.push((Node::Block(b), below)),
                Statement::ExpressionStatement(e) => {
                    stack.push((Node::Expression(&e.expression), below))
                }
            },
            Node::Block(b) => stack.extend(b.body.iter().map(|s| (Node::Statement(s), below))),
            Node::Expression(e) => match e {
                Expression::Identifier(_)
                | Expression::NumericLiteral(_)
                | Expression::StringLiteral(_)
                | Expression::BooleanLiteral(_) => {}
                Expression::ArrayExpression(a) => {
                    stack.extend(a.elements.iter().map(|e| (Node::Expression(e), below)))
                }
                Expression::UnaryExpression(u) => {
                    stack.push((Node::Expression(&u.argument), below))
                }
                Expression::BinaryExpression(b) => {
                    stack.push((Node::Expression(&b.left), below));
                    stack.push((Node::Expression(&b.right), below));
                }
                Expression::CallExpression(c) => {
                    stack.push((Node::Expression(&c.callee), below));
                    stack.extend(c.arguments.iter().map(|e| (Node::Expression(e), below)));
                }
                Expression::MemberExpression(m) => {
                    stack.push((Node::Expression(&m.object), below));
                    stack.push((Node::Expression(&m.property), below));
                }
                Expression::FunctionExpression(f) => stack.push((Node::Block(&f.body), below)),
                Expression::ArrowFunctionExpression(a) => match &a.body {
                    ArrowBody::BlockStatement(b) => stack.push((Node::Block(b), below)),
                    ArrowBody::Expression(e) => stack.push((Node::Expression(e), below)),
                },
            },
        }
    }
    deepest
}
