//! The buffer this environment holds of each block: when a hand-off wraps a new external
//! buffer or makes a new JS copy (first hand-off, too short, far too long for a while, or
//! transferred away by JS), the copy-mode sync of what a write allocated, and sending a
//! block's buffer again to a JS cache that lost it.

use std::collections::HashMap;

use ::napi::sys;

use super::checkout::CheckedOut;
use super::{EnvPool, not_out};
use crate::FixedSizeAllocator;
use crate::geometry::{BUFFER_SIZE, MIN_BUFFER_SIZE};
use crate::napi::error::{Result, TransferError};
use crate::napi::handoff::{CopyTarget, HandOffError, wrap_external};
use crate::napi::mode::TransferMode;
use crate::napi::value::{RawValue, arraybuffer_len, reference_value};

/// What this environment holds of a block: a strong reference to the buffer it was sent,
/// so that it can be sent again to a JS cache that lost it ([`EnvPool::resend`]).
pub(super) enum Handed {
    /// The external buffer last sent, and its length.
    External(sys::napi_ref, usize),
    Copy(CopyTarget),
}

/// A buffer longer than this, and at least 4 times what the block's data needs, is replaced
/// by a shorter one after [`SHRINK_AFTER`] such hand-offs in a row: after one big document,
/// V8's external figure (it counts a buffer's whole length) and, in copy mode, the JS copy's
/// memory come back down to what the block uses, once the GC takes the long buffer. Not at
/// once, so that blocks alternating big and small documents do not wrap a long buffer again
/// each time (each new external buffer is more external memory for V8, which collects
/// garbage for it).
const SHRINK_FLOOR: usize = 16 << 20;
/// See [`SHRINK_FLOOR`].
pub(super) const SHRINK_AFTER: u8 = 4;

/// The length of the buffer to send for a block with `used` bytes in use: a power of two of
/// at least 1 MiB, so that a small document costs V8 1 MiB of external memory (V8 counts a
/// buffer's whole length, and collects garbage for it), and a growing one is wrapped again
/// at most once per doubling.
fn buffer_len(used: usize) -> usize {
    used.max(MIN_BUFFER_SIZE)
        .next_power_of_two()
        .min(BUFFER_SIZE)
}

impl EnvPool {
    /// The buffer of checked-out block `id` again, for a JS cache that lost the one it was
    /// sent (cleared, or a copy-mode buffer transferred away, which is replaced by a new copy).
    /// Fails with `StaleBuffer` if the block is not checked out here, or if its external
    /// buffer was detached (transferred to another thread, where it still is).
    pub fn resend(&self, id: u32) -> Result<RawValue> {
        self.check_writable(id)?;
        let out = self.checked_out.borrow();
        let Some(CheckedOut { guard, .. }) = out.get(&id) else {
            return Err(not_out(id));
        };
        let mut handed = self.handed.borrow_mut();
        match handed.get(&id) {
            Some(Handed::External(reference, len)) => {
                // SAFETY: see `env_is_current`; the reference is live until `close`.
                let value = unsafe { reference_value(self.env, *reference)? };
                // SAFETY: as above; `value` was just read from the reference.
                if unsafe { arraybuffer_len(self.env, value)? } != *len {
                    return Err(HandOffError::Detached.into());
                }
                Ok(RawValue(value))
            }
            Some(Handed::Copy(target)) => {
                // SAFETY: see `env_is_current`.
                match unsafe { target.sync(self.env, guard, 0, guard.used_bytes()) } {
                    // SAFETY: as above.
                    Ok(()) => Ok(RawValue(unsafe { target.value(self.env)? })),
                    Err(HandOffError::Detached) => {
                        let len = buffer_len(guard.used_bytes());
                        let value = self.replace_copy_target(&mut handed, guard, len)?;
                        Ok(RawValue(value))
                    }
                    Err(e) => Err(e.into()),
                }
            }
            None => Err(not_out(id)),
        }
    }

    /// Copy mode: a new JS buffer of `len` bytes with every byte in use, to be sent in place
    /// of the old (transferred away by JS, or too short for what the block now holds).
    fn replace_copy_target(
        &self,
        handed: &mut HashMap<u32, Handed>,
        alloc: &FixedSizeAllocator,
        len: usize,
    ) -> Result<sys::napi_value> {
        // SAFETY: see `env_is_current`.
        let (target, value) = unsafe { CopyTarget::new(self.env, len)? };
        // SAFETY: as above; `target` was made just now on `self.env`.
        unsafe { target.sync(self.env, alloc, 0, alloc.used_bytes())? };
        if let Some(Handed::Copy(old)) = handed.insert(alloc.id(), Handed::Copy(target)) {
            // SAFETY: as above; the old target's reference is deleted once, here.
            unsafe { old.delete(self.env) };
        }
        Ok(value)
    }

