//! A hint to the CPU to start loading a cache line, so that a pipelined batch
//! of commands can have all of its keys' memory loads in flight at once
//! instead of waiting for each in turn (see `EventLoop::prefetch_batch`).
//!
//! A prefetch never faults and has no visible effect: a wrong or stale
//! address only wastes a load. Architectures without a stable prefetch
//! instruction get a no-op.

/// Starts loading the cache line holding `p` into all cache levels.
#[inline(always)]
pub fn prefetch_read<T>(p: *const T) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: PREFETCHT0 is a hint; it does not dereference `p` in the
    // language's sense and cannot fault, whatever the address.
    unsafe {
        core::arch::x86_64::_mm_prefetch(p as *const i8, core::arch::x86_64::_MM_HINT_T0);
    }
    #[cfg(target_arch = "aarch64")]
    // SAFETY: PRFM is a hint; it cannot fault, whatever the address.
    unsafe {
        core::arch::asm!("prfm pldl1keep, [{0}]", in(reg) p, options(nostack, readonly, preserves_flags));
    }
    #[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
    let _ = p;
}
