//! A small expression language parsed into an arena AST that JS reads zero-copy: raw_transfer's
//! typed layouts in a third-party napi-rs addon, on the crate's public API alone.
//!
//! - `ast.rs`: the AST types, `#[derive(Layout, Serialize)]`. Their JS reader, `toJS()`,
//!   visitor and TypeScript types are generated into `../generated/` by one `sync_js` call
//!   (the test below fails when those files are stale).
//! - `lexer.rs` and `parser.rs`: source → AST in a block; `parser_tests.rs` holds its output
//!   to digests the slower parser it replaced recorded (`test/fixtures/parser-golden/`).
//! - here: the napi classes. `AstPool` (the pool methods come from `pool_methods!`) parses on
//!   the JS thread or starts an `AstJob` over files on Rust threads (`job_methods!`); the
//!   hand-off record carries the root's offset and the layout's hash (`root_metadata`).
//!
//! No `unsafe` here.

pub mod ast;
mod height;
mod lexer;
pub mod parser;
#[cfg(test)]
mod parser_tests;

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::Arc;

use napi::bindgen_prelude::*;
use napi_derive::napi;
use raw_transfer::layout::{Layout, root_metadata};
use raw_transfer::napi::{
    EnvPool, ErrorCode, FastValue, Job, JobOptions, Position, ProduceError, Producer, Sent,
    Transfer, TransferError, Utf8String, Wait, catch_panic_in, fast_call, fast_release, load_file,
};
use raw_transfer::{ACTIVE_SIZE, FixedSizeAllocator, FixedSizeAllocatorPool, RawTransferMetadata};

use ast::Program;
use parser::{ParseError, Scratch};

/// The producer's own error code (JS: a `RawTransferError` with `code === 'AstSyntax'`,
/// `offset`, `line` and `column`).
pub const AST_SYNTAX: ErrorCode = ErrorCode::Other("AstSyntax");

/// Sources up to a quarter of a block: the AST of a source is about 4-6 times its size.
const MAX_SOURCE: u64 = (ACTIVE_SIZE / 4) as u64;

fn position(src: &[u8], offset: u32) -> Position {
    let before = &src[..(offset as usize).min(src.len())];
    let line_start = before
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |p| p + 1);
    Position {
        offset,
        line: before.iter().filter(|&&b| b == b'\n').count() as u32 + 1,
        column: (before.len() - line_start) as u32 + 1,
    }
}

fn parse_error(src: &[u8], e: ParseError) -> ProduceError {
    match e {
        ParseError::Syntax { offset, message } => {
            ProduceError::new(AST_SYNTAX, message).at(position(src, offset))
        }
        ParseError::Arena(e) => e.into(),
    }
}

/// Parse `text` into `block`: the Program, as a hand-off record (its offset and the layout hash).
fn build(
    text: &str,
    block: &FixedSizeAllocator,
    scratch: &mut Scratch,
) -> std::result::Result<RawTransferMetadata, ProduceError> {
    let program =
        parser::parse(text, block, scratch).map_err(|e| parse_error(text.as_bytes(), e))?;
    Ok(root_metadata(block, &*program)?)
}

/// A file's bytes as source text: an error at the first byte that is not UTF-8. (A string
/// from JS arrives as UTF-8 already, made valid by `Utf8String`.)
fn source_text(src: &[u8]) -> std::result::Result<&str, ProduceError> {
    std::str::from_utf8(src).map_err(|e| {
        ProduceError::new(AST_SYNTAX, "invalid UTF-8").at(position(src, e.valid_up_to() as u32))
    })
}

/// Parse `source` into a block of `pool` and hand it off.
fn parse_into(pool: &EnvPool, source: &str) -> std::result::Result<Sent, TransferError> {
    let block = pool.acquire(Wait::No)?;
    // On an error `block` drops here and goes back to the pool.
    let meta = SCRATCH
        .with_borrow_mut(|s| build(source, &block, s))
        .map_err(TransferError::from)?;
    pool.send(block, meta)
}

thread_local! {
    /// The JS thread's scratch (each worker thread is its own JS thread with its own).
    static SCRATCH: RefCell<Scratch> = RefCell::new(Scratch::default());
}

/// A pool of blocks for ASTs, bound to the calling JS environment.
#[napi]
pub struct AstPool {
    inner: Rc<EnvPool>,
}