    /// Pass `alloc`'s block to JS: a buffer the first time, and again when the one sent
    /// before is too short for the bytes in use now (copy mode: also when JS transferred it
    /// away); `None` otherwise (copy mode: after copying the record and `[from, to)` into
    /// the JS buffer).
    pub(super) fn hand_off_alloc(
        &self,
        alloc: &FixedSizeAllocator,
        from: usize,
        to: usize,
    ) -> Result<Option<RawValue>> {
        let id = alloc.id();
        let used = alloc.used_bytes();
        let mut handed = self.handed.borrow_mut();
        // Whether the buffer JS holds, of `len` bytes, is to be replaced by a shorter one now.
        let need = buffer_len(used);
        let shrink = |len: usize| {
            let mut oversized = self.oversized.borrow_mut();
            if len <= SHRINK_FLOOR || len / 4 < need {
                oversized.remove(&id);
                return false;
            }
            let runs = oversized.entry(id).or_insert(0);
            *runs += 1;
            if *runs < SHRINK_AFTER {
                return false;
            }
            oversized.remove(&id);
            true
        };
        match handed.get(&id) {
            Some(Handed::External(_, len)) if *len >= used && !shrink(*len) => return Ok(None),
            Some(Handed::Copy(target)) if target.len() >= used && !shrink(target.len()) => {
                // SAFETY: see `env_is_current`.
                return match unsafe { target.sync(self.env, alloc, from, to) } {
                    Ok(()) => Ok(None),
                    // Transferred away by JS: a new buffer replaces it in the JS cache.
                    Err(HandOffError::Detached) => {
                        let len = buffer_len(used);
                        Ok(Some(RawValue(self.replace_copy_target(
                            &mut handed,
                            alloc,
                            len,
                        )?)))
                    }
                    Err(e) => Err(e.into()),
                };
            }
            Some(Handed::Copy(_)) => {
                let len = buffer_len(used);
                return Ok(Some(RawValue(self.replace_copy_target(
                    &mut handed,
                    alloc,
                    len,
                )?)));
            }
            // Not sent here yet, or an external buffer too short or long past need: wrap (again) below.
            _ => {}
        }
        let len = buffer_len(used);
        if self.mode.get() == TransferMode::External {
            // SAFETY: see `env_is_current`.
            match unsafe { wrap_external(self.env, alloc, len) } {
                Ok((value, owner)) => {
                    self.state.add_owner(owner);
                    let mut reference = std::ptr::null_mut();
                    // SAFETY: `value` was created just now on the current environment.
                    let status =
                        unsafe { sys::napi_create_reference(self.env, value, 1, &mut reference) };
                    if status != sys::Status::napi_ok {
                        return Err(TransferError::internal(format!(
                            "napi_create_reference failed with status {status}"
                        )));
                    }
                    let old = handed.insert(id, Handed::External(reference, len));
                    if let Some(Handed::External(old, _)) = old {
                        // The buffer sent before (too short, or far too long): JS replaces
                        // it in its cache; ours goes (its owner count goes with the buffer,
                        // when the GC takes it).
                        // SAFETY: see `env_is_current`; the old reference is deleted once.
                        unsafe { sys::napi_delete_reference(self.env, old) };
                    }
                    return Ok(Some(RawValue(value)));
                }
                // `Auto` found out only now (the probe passed): switch for good.
                Err(HandOffError::ExternalForbidden) => self.mode.set(TransferMode::Copy),
                Err(e) => return Err(e.into()),
            }
        }
        Ok(Some(RawValue(self.replace_copy_target(
            &mut handed,
            alloc,
            len,
        )?)))
    }

    /// Copy mode: bring the JS copy of `[from, to)` and the metadata up to date.
    /// A buffer too short for `to` is left alone: the next hand-off sends a longer one.
    pub(super) fn sync(&self, alloc: &FixedSizeAllocator, from: usize, to: usize) -> Result<()> {
        if let Some(Handed::Copy(target)) = self.handed.borrow().get(&alloc.id())
            && target.len() >= to
        {
            // SAFETY: see `env_is_current`.
            unsafe { target.sync(self.env, alloc, from, to)? };
        }
        Ok(())
    }
}
