//! The bit mixer both the compiled models (their string table) and the search (its memo
//! and state hashes) use. It lives on its own so that neither of those two modules has
//! to import the other for it: the search depends on the models, never the reverse.

/// splitmix64's finalizer: a bijection that spreads every input bit over the output.
#[inline]
pub(super) fn mix(mut x: u64) -> u64 {
    x ^= x >> 30;
    x = x.wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x ^= x >> 27;
    x = x.wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}