#[napi]
impl AstPool {
    /// `size` blocks at most; `transfer`: 'auto' | 'external' | 'copy'.
    #[napi(constructor)]
    pub fn new(env: Env, size: u32, transfer: Option<String>) -> Result<Self> {
        catch_panic_in(&env, || {
            if !(1..=1024).contains(&size) {
                return Err(TransferError::invalid_argument(format!(
                    "size must be 1..=1024, got {size}"
                ))
                .into());
            }
            let transfer: Transfer = transfer.as_deref().unwrap_or("auto").parse()?;
            let pool = FixedSizeAllocatorPool::new(size as usize);
            Ok(Self {
                inner: EnvPool::new(&env, pool, transfer)?,
            })
        })
    }

    /// The layout hash the blocks carry (hex), as the generated reader's `LAYOUT_HASHES.Program`.
    #[napi(getter)]
    pub fn layout_hash(&self) -> String {
        format!("{:016x}", Program::layout_hash())
    }

    /// Parse `source` into a block: `{ id, generation, buffer }` (`buffer` null after the
    /// block's first hand-off to this environment); the Program is at the block's dataOffset.
    #[napi(ts_return_type = "{ id: number, generation: number, buffer: ArrayBuffer | null }")]
    pub fn parse(&self, env: Env, source: Utf8String) -> Result<Sent> {
        catch_panic_in(&env, || Ok(parse_into(&self.inner, &source)?))
    }

    /// `{ parse(source), release(id) }` as plain Node-API functions (`fast_call`): what JS calls
    /// once per source, without a `#[napi]` method's cost per call. `parse` returns the
    /// hand-off packed into one number when there is no buffer to send (`unpackSent` of
    /// raw-transfer-reader reads both forms).
    #[napi(
        ts_return_type = "{ parse(source: string): number | { id: number, generation: number, buffer: ArrayBuffer | null }; release(id: number): void }"
    )]
    pub fn fast_calls(&self, env: Env) -> Result<Object<'_>> {
        catch_panic_in(&env, || {
            let parse = fast_call(&env, c"parse", Rc::clone(&self.inner), |pool, args| {
                let source: Utf8String = args.get(0)?;
                Ok(FastValue::Sent(parse_into(pool, &source)?))
            })?;
            let mut calls = Object::new(&env)?;
            calls.set_named_property("parse", parse)?;
            calls.set_named_property("release", fast_release(&env, &self.inner)?)?;
            Ok(calls)
        })
    }

    /// The baseline of bench.js: the same AST, serialized by serde_json (what `toJS()`
    /// returns, as JSON text).
    #[napi]
    pub fn parse_to_json(&self, env: Env, source: Utf8String) -> Result<String> {
        catch_panic_in(&env, || {
            self.with_program(&source, |p| {
                serde_json::to_string(p).map_err(|e| TransferError::internal(e).into())
            })
        })
    }

    /// The other baseline: the same AST built as JS objects by napi-rs (`Env::to_js_value`,
    /// which sets each property with `napi_set_named_property`).
    #[napi(ts_return_type = "import('./generated/ast').ProgramJS")]
    pub fn parse_to_objects(&self, env: Env, source: Utf8String) -> Result<Unknown<'_>> {
        catch_panic_in(&env, || self.with_program(&source, |p| env.to_js_value(p)))
    }

    /// Parse files on `threads` Rust threads; drive the job with `runJob`.
    #[napi]
    pub fn start_files(&self, env: Env, paths: Vec<String>, threads: u32) -> Result<AstJob> {
        catch_panic_in(&env, || {
            let options = JobOptions {
                threads: threads as usize,
                max_blocks: None,
            };
            Ok(AstJob {
                job: Job::start(&self.inner, Arc::new(AstFiles), paths, options)?,
            })
        })
    }
}

// size, transferMode, closed, checkedOut, release(id), releaseMany([id, doc, ...]), resend(id), close().
raw_transfer::pool_methods!(AstPool.inner);

impl AstPool {
    /// Parse `source` into a block of the pool that never leaves Rust, and call `f` on it.
    /// Parse `source` and hand the Program to one of the baseline converters, which recurse
    /// per level: a tree deeper than they can take is refused instead (see `height.rs`).
    fn with_program<R>(&self, source: &str, f: impl FnOnce(&Program) -> Result<R>) -> Result<R> {
        let block = self.inner.acquire(Wait::No)?;
        SCRATCH.with_borrow_mut(|s| {
            let program = parser::parse(source, &block, s)
                .map_err(|e| TransferError::from(parse_error(source.as_bytes(), e)))?;
            let h = height::height(&program);
            if h > height::MAX_CONVERTED_HEIGHT {
                return Err(TransferError::invalid_argument(format!(
                    "the AST is {h} levels deep: parseToJson and parseToObjects convert at most {} \
                     (a chain of binary operators is as deep as it is long); parse() and the \
                     generated reader take any depth",
                    height::MAX_CONVERTED_HEIGHT
                ))
                .into());
            }
            f(&program)
        })
    }
}

