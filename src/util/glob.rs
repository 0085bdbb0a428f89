//! Glob-style pattern matching with Redis's rules (KEYS, SCAN MATCH, and later
//! PSUBSCRIBE, CONFIG GET, HSCAN/SSCAN/ZSCAN MATCH).
//!
//! Supported syntax: `*` (any run of bytes), `?` (one byte), `[abc]` (one of),
//! `[^abc]` (none of), `[a-z]` (a range; a reversed range `[z-a]` means the same
//! as `[a-z]`), and `\x` (a literal `x`, also inside brackets). Matching works on
//! bytes; the `nocase` variant folds ASCII letters only.
//!
//! The corner cases follow what redis-server 7.0 answers, observed through KEYS:
//! - a pattern never matches the empty string unless it is empty itself, so `**`
//!   does not match `""` (callers special-case the lone `*`, as Redis does);
//! - an unclosed `[` takes the rest of the pattern as its set (`[a` matches `a`);
//! - a `-` right before the closing bracket still forms a range with it: `[a-]`
//!   is the range `]`..`a`, and the set then goes on to the next `]`;
//! - `\` inside brackets compares the next byte exactly, even with `nocase`;
//!   a trailing lone `\` is a literal backslash;
//! - in a range with `nocase`, the bounds are ordered first and folded after.
//!
//! Cost: each `*` tries the rest of the pattern at every later position, but as
//! soon as one such scan reaches the end of the string without a match, every
//! enclosing `*` gives up too (a longer match for an earlier star could only
//! start the rest later, which was just ruled out). That keeps patterns such as
//! `*a*a*a*a*b` linear-ish instead of exponential. Like Redis, star nesting is
//! bounded: past 1000 nested stars the match fails.

/// Deepest star nesting tried before the match is declared failed.
const MAX_STAR_NESTING: u32 = 1000;

/// Whether `string` matches the glob `pattern` (ASCII case folded if `nocase`).
pub fn glob_match(pattern: &[u8], string: &[u8], nocase: bool) -> bool {
    let mut m = Matcher {
        nocase,
        exhausted: false,
    };
    m.run(pattern, string, 0)
}

struct Matcher {
    nocase: bool,
    /// Set when a star tried every remaining position of the string and the
    /// rest of the pattern matched at none: enclosing stars stop searching.
    exhausted: bool,
}

impl Matcher {
    fn same(&self, a: u8, b: u8) -> bool {
        if self.nocase {
            a.eq_ignore_ascii_case(&b)
        } else {
            a == b
        }
    }

    fn run(&mut self, mut p: &[u8], mut s: &[u8], depth: u32) -> bool {
        if depth > MAX_STAR_NESTING {
            return false;
        }
        while let (Some(&pc), Some(&sc)) = (p.first(), s.first()) {
            match pc {
                b'*' => {
                    // A run of stars is one star.
                    let stars = p.iter().take_while(|&&c| c == b'*').count();
                    let rest = &p[stars..];
                    if rest.is_empty() {
                        return true;
                    }
                    while !s.is_empty() {
                        if self.run(rest, s, depth + 1) {
                            return true;
                        }
                        if self.exhausted {
                            return false;
                        }
                        s = &s[1..];
                    }
                    self.exhausted = true;
                    return false;
                }
                b'?' => p = &p[1..],
                b'[' => {
                    let (hit, used) = self.class(&p[1..], sc);
                    if !hit {
                        return false;
                    }
                    p = &p[1 + used..];
                }
                b'\\' if p.len() >= 2 => {
                    if !self.same(p[1], sc) {
                        return false;
                    }
                    p = &p[2..];
                }
                _ => {
                    if !self.same(pc, sc) {
                        return false;
                    }
                    p = &p[1..];
                }
            }
            s = &s[1..];
            if s.is_empty() {
                // Only stars may be left to match the empty rest.
                let stars = p.iter().take_while(|&&c| c == b'*').count();
                p = &p[stars..];
            }
        }
        p.is_empty() && s.is_empty()
    }

    /// Matches byte `c` against the bracket set that starts at `q` (just after
    /// the `[`). Returns whether it matched and how many bytes of `q` the set
    /// used, its closing `]` included (all of `q` if it is never closed).
    fn class(&self, q: &[u8], c: u8) -> (bool, usize) {
        let negate = q.first() == Some(&b'^');
        let mut i = usize::from(negate);
        let mut hit = false;
        let used = loop {
            let Some(&b) = q.get(i) else {
                break q.len();
            };
            let left = q.len() - i;
            if b == b'\\' && left >= 2 {
                i += 1;
                hit |= q[i] == c;
            } else if b == b']' {
                break i + 1;
            } else if left >= 3 && q[i + 1] == b'-' {
                let (mut lo, mut hi) = (b, q[i + 2]);
                if lo > hi {
                    std::mem::swap(&mut lo, &mut hi);
                }
                let mut x = c;
                if self.nocase {
                    lo = lo.to_ascii_lowercase();
                    hi = hi.to_ascii_lowercase();
                    x = x.to_ascii_lowercase();
                }
                hit |= lo <= x && x <= hi;
                i += 2;
            } else {
                hit |= self.same(b, c);
            }
            i += 1;
        };
        (hit != negate, used)
    }
}

