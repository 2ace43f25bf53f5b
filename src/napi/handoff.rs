//! The hand-off itself, in raw Node-API calls: wrap a block in an external `ArrayBuffer`
//! once per environment, or (copy fallback) keep a JS-allocated `ArrayBuffer` per block and
//! copy the used ranges into it.
//!
//! napi-rs's own external-buffer helpers are bypassed on purpose: when the runtime answers
//! `napi_no_external_buffers_allowed` they silently copy the whole length (2 GiB here) and
//! run the finalizer at once. We call `napi_create_external_arraybuffer` ourselves and turn
//! that status into the copy mode, which copies only what is used.

use std::ffi::c_void;
use std::ptr;

use napi::sys;

use std::sync::Arc;

use super::env::JsOwner;
use super::error::{ErrorCode, TransferError};
use crate::FixedSizeAllocator;
use crate::geometry::{BUFFER_SIZE, DATA_START};

/// Why a hand-off failed.
#[derive(Debug)]
pub enum HandOffError {
    /// The runtime forbids external buffers (e.g. Electron's V8 memory cage).
    ExternalForbidden,
    /// Any other Node-API failure.
    Status(&'static str, sys::napi_status),
    /// The copy-mode buffer was detached (transferred away) by JS.
    Detached,
    /// The OS would not commit a `BUFFER_SIZE` JS buffer (copy mode).
    OutOfMemory,
}

/// Finalizer of an external buffer over a block: drops the JS owner. Runs on a later turn
/// of the owning thread (Node) or on a background thread (Deno); it must not touch `env`.
unsafe extern "C" fn finalize_block(_env: sys::napi_env, _data: *mut c_void, hint: *mut c_void) {
    if hint.is_null() {
        return;
    }
    // SAFETY: `hint` is the `Arc<JsOwner>` reference leaked for this buffer in
    // `wrap_external`, reclaimed exactly once, here.
    let owner = unsafe { Arc::from_raw(hint.cast::<JsOwner>()) };
    // A panic must not unwind into V8 (an abort): at worst the block leaks.
    let _ = std::panic::catch_unwind(move || owner.release());
}

/// Create an external `ArrayBuffer` over `[base, base + len)` of `alloc`'s block,
/// owning one count of it. The count is held by the returned [`JsOwner`], which the
/// buffer's finalizer releases. The caller may simply drop the returned handle; keeping it
/// lets you call [`JsOwner::release`] at environment teardown (what this crate's pools do),
/// for runtimes that never finalize a torn-down environment's buffers (Deno workers).
/// Either way the count is dropped exactly once.
///
/// # Safety
/// `env` must be the Node-API environment of the calling thread, not torn down.
pub unsafe fn wrap_external(
    env: sys::napi_env,
    alloc: &FixedSizeAllocator,
    len: usize,
) -> Result<(sys::napi_value, Arc<JsOwner>), HandOffError> {
    debug_assert!(len <= BUFFER_SIZE);
    let len = len.min(BUFFER_SIZE);
    let meta = alloc.metadata_ptr();
    alloc.metadata().add_owner_for(len);
    let owner = JsOwner::new(meta);
    let hint = Arc::into_raw(Arc::clone(&owner));
    let mut value = ptr::null_mut();
    // SAFETY: `env` is the current environment (we are called from a JS call on its
    // thread); the data range is a prefix of the block's JS-visible buffer (`len <=
    // BUFFER_SIZE`), which stays mapped while the owner count we just added is held; the
    // finalizer releases exactly that count.
    let status = unsafe {
        sys::napi_create_external_arraybuffer(
            env,
            alloc.base_ptr().as_ptr().cast(),
            len,
            Some(finalize_block),
            hint.cast_mut().cast(),
            &mut value,
        )
    };
    if status == sys::Status::napi_ok {
        return Ok((value, owner));
    }
    // The buffer was not created, so its finalizer will never run: take back its reference
    // and the count. The allocator still holds its own, so this never frees the block.
    // SAFETY: `hint` came from `Arc::into_raw` above and was not handed to anyone.
    drop(unsafe { Arc::from_raw(hint) });
    owner.release();
    if status == sys::Status::napi_no_external_buffers_allowed {
        Err(HandOffError::ExternalForbidden)
    } else {
        Err(HandOffError::Status(
            "napi_create_external_arraybuffer",
            status,
        ))
    }
}

/// Whether this runtime allows external buffers: wrap a small heap buffer of our own.
///
/// # Safety
/// `env` must be the Node-API environment of the calling thread, not torn down.
pub unsafe fn external_buffers_allowed(env: sys::napi_env) -> bool {
    unsafe extern "C" fn free_probe(_env: sys::napi_env, data: *mut c_void, _hint: *mut c_void) {
        // SAFETY: `data` is the `Box<[u8; 16]>` leaked in `external_buffers_allowed`, freed
        // once by this finalizer.
        drop(unsafe { Box::from_raw(data.cast::<[u8; 16]>()) });
    }
    let data = Box::into_raw(Box::new([0u8; 16]));
    let mut value = ptr::null_mut();
    // SAFETY: `data` is a live 16-byte allocation that only the finalizer frees.
    let status = unsafe {
        sys::napi_create_external_arraybuffer(
            env,
            data.cast(),
            16,
            Some(free_probe),
            ptr::null_mut(),
            &mut value,
        )
    };
    if status == sys::Status::napi_ok {
        return true;
    }
    // SAFETY: no buffer was created, so the finalizer will not run; we still own `data`.
    drop(unsafe { Box::from_raw(data) });
    false
}

/// A JS-allocated `ArrayBuffer` of `len` bytes (a prefix of the block), held by a strong
/// reference, into which the copy mode copies used ranges at their block offsets.
pub struct CopyTarget {
    reference: sys::napi_ref,
    len: usize,
}

impl CopyTarget {
    /// Allocate the buffer (V8 zero-fills it lazily: untouched pages cost nothing).
    ///
    /// # Safety
    /// `env` must be the Node-API environment of the calling thread, not torn down.
    pub unsafe fn new(
        env: sys::napi_env,
        len: usize,
    ) -> Result<(Self, sys::napi_value), HandOffError> {
        let len = len.min(BUFFER_SIZE);
        // V8 aborts the process when the backing store cannot be allocated (e.g. under
        // `vm.overcommit_memory=2`): check first that the OS would give us the memory.
        if !can_commit(len) {
            return Err(HandOffError::OutOfMemory);
        }
        let mut data = ptr::null_mut();
        let mut value = ptr::null_mut();
        // SAFETY: plain Node-API calls on the current environment with valid out-pointers.
        unsafe {
            check(
                sys::napi_create_arraybuffer(env, len, &mut data, &mut value),
                "napi_create_arraybuffer",
            )?;
            let mut reference = ptr::null_mut();
            check(
                sys::napi_create_reference(env, value, 1, &mut reference),
                "napi_create_reference",
            )?;
            Ok((Self { reference, len }, value))
        }
    }