/// The job's producer: files, read and parsed on the job's threads.
struct AstFiles;

impl Producer for AstFiles {
    type Input = String;
    type Loaded = Vec<u8>;
    type Worker = Scratch;

    fn worker(&self) -> Scratch {
        Scratch::default()
    }

    fn load(
        &self,
        _: &mut Scratch,
        path: &String,
    ) -> std::result::Result<(Vec<u8>, u64), ProduceError> {
        load_file(path, MAX_SOURCE)
    }

    fn build(
        &self,
        scratch: &mut Scratch,
        source: Vec<u8>,
        block: &FixedSizeAllocator,
    ) -> std::result::Result<RawTransferMetadata, ProduceError> {
        build(source_text(&source)?, block, scratch)
    }
}

/// A running `startFiles` job.
#[napi]
pub struct AstJob {
    job: Job,
}

// take(released) and cancel(): what runJob drives.
raw_transfer::job_methods!(AstJob.job);

#[cfg(test)]
mod tests {
    use raw_transfer::layout::{JsOptions, sync_js};

    use super::*;

    /// The JS reader in `generated/` is what the types above generate; regenerate it with
    /// `RAW_TRANSFER_WRITE_LAYOUT=1 cargo test --release` here.
    #[test]
    fn generated_reader_is_current() {
        let options = JsOptions {
            name: "ast".to_owned(),
            regenerate: "RAW_TRANSFER_WRITE_LAYOUT=1 cargo test --release (in examples/ast-addon)"
                .to_owned(),
            ..JsOptions::default()
        };
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/generated");
        if let Err(e) = sync_js::<Program>(dir, &options) {
            panic!("{e}");
        }
    }

    fn json(src: &str) -> serde_json::Value {
        let block = FixedSizeAllocator::new().unwrap();
        let program = parser::parse(src, &block, &mut Scratch::default()).unwrap();
        serde_json::to_value(&*program).unwrap()
    }

    fn error(src: &str) -> String {
        let block = FixedSizeAllocator::new().unwrap();
        match parser::parse(src, &block, &mut Scratch::default()) {
            Err(ParseError::Syntax { offset, message }) => format!("{offset}: {message}"),
            other => panic!("expected a syntax error, got {:?}", other.map(|_| ())),
        }
    }

    #[test]
    fn precedence_and_spans() {
        let v = json("x == 1;");
        assert_eq!(v["body"][0]["expression"]["operator"], "==");
        let v = json("let a = 1 + 2 * -b.c[d](e);");
        let init = &v["body"][0]["init"];
        assert_eq!(init["operator"], "+");
        assert_eq!(init["right"]["operator"], "*");
        assert_eq!(init["right"]["right"]["argument"]["type"], "CallExpression");
        assert_eq!(init["span"], serde_json::json!({ "start": 8, "end": 26 }));
        assert_eq!(
            v["body"][0]["span"],
            serde_json::json!({ "start": 0, "end": 27 })
        );
    }

    #[test]
    fn arrows_functions_strings() {
        let v = json("const f = (a, b) => a; g(x => { return 'it\\'s'; }, function () {});");
        assert_eq!(v["body"][0]["init"]["type"], "ArrowFunctionExpression");
        assert_eq!(v["body"][0]["init"]["expression"], true);
        let args = &v["body"][1]["expression"]["arguments"];
        assert_eq!(args[0]["body"]["body"][0]["argument"]["value"], "it's");
        assert_eq!(args[1]["id"], serde_json::Value::Null);
    }

    #[test]
    fn syntax_errors() {
        assert_eq!(error("let = 1;"), "4: expected a name, found '='");
        assert_eq!(error("f(;"), "2: expected an expression, found ';'");
        assert_eq!(error("'abc"), "0: unterminated string");
        let deep = format!("{}1{};", "(".repeat(300), ")".repeat(300));
        assert!(error(&deep).contains("nested more than"));
    }
}