#[cfg(test)]
mod tests {
    use super::glob_match;

    fn m(p: &str, s: &str) -> bool {
        glob_match(p.as_bytes(), s.as_bytes(), false)
    }

    #[test]
    fn basics() {
        assert!(m("", ""));
        assert!(!m("", "a"));
        assert!(m("abc", "abc"));
        assert!(!m("abc", "abd"));
        assert!(m("a*", "a"));
        assert!(m("a*", "abc"));
        assert!(m("*c", "abc"));
        assert!(m("a*c", "abbbc"));
        assert!(!m("a*c", "abbb"));
        assert!(m("a?c", "abc"));
        assert!(!m("a?c", "ac"));
        assert!(m("*?", "a"));
        assert!(m("h*llo", "hllo"));
        assert!(m("*a*b*c", "xxaxxbxxc"));
        assert!(!m("*a*b*c", "xxcxxbxxa"));
    }

    #[test]
    fn empty_string_only_matches_empty_pattern() {
        assert!(!m("*", ""));
        assert!(!m("**", ""));
        assert!(!m("?", ""));
        assert!(m("a*", "a"));
        assert!(m("a**", "a"));
    }

    #[test]
    fn classes() {
        assert!(m("[abc]", "b"));
        assert!(!m("[abc]", "d"));
        assert!(m("[^abc]", "d"));
        assert!(!m("[^abc]", "a"));
        assert!(m("[a-c]x", "bx"));
        assert!(m("[c-a]x", "bx"));
        assert!(!m("[a-c]x", "dx"));
        assert!(!m("[]", "]"));
        assert!(!m("[]a]", "a"));
        assert!(m("[\\]]", "]"));
        assert!(m("[a", "a"));
        assert!(!m("[", "["));
        assert!(m("[^", "x"));
        // `[a-]` is the range `]`..`a`; the set then runs to the next `]`.
        assert!(m("[a-]", "a"));
        assert!(m("[a-]", "]"));
        assert!(m("[a-]", "_"));
        assert!(m("[a-]x]", "x"));
        assert!(!m("[a-]x]", "b"));
        assert!(m("[\\", "\\"));
    }

    #[test]
    fn escapes() {
        assert!(m("\\*", "*"));
        assert!(!m("\\*", "a"));
        assert!(m("\\[", "["));
        assert!(m("\\", "\\"));
        assert!(m("a\\?b", "a?b"));
        assert!(!m("a\\?b", "axb"));
    }

    #[test]
    fn nocase() {
        assert!(glob_match(b"HeLLo", b"hello", true));
        assert!(!glob_match(b"HeLLo", b"hello", false));
        assert!(glob_match(b"[A-C]", b"b", true));
        assert!(glob_match(b"[abc]", b"B", true));
        // The escaped byte in a set is compared exactly.
        assert!(!glob_match(b"[\\A]", b"a", true));
        // Bounds are ordered, then folded: `Z`..`a` folds to `z`..`a`, empty.
        assert!(!glob_match(b"[Z-a]", b"z", true));
        assert!(glob_match(b"[Z-a]", b"_", false));
    }

    #[test]
    fn binary_bytes() {
        assert!(glob_match(b"\x00*\xff", b"\x00abc\xff", false));
        assert!(glob_match(b"[\x01-\x03]", b"\x02", false));
    }

    #[test]
    fn pathological_patterns_are_fast() {
        let s = vec![b'a'; 20_000];
        let start = std::time::Instant::now();
        assert!(!glob_match(b"*a*a*a*a*a*a*a*a*a*a*b", &s, false));
        assert!(!glob_match(b"*?*?*?*?*?*?*?*?*?*?b", &s, false));
        let mut p = b"*a".repeat(200);
        p.push(b'b');
        assert!(!glob_match(&p, &s, false));
        assert!(glob_match(&b"*a".repeat(200), &s, false));
        assert!(start.elapsed().as_secs() < 5);
    }

    #[test]
    fn star_nesting_is_bounded() {
        let s = vec![b'a'; 1001];
        assert!(glob_match(&b"*a".repeat(1000), &s, false));
        assert!(!glob_match(&b"*a".repeat(1001), &s, false));
    }
}