    /// The buffer's length.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Copy the hand-off record and `[from, to)` of the block into the JS buffer at the same
    /// offsets (`to` at most the buffer's length).
    ///
    /// # Safety
    /// `env` must be the environment this target was made in, current on the calling
    /// thread and not torn down.
    pub unsafe fn sync(
        &self,
        env: sys::napi_env,
        alloc: &FixedSizeAllocator,
        from: usize,
        to: usize,
    ) -> Result<(), HandOffError> {
        debug_assert!(from <= to && to <= self.len);
        let to = to.min(self.len);
        let from = from.min(to);
        let mut value = ptr::null_mut();
        let mut data = ptr::null_mut();
        let mut len = 0usize;
        // SAFETY: `reference` is a live strong reference created on this environment.
        unsafe {
            check(
                sys::napi_get_reference_value(env, self.reference, &mut value),
                "napi_get_reference_value",
            )?;
            check(
                sys::napi_get_arraybuffer_info(env, value, &mut data, &mut len),
                "napi_get_arraybuffer_info",
            )?;
        }
        if len != self.len || data.is_null() {
            return Err(HandOffError::Detached);
        }
        let base = alloc.base_ptr().as_ptr();
        // Both ranges are inside both buffers (`to <= self.len`, the JS buffer's length,
        // and `self.len <= BUFFER_SIZE`; the record is `[0, DATA_START)`, committed once it
        // was written); we are on the JS thread, so JS cannot run.
        // SAFETY: in-bounds ranges of committed block memory owned by `alloc` and of a
        // distinct JS-owned allocation, so valid and non-overlapping.
        unsafe {
            let dst = data.cast::<u8>();
            ptr::copy_nonoverlapping(base, dst, DATA_START.min(self.len));
            let from = from.max(DATA_START);
            if from < to {
                ptr::copy_nonoverlapping(base.add(from), dst.add(from), to - from);
            }
        }
        Ok(())
    }

