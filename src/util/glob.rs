//! Glob matching (temporary minimal version; the full one replaces it).

pub fn glob_match(pattern: &[u8], string: &[u8], nocase: bool) -> bool {
    let eq = |a: u8, b: u8| {
        if nocase {
            a.eq_ignore_ascii_case(&b)
        } else {
            a == b
        }
    };
    let (mut p, mut s) = (0, 0);
    let (mut star_p, mut star_s) = (usize::MAX, 0);
    while s < string.len() {
        if p < pattern.len() && pattern[p] == b'*' {
            star_p = p;
            star_s = s;
            p += 1;
        } else if p < pattern.len() && (pattern[p] == b'?' || eq(pattern[p], string[s])) {
            p += 1;
            s += 1;
        } else if star_p != usize::MAX {
            p = star_p + 1;
            star_s += 1;
            s = star_s;
        } else {
            return false;
        }
    }
    while p < pattern.len() && pattern[p] == b'*' {
        p += 1;
    }
    p == pattern.len()
}
