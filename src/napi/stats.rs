//! [`NativePoolStats`]: a pool's statistics as JS gets them from `stats()` (every pool class
//! made with [`pool_methods!`](crate::pool_methods) has it).

use super::env_pool::EnvPool;

/// `pool.stats()` in JS: how many blocks the pool has made and lent, and the memory they
/// hold. Byte counts are numbers (they may pass 2^32).
#[napi_derive::napi(object)]
pub struct NativePoolStats {
    /// The most blocks the pool holds.
    pub size: u32,
    /// Blocks made so far (and not yet freed by a closed pool).
    pub created: u32,
    /// Blocks idle in the pool.
    pub available: u32,
    /// Blocks lent out (to JS or to a job's threads).
    pub in_use: u32,
    /// Blocks checked out to this JS environment (handed off, not yet released).
    pub checked_out: u32,
    /// Committed bytes of every live block the pool made (including blocks only JS holds).
    pub committed_bytes: f64,
    /// Resident bytes of those blocks (`mincore`).
    pub resident_bytes: f64,
    /// What a JS write past a block's committed prefix does: `"noreserve"` (pages fault in,
    /// given back at the next reset) or `"strict"` (SIGSEGV).
    #[napi(ts_type = "'noreserve' | 'strict'")]
    pub memory_mode: String,
}

impl NativePoolStats {
    /// `pool`'s statistics now.
    pub fn of(pool: &EnvPool) -> Self {
        let s = pool.pool().stats();
        Self {
            size: s.size as u32,
            created: s.created as u32,
            available: s.available as u32,
            in_use: s.in_use as u32,
            checked_out: pool.checked_out() as u32,
            committed_bytes: s.committed_bytes as f64,
            resident_bytes: s.resident_bytes as f64,
            memory_mode: s
                .memory_mode
                .unwrap_or_else(crate::block::memory_mode)
                .as_str()
                .to_owned(),
        }
    }
}