    /// The buffer (detached if JS transferred it away).
    ///
    /// # Safety
    /// `env` must be the environment this target was made in, current on the calling
    /// thread and not torn down.
    pub unsafe fn value(&self, env: sys::napi_env) -> Result<sys::napi_value, HandOffError> {
        let mut value = ptr::null_mut();
        // SAFETY: `reference` is a live strong reference created on this environment.
        let status = unsafe { sys::napi_get_reference_value(env, self.reference, &mut value) };
        check(status, "napi_get_reference_value")?;
        Ok(value)
    }

    /// Drop the strong reference (the JS cache may still hold the buffer).
    ///
    /// # Safety
    /// `env` must be the environment this target was made in, current on the calling
    /// thread and not torn down.
    pub unsafe fn delete(self, env: sys::napi_env) {
        // SAFETY: the reference was created on `env`, which is current, and is deleted once.
        unsafe { sys::napi_delete_reference(env, self.reference) };
    }
}

/// Whether the OS would commit `len` bytes of private memory now: map them read/write and
/// unmap them at once. Asked before V8 is asked for a large buffer, since V8 aborts the
/// process when such an allocation fails instead of reporting it.
#[cfg(unix)]
fn can_commit(len: usize) -> bool {
    // SAFETY: a fresh anonymous mapping of our own, never touched, unmapped right away.
    unsafe {
        let addr = libc::mmap(
            ptr::null_mut(),
            len,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
            -1,
            0,
        );
        if addr == libc::MAP_FAILED {
            return false;
        }
        libc::munmap(addr, len);
    }
    true
}

/// Elsewhere (Windows commits on demand per page) there is no cheap way to ask: assume yes.
#[cfg(not(unix))]
fn can_commit(_len: usize) -> bool {
    true
}

fn check(status: sys::napi_status, what: &'static str) -> Result<(), HandOffError> {
    if status == sys::Status::napi_ok {
        Ok(())
    } else {
        Err(HandOffError::Status(what, status))
    }
}

impl From<HandOffError> for TransferError {
    fn from(e: HandOffError) -> Self {
        match e {
            HandOffError::ExternalForbidden => TransferError::new(
                ErrorCode::ExternalForbidden,
                "this runtime forbids external ArrayBuffers; create the pool with transfer: 'auto' or 'copy'",
            ),
            HandOffError::Status(what, status) => {
                TransferError::internal(format!("{what} failed with status {status}"))
            }
            HandOffError::OutOfMemory => TransferError::new(
                ErrorCode::OutOfMemory,
                "the OS would not commit another 2 GiB copy-mode buffer (each block costs BUFFER_SIZE of JS memory in \
                 copy mode); use fewer blocks or external transfer",
            ),
            HandOffError::Detached => TransferError::stale(
                "the block's ArrayBuffer was detached (transferred?); block buffers cannot be transferred",
            ),
        }
    }
}
