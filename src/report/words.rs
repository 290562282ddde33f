//! Counted nouns in the words a reader expects: "1 seed", "2 seeds", "1 of 1 seed".
//! Every terminal line of `check`, `sweep` and `compare` that counts something goes
//! through here, so no count reads "1 seeds".

/// `n` followed by the noun, singular for exactly one.
pub fn count(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// "k of n seeds" (the noun agrees with `n`, the total: "0 of 1 seed").
pub fn seeds_of(k: usize, n: usize) -> String {
    format!("{k} of {}", count(n, "seed", "seeds"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_is_singular_and_every_other_count_plural() {
        assert_eq!(count(1, "fault", "faults"), "1 fault");
        assert_eq!(count(0, "fault", "faults"), "0 faults");
        assert_eq!(count(2, "scenario", "scenarios"), "2 scenarios");
        assert_eq!(seeds_of(0, 1), "0 of 1 seed");
        assert_eq!(seeds_of(1, 8), "1 of 8 seeds");
    }
}
