//! The type graph the generator works from: every type reachable from the roots with its JS
//! name (a derived type's own, a made-up one for the structural types), and the visitor's node
//! kinds with, per type, the node kinds it can reach. What it checks before anything is
//! written is in `check.rs`.

use std::collections::HashMap;

use super::LayoutJsError;
use crate::layout::layout_hash;
use crate::layout::shape::{Field, Kind, Shape, ShapeFn, VariantForm};

/// One type of the graph.
pub(super) struct Ty {
    pub shape: &'static Shape,
    /// A JS identifier, unique in the module: a derived type's name, or `$Box_Expr`-like for
    /// the structural ones.
    pub ident: String,
}

/// Every type reachable from the roots, and the visitor's node kinds.
pub(super) struct Graph {
    pub types: Vec<Ty>,
    pub by_key: HashMap<String, usize>,
    pub roots: Vec<usize>,
    /// Node kinds of the visitor: (JS type name, the classes that are nodes of that name).
    pub nodes: Vec<(String, Vec<String>)>,
    /// For each type, the node kinds (indices into `nodes`) it can reach, itself included.
    pub reach: Vec<Vec<usize>>,
    /// The layout hash of each root.
    pub hashes: Vec<u64>,
    /// Whether i8, i16, f32 views are needed.
    pub views: (bool, bool, bool),
}

/// The identity of a shape: a derived type by module and name, the others by structure.
fn key(s: &'static Shape) -> String {
    match &s.kind {
        Kind::Struct(_) | Kind::Enum(_) => format!("{}::{}", s.module, s.name),
        Kind::Int { .. } | Kind::Float { .. } | Kind::Bool | Kind::Str => s.name.to_owned(),
        Kind::Array { elem, len } => format!("[{}; {len}]", key(elem())),
        Kind::Option { some, .. } => format!("Option<{}>", key(some())),
        Kind::Box { target } => format!("Box<{}>", key(target())),
        Kind::Slice { elem } => format!("Slice<{}>", key(elem())),
        Kind::Vec { elem } => format!("Vec<{}>", key(elem())),
    }
}

/// A readable name of a shape: `key` without module paths (`Slice<Stmt>`).
pub(super) fn label(s: &'static Shape) -> String {
    match &s.kind {
        Kind::Struct(_)
        | Kind::Enum(_)
        | Kind::Int { .. }
        | Kind::Float { .. }
        | Kind::Bool
        | Kind::Str => s.name.to_owned(),
        Kind::Array { elem, len } => format!("[{}; {len}]", label(elem())),
        Kind::Option { some, .. } => format!("Option<{}>", label(some())),
        Kind::Box { target } => format!("Box<{}>", label(target())),
        Kind::Slice { elem } => format!("Slice<{}>", label(elem())),
        Kind::Vec { elem } => format!("Vec<{}>", label(elem())),
    }
}

/// A JS identifier from any string.
pub(super) fn sanitize(s: &str) -> String {
    let mut out: String = s
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '$' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if out.is_empty() || out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert(0, '_');
    }
    out
}

