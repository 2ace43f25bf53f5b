//! The JS-facing methods every pool class and job class has, written once: an addon
//! declares its `#[napi]` struct and asks for them with [`pool_methods!`](crate::pool_methods)
//! and [`job_methods!`](crate::job_methods), then writes only what is its own (constructor,
//! `parse`, `startFiles`, ...). This package's own classes are made the same way.
//!
//! The macros expand to a `#[napi_derive::napi] impl` block, so the calling crate depends
//! on `napi` and `napi-derive` (every napi-rs addon does). Each method runs in
//! [`catch_panic_in`](crate::napi::catch_panic_in): panics are caught, and errors reach JS as
//! instances of `raw-transfer-reader`'s classes (`StaleBufferError`, ...) with `code` set.

/// Add the standard pool methods to a `#[napi]` struct with a field holding an
/// `Rc<`[`EnvPool`](crate::napi::EnvPool)`>`: `pool_methods!(MyPool.inner)`.
///
/// JS gets the getters `size`, `transferMode` (`'external'` or `'copy'`), `closed` and
/// `checkedOut`, and the methods `stats()` ([`NativePoolStats`](crate::napi::NativePoolStats)),
/// `release(id)` (`StaleBufferError` if the block is not out), `releaseMany(pairs:
/// Uint32Array)` (`[id, doc, …]`: a job's documents; those not held are skipped),
/// `resend(id)` (the block's buffer again, for a `BufferCache` that lost it: pass it as the
/// cache's `resend`) and
/// `close()`.
#[macro_export]
macro_rules! pool_methods {
    ($ty:ident . $field:ident) => {
        #[::napi_derive::napi]
        impl $ty {
            /// The most blocks the pool holds.
            #[napi(getter)]
            pub fn size(&self) -> u32 {
                self.$field.pool().size() as u32
            }

            /// `'external'` (zero-copy) or `'copy'` (the fallback), as decided.
            #[napi(getter)]
            pub fn transfer_mode(&self) -> &'static str {
                self.$field.transfer_mode().as_str()
            }

            /// Whether `close()` was called (or the environment is going away).
            #[napi(getter)]
            pub fn closed(&self) -> bool {
                self.$field.is_closed()
            }

            /// Blocks checked out to this environment (handed off, not yet released).
            #[napi(getter)]
            pub fn checked_out(&self) -> u32 {
                self.$field.checked_out() as u32
            }

            /// How many blocks the pool has made and lent, and the memory they hold.
            #[napi]
            pub fn stats(&self, env: ::napi::Env) -> ::napi::Result<$crate::napi::NativePoolStats> {
                $crate::napi::catch_panic_in(&env, || {
                    Ok($crate::napi::NativePoolStats::of(&self.$field))
                })
            }

            /// Return block `id` to the pool (`StaleBuffer` if it is not checked out here).
            #[napi]
            pub fn release(
                &self,
                env: ::napi::Env,
                id: $crate::napi::BlockId,
            ) -> ::napi::Result<()> {
                $crate::napi::catch_panic_in(&env, || Ok(self.$field.release(id.get()?)?))
            }

            /// Let go of documents, `[id, doc, id, doc, …]` (a job's items: a block holds
            /// several; it returns to the pool with its last). Documents not held are skipped.
            #[napi]
            pub fn release_many(
                &self,
                env: ::napi::Env,
                pairs: ::napi::bindgen_prelude::Uint32Array,
            ) -> ::napi::Result<()> {
                $crate::napi::catch_panic_in(&env, || Ok(self.$field.release_docs(&pairs)?))
            }

            /// Block `id`'s buffer again, for a JS cache that lost it.
            #[napi(ts_return_type = "ArrayBuffer")]
            pub fn resend(
                &self,
                env: ::napi::Env,
                id: $crate::napi::BlockId,
            ) -> ::napi::Result<$crate::napi::RawValue> {
                $crate::napi::catch_panic_in(&env, || Ok(self.$field.resend(id.get()?)?))
            }

            /// Free idle blocks and hand out no more; checked-out blocks stay readable
            /// until released (then freed), buffers JS holds until the GC collects them.
            #[napi]
            pub fn close(&self, env: ::napi::Env) -> ::napi::Result<()> {
                $crate::napi::catch_panic_in(&env, || {
                    self.$field.close();
                    Ok(())
                })
            }
        }
    };
}

/// Add the job methods `runJob` (from `raw-transfer/reader`) drives to a `#[napi]` struct
/// with a field holding a [`Job`](crate::napi::Job): `job_methods!(MyJob.job)`.
///
/// JS gets `take(released: Uint32Array | null)`, which returns the blocks JS is done with
/// and takes every finished item (a `JobBusyError` while an earlier take's promise is
/// pending), and `cancel()`, which stops starting new inputs and ends the job's
/// reservation of blocks.
#[macro_export]
macro_rules! job_methods {
    ($ty:ident . $field:ident) => {
        #[::napi_derive::napi]
        impl $ty {
            /// Let go of `released` (`[id, doc, …]` pairs of the documents JS is done with)
            /// and take every finished item.
            #[napi(ts_return_type = "import('raw-transfer-reader').NativeBatch")]
            pub fn take(
                &self,
                env: ::napi::Env,
                released: ::core::option::Option<::napi::bindgen_prelude::Uint32Array>,
            ) -> ::napi::Result<$crate::napi::Batch> {
                $crate::napi::catch_panic_in(&env, || {
                    let released: &[u32] = released.as_deref().unwrap_or(&[]);
                    Ok(self.$field.take(&env, released)?)
                })
            }

            /// Stop starting new inputs (finished ones can still be taken) and end the
            /// job's reservation of blocks (`runJob` calls it once the last plugin let go).
            #[napi]
            pub fn cancel(&self, env: ::napi::Env) -> ::napi::Result<()> {
                $crate::napi::catch_panic_in(&env, || {
                    self.$field.cancel();
                    Ok(())
                })
            }
        }
    };
}