/// The children of a shape (the shapes of its parts).
fn children(s: &'static Shape) -> Vec<&'static Shape> {
    match &s.kind {
        Kind::Int { .. } | Kind::Float { .. } | Kind::Bool | Kind::Str => Vec::new(),
        Kind::Array { elem, .. } | Kind::Slice { elem } | Kind::Vec { elem } => vec![elem()],
        Kind::Option { some, .. } => vec![some()],
        Kind::Box { target } => vec![target()],
        Kind::Struct(st) => st.fields.iter().map(|f| (f.shape)()).collect(),
        Kind::Enum(en) => en
            .variants
            .iter()
            .flat_map(|v| v.fields.iter().map(|f| (f.shape)()))
            .collect(),
    }
}

/// The struct a newtype variant is transparent over (inline or boxed), if any.
pub(super) fn transparent(
    form: VariantForm,
    fields: &'static [Field],
) -> Option<(&'static Shape, bool)> {
    if form != VariantForm::Newtype {
        return None;
    }
    let s = (fields[0].shape)();
    match &s.kind {
        Kind::Struct(_) => Some((s, false)),
        Kind::Box { target } if matches!(target().kind, Kind::Struct(_)) => Some((target(), true)),
        _ => None,
    }
}

impl Graph {
    pub(super) fn build(roots: &[ShapeFn]) -> Result<Self, LayoutJsError> {
        let mut g = Graph {
            types: Vec::new(),
            by_key: HashMap::new(),
            roots: Vec::new(),
            nodes: Vec::new(),
            reach: Vec::new(),
            hashes: Vec::new(),
            views: (false, false, false),
        };
        let mut names: HashMap<String, String> = HashMap::new();
        let mut queue: Vec<&'static Shape> = Vec::new();
        for r in roots {
            let s = r();
            if !s.is_named() {
                return Err(LayoutJsError::Unsupported(format!(
                    "a root must be a #[derive(Layout)] type, not `{}`",
                    key(s)
                )));
            }
            let id = g.add(s, &mut names, &mut queue)?;
            g.roots.push(id);
            g.hashes.push(layout_hash(s));
        }
        while let Some(s) = queue.pop() {
            for c in children(s) {
                g.add(c, &mut names, &mut queue)?;
            }
        }
        g.check()?;
        g.nodes_and_reach();
        Ok(g)
    }

    fn add(
        &mut self,
        s: &'static Shape,
        names: &mut HashMap<String, String>,
        queue: &mut Vec<&'static Shape>,
    ) -> Result<usize, LayoutJsError> {
        let k = key(s);
        if let Some(&id) = self.by_key.get(&k) {
            return Ok(id);
        }
        let ident = if s.is_named() {
            let ident = sanitize(s.name);
            if let Some(other) = names.insert(ident.clone(), k.clone()) {
                return Err(LayoutJsError::Unsupported(format!(
                    "two types have the JS name `{ident}` ({other} and {k}): rename one with #[layout(rename = \"...\")]"
                )));
            }
            ident
        } else {
            let l = label(s);
            let mut ident = format!(
                "${}",
                sanitize(
                    &l.replace("; ", "x")
                        .replace(['<', '['], "_")
                        .replace(['>', ']'], "")
                )
            );
            // Two structural types of one label (a derived type named like a structural one):
            // tell them apart by number.
            if names.contains_key(&ident) {
                ident = format!("{ident}_{}", self.types.len());
            }
            names.insert(ident.clone(), k.clone());
            ident
        };
        match s.kind {
            Kind::Int {
                bytes: 1,
                signed: true,
            } => self.views.0 = true,
            Kind::Int {
                bytes: 2,
                signed: true,
            } => self.views.1 = true,
            Kind::Float { bytes: 4 } => self.views.2 = true,
            _ => {}
        }
        let id = self.types.len();
        self.types.push(Ty { shape: s, ident });
        self.by_key.insert(k, id);
        queue.push(s);
        Ok(id)
    }

    pub fn id(&self, s: &'static Shape) -> usize {
        self.by_key[&key(s)]
    }

    pub fn ty(&self, s: &'static Shape) -> &Ty {
        &self.types[self.id(s)]
    }

    /// Node kinds and, per type, which it can reach (a fixpoint over the graph, which may
    /// have cycles through boxes).
    fn nodes_and_reach(&mut self) {
        let mut index: HashMap<String, usize> = HashMap::new();
        let mut own: Vec<Vec<usize>> = vec![Vec::new(); self.types.len()];
        let mut node =
            |name: &str, class: String, nodes: &mut Vec<(String, Vec<String>)>| -> usize {
                let i = *index.entry(name.to_owned()).or_insert_with(|| {
                    nodes.push((name.to_owned(), Vec::new()));
                    nodes.len() - 1
                });
                if !nodes[i].1.contains(&class) {
                    nodes[i].1.push(class);
                }
                i
            };
        let mut nodes = Vec::new();
        // A struct is a node wherever it is not the payload of a transparent variant; reaching
        // it through one makes the variant the node. Both are listed: a struct may be reached
        // both ways.
        for (id, t) in self.types.iter().enumerate() {
            match &t.shape.kind {
                Kind::Struct(_) => own[id].push(node(t.shape.name, t.ident.clone(), &mut nodes)),
                Kind::Enum(en) if !en.fieldless => {
                    for v in en.variants {
                        let class = format!("{}${}", t.ident, sanitize(v.name));
                        own[id].push(node(v.js_name, class, &mut nodes));
                    }
                }
                _ => {}
            }
        }
        self.nodes = nodes;
        // reach(t) = own(t) ∪ reach(children), except that a transparent variant's payload
        // struct is not itself a node there: its reach is the struct's children's.
        let mut reach: Vec<Vec<usize>> = own.clone();
        let edges: Vec<Vec<usize>> = self
            .types
            .iter()
            .map(|t| {
                let mut out = Vec::new();
                if let Kind::Enum(en) = &t.shape.kind {
                    for v in en.variants {
                        if let Some((s, _)) = transparent(v.form, v.fields) {
                            out.extend(children(s).into_iter().map(|c| self.id(c)));
                        } else {
                            out.extend(v.fields.iter().map(|f| self.id((f.shape)())));
                        }
                    }
                } else {
                    out.extend(children(t.shape).into_iter().map(|c| self.id(c)));
                }
                out
            })
            .collect();
        loop {
            let mut changed = false;
            for id in 0..self.types.len() {
                for &c in &edges[id] {
                    let add: Vec<usize> = reach[c]
                        .iter()
                        .copied()
                        .filter(|k| !reach[id].contains(k))
                        .collect();
                    if !add.is_empty() {
                        reach[id].extend(add);
                        changed = true;
                    }
                }
            }
            if !changed {
                break;
            }
        }
        for r in &mut reach {
            r.sort_unstable();
        }
        self.reach = reach;
    }

    /// The names the module exports (for the ESM re-export).
    pub fn exports(&self) -> Vec<String> {
        let mut out = vec![
            "LAYOUT_HASHES".to_owned(),
            "NODE_TYPES".to_owned(),
            "LayoutMismatchError".to_owned(),
            "toJS".to_owned(),
            "visit".to_owned(),
            "release".to_owned(),
        ];
        for &r in &self.roots {
            out.push(format!("read{}", self.types[r].ident));
        }
        for t in &self.types {
            match &t.shape.kind {
                Kind::Struct(_) => out.push(t.ident.clone()),
                Kind::Enum(en) if !en.fieldless => {
                    for v in en.variants {
                        out.push(format!("{}${}", t.ident, sanitize(v.name)));
                    }
                }
                _ => {}
            }
        }
        out
    }
}
