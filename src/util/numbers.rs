//! Number parsing and formatting with Redis's rules.
//!
//! Redis is strict and particular about numbers, and clients see the difference,
//! so each rule here is the one observed on redis-server 7.0:
//!
//! - `parse_i64`: the strict integer form (Redis's string2ll): optional `-`, digits,
//!   no spaces, no `+`, no leading zeros except `"0"` itself, `"-0"` refused,
//!   anything outside i64 refused.
//! - `parse_u64`: a non-negative integer (string2ull): the strict form, or plain
//!   decimal digits (leading zeros allowed) up to u64::MAX.
//! - `parse_f64`: a double as Redis reads scores and float arguments (strtod
//!   with checks): the whole string must be a number; leading whitespace, the
//!   empty string, NaN, and values that overflow to infinity or underflow to zero
//!   are refused; `inf`/`infinity`, signs, exponents and hex floats (`0x1.8p1`)
//!   are accepted, subnormals too.
//! - `fmt_double`: the `%.17g` form Redis 7.0 uses for double replies.
//! - `LongDouble`: INCRBYFLOAT works in x87 80-bit `long double`, which Rust does
//!   not have. It is emulated here in software (64-bit mantissa, correctly
//!   rounded parsing and addition, round-half-even) together with the `%.17Lf`
//!   "human" output (trailing zeros and dot stripped), printing the exact binary
//!   value the way glibc does, e.g. `1e20` -> `100000000000000000000`. Only
//!   round-to-nearest (the default FPU mode) is modelled; no difference from
//!   redis-server was seen in thousands of random INCRBYFLOAT comparisons.

use std::cmp::Ordering;

/// Redis's string2ll: the strict decimal form of an i64.
pub fn parse_i64(s: &[u8]) -> Option<i64> {
    let (neg, digits) = match s {
        [] => return None,
        [b'0'] => return Some(0),
        [b'-', rest @ ..] => (true, rest),
        _ => (false, s),
    };
    // At most 19 digits fit an i64; a leading zero is not canonical.
    if digits.is_empty() || digits.len() > 19 || digits[0] == b'0' {
        return None;
    }
    let mut v: u64 = 0;
    for &c in digits {
        let d = c.wrapping_sub(b'0');
        if d > 9 {
            return None;
        }
        v = v.checked_mul(10)?.checked_add(u64::from(d))?;
    }
    if neg {
        if v > i64::MAX as u64 + 1 {
            None
        } else {
            Some((v as i64).wrapping_neg())
        }
    } else {
        i64::try_from(v).ok()
    }
}

/// Redis's string2ull: a strict non-negative i64, or else decimal digits (leading
/// zeros allowed, no sign, no spaces) up to u64::MAX.
pub fn parse_u64(s: &[u8]) -> Option<u64> {
    if let Some(v) = parse_i64(s) {
        return u64::try_from(v).ok();
    }
    if s.is_empty() {
        return None;
    }
    let mut v: u64 = 0;
    for &c in s {
        let d = c.wrapping_sub(b'0');
        if d > 9 {
            return None;
        }
        v = v.checked_mul(10)?.checked_add(u64::from(d))?;
    }
    Some(v)
}

/// Appends the decimal form of `v`, with no allocation beyond the vector's.
pub fn fmt_i64(v: i64, out: &mut Vec<u8>) {
    // Appended as a fixed 32 bytes and cut to length: cheaper than a
    // variable-length copy (a memcpy call) for a handful of digits.
    let mut tmp = [0u8; 32];
    let end = write_i64_at(v, &mut tmp, 0);
    let keep = out.len() + end;
    out.extend_from_slice(&tmp);
    out.truncate(keep);
}

/// "00" to "99": two digits per division when formatting.
const DIGIT_PAIRS: &[u8; 200] = b"\
0001020304050607080910111213141516171819\
2021222324252627282930313233343536373839\
4041424344454647484950515253545556575859\
6061626364656667686970717273747576777879\
8081828384858687888990919293949596979899";

/// Writes the decimal digits of `n` at the end of `tmp` and returns them.
pub fn int_digits(n: i64, tmp: &mut [u8; 24]) -> &[u8] {
    let mut i = tmp.len();
    let mut u = n.unsigned_abs();
    while u >= 100 {
        let pair = (u % 100) as usize * 2;
        u /= 100;
        i -= 2;
        tmp[i..i + 2].copy_from_slice(&DIGIT_PAIRS[pair..pair + 2]);
    }
    if u >= 10 {
        let pair = u as usize * 2;
        i -= 2;
        tmp[i..i + 2].copy_from_slice(&DIGIT_PAIRS[pair..pair + 2]);
    } else {
        i -= 1;
        tmp[i] = b'0' + u as u8;
    }
    if n < 0 {
        i -= 1;
        tmp[i] = b'-';
    }
    &tmp[i..]
}

/// Powers of ten that fit a u64: 10^0 to 10^19.
const POW10: [u64; 20] = {
    let mut t = [1u64; 20];
    let mut i = 1;
    while i < 20 {
        t[i] = t[i - 1] * 10;
        i += 1;
    }
    t
};

/// Number of decimal digits of `u` (1 for 0), without a division: the bit
/// length times log10(2) is the count or one less.
#[inline]
fn decimal_digits(u: u64) -> usize {
    let bits = 64 - (u | 1).leading_zeros();
    let t = ((bits * 1233) >> 12) as usize;
    (t + usize::from(u >= POW10[t])).max(1)
}

/// Length of the decimal form of `v`.
pub fn i64_len(v: i64) -> usize {
    usize::from(v < 0) + decimal_digits(v.unsigned_abs())
}

/// Writes the decimal form of `v` into `out` from `at`, returning the
/// offset past it (at most 20 bytes are written). For callers that build a
/// short line in a fixed-size stack buffer and append it whole.
#[inline]
pub fn write_i64_at(v: i64, out: &mut [u8; 32], at: usize) -> usize {
    let mut u = v.unsigned_abs();
    let mut at = at;
    if v < 0 {
        out[at] = b'-';
        at += 1;
    }
    let end = at + decimal_digits(u);
    let mut i = end;
    while u >= 100 {
        let pair = (u % 100) as usize * 2;
        u /= 100;
        i -= 2;
        out[i..i + 2].copy_from_slice(&DIGIT_PAIRS[pair..pair + 2]);
    }
    if u >= 10 {
        let pair = u as usize * 2;
        out[i - 2..i].copy_from_slice(&DIGIT_PAIRS[pair..pair + 2]);
    } else {
        out[i - 1] = b'0' + u as u8;
    }
    end
}

/// Appends `v` as C's `%.17g` (Redis 7.0's double replies): 17 significant
/// digits, fixed notation for exponents -4..16, else `d.ddde+XX`; trailing zeros
/// dropped; `inf`, `-inf`, `nan`.
pub fn fmt_double(v: f64, out: &mut Vec<u8>) {
    if v.is_nan() {
        out.extend_from_slice(b"nan");
        return;
    }
    if v.is_infinite() {
        out.extend_from_slice(if v > 0.0 { b"inf" } else { b"-inf" });
        return;
    }
    if v == 0.0 {
        out.extend_from_slice(if v.is_sign_negative() { b"-0" } else { b"0" });
        return;
    }
    // A whole number below 10^17 has at most 17 digits, all significant:
    // `%.17g` prints it as the integer. Most scores are such (timestamps,
    // counters, points), and this costs a conversion instead of an exact
    // 17-digit formatting (about 2,000 instructions, often through bignums).
    if v.abs() < 1e17 && (v as i64) as f64 == v {
        fmt_i64(v as i64, out);
        return;
    }
    fmt_double_exact(v, out);
}

/// `fmt_double` for finite non-zero values, through Rust's exact formatting.
fn fmt_double_exact(v: f64, out: &mut Vec<u8>) {
    // Rust's exact formatting gives the correctly rounded 17 digits, written
    // to a stack buffer: `-d.dddddddddddddddde-308` fits in 32 bytes.
    let mut sci = [0u8; 32];
    let n = {
        use std::io::Write;
        let mut cur = std::io::Cursor::new(&mut sci[..]);
        if write!(cur, "{:.16e}", v.abs()).is_err() {
            return;
        }
        cur.position() as usize
    };
    let sci = &sci[..n];
    let e_pos = sci.iter().position(|&c| c == b'e').unwrap_or(n);
    let exp = std::str::from_utf8(&sci[(e_pos + 1).min(n)..])
        .ok()
        .and_then(|t| t.parse::<i32>().ok())
        .unwrap_or(0);
    // The 17 significant digits, without the point.
    let mut digits = [b'0'; 17];
    for (d, &c) in digits
        .iter_mut()
        .zip(sci[..e_pos].iter().filter(|c| c.is_ascii_digit()))
    {
        *d = c;
    }
    if v < 0.0 {
        out.push(b'-');
    }
    let start = out.len();
    if (-4..17).contains(&exp) {
        if exp < 0 {
            out.extend_from_slice(b"0.");
            out.extend(std::iter::repeat_n(b'0', (-exp - 1) as usize));
            out.extend_from_slice(&digits);
        } else {
            let int_len = exp as usize + 1;
            out.extend_from_slice(&digits[..int_len]);
            out.push(b'.');
            out.extend_from_slice(&digits[int_len..]);
        }
        strip_fraction_zeros(out, start);
    } else {
        out.push(digits[0]);
        out.push(b'.');
        out.extend_from_slice(&digits[1..]);
        strip_fraction_zeros(out, start);
        out.push(b'e');
        out.push(if exp < 0 { b'-' } else { b'+' });
        let e = exp.unsigned_abs();
        if e < 10 {
            out.push(b'0');
        }
        fmt_i64(i64::from(e), out);
    }
}

/// Drops trailing zeros after a decimal point in `s[start..]`, then the point.
fn strip_fraction_zeros(s: &mut Vec<u8>, start: usize) {
    if s[start..].contains(&b'.') {
        while s.last() == Some(&b'0') {
            s.pop();
        }
        if s.last() == Some(&b'.') {
            s.pop();
        }
    }
}

// ---------------------------------------------------------------------------
// Parsing floats the way C's strtod/strtold read them (whole string).

/// The syntax of a C floating point literal, split into its parts.
enum FloatSyntax<'a> {
    Inf {
        neg: bool,
    },
    Nan,
    /// Decimal: the mantissa digits (point removed) and the power of ten.
    Dec {
        neg: bool,
        digits: Vec<u8>,
        exp10: i64,
    },
    /// Hex: the mantissa hex digits (point removed) and the power of two.
    Hex {
        neg: bool,
        digits: &'a [u8],
        exp2: i64,
    },
}

/// Reads an exponent's digits; saturates far beyond any meaningful range.
fn read_exp(s: &[u8]) -> Option<(i64, usize)> {
    let mut i = 0;
    let neg = match s.first() {
        Some(b'-') => {
            i = 1;
            true
        }
        Some(b'+') => {
            i = 1;
            false
        }
        _ => false,
    };
    let start = i;
    let mut v: i64 = 0;
    while i < s.len() && s[i].is_ascii_digit() {
        v = (v * 10 + i64::from(s[i] - b'0')).min(1 << 40);
        i += 1;
    }
    if i == start {
        return None;
    }
    Some((if neg { -v } else { v }, i))
}

/// Parses the whole of `s` as strtod would, or None if any byte is left over.
fn float_syntax(s: &[u8]) -> Option<FloatSyntax<'_>> {
    let (neg, body) = match s.first()? {
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        _ => (false, s),
    };
    if body.eq_ignore_ascii_case(b"inf") || body.eq_ignore_ascii_case(b"infinity") {
        return Some(FloatSyntax::Inf { neg });
    }
    if body.len() >= 3 && body[..3].eq_ignore_ascii_case(b"nan") {
        let rest = &body[3..];
        let ok = rest.is_empty()
            || (rest.len() >= 2
                && rest[0] == b'('
                && rest[rest.len() - 1] == b')'
                && rest[1..rest.len() - 1]
                    .iter()
                    .all(|c| c.is_ascii_alphanumeric() || *c == b'_'));
        return ok.then_some(FloatSyntax::Nan);
    }
    if body.len() > 2 && body[0] == b'0' && (body[1] | 0x20) == b'x' {
        let h = &body[2..];
        let int_end = h
            .iter()
            .position(|c| !c.is_ascii_hexdigit())
            .unwrap_or(h.len());
        let mut i = int_end;
        let mut frac = 0usize;
        if i < h.len() && h[i] == b'.' {
            i += 1;
            while i < h.len() && h[i].is_ascii_hexdigit() {
                i += 1;
                frac += 1;
            }
        }
        if int_end + frac == 0 {
            return None;
        }
        let mant_end = i;
        let mut exp2 = 0;
        if i < h.len() && (h[i] | 0x20) == b'p' {
            let (e, n) = read_exp(&h[i + 1..])?;
            exp2 = e;
            i += 1 + n;
        }
        if i != h.len() {
            return None;
        }
        let digits = &h[..mant_end];
        return Some(FloatSyntax::Hex {
            neg,
            digits,
            exp2: exp2 - 4 * frac as i64,
        });
    }
    let mut digits = Vec::with_capacity(body.len());
    let mut i = 0;
    while i < body.len() && body[i].is_ascii_digit() {
        digits.push(body[i]);
        i += 1;
    }
    let mut frac = 0i64;
    if i < body.len() && body[i] == b'.' {
        i += 1;
        while i < body.len() && body[i].is_ascii_digit() {
            digits.push(body[i]);
            i += 1;
            frac += 1;
        }
    }
    if digits.is_empty() {
        return None;
    }
    let mut exp10 = 0;
    if i < body.len() && (body[i] | 0x20) == b'e' {
        let (e, n) = read_exp(&body[i + 1..])?;
        exp10 = e;
        i += 1 + n;
    }
    if i != body.len() {
        return None;
    }
    Some(FloatSyntax::Dec {
        neg,
        digits,
        exp10: exp10 - frac,
    })
}

/// A binary float format: mantissa bits, lowest exponent of the last mantissa
/// bit (subnormals), and the exponent of the first value that overflows.
struct Format {
    bits: u32,
    min_lsb: i64,
    overflow: i64,
}

const F64_FORMAT: Format = Format {
    bits: 53,
    min_lsb: -1074,
    overflow: 1024,
};

const F80_FORMAT: Format = Format {
    bits: 64,
    min_lsb: -16445,
    overflow: 16384,
};

/// A rounded finite magnitude `mant * 2^exp`, or what happened instead.
enum Rounded {
    Finite { mant: u64, exp: i64 },
    Zero,
    Overflow,
}

/// Rounds `num / den * 2^exp2` (num > 0) to the format, half to even.
fn round_ratio(num: Big, den: Big, exp2: i64, f: &Format) -> Rounded {
    let k = num.bit_len() as i64 - den.bit_len() as i64;
    // Scale so the quotient has bits + 3 or bits + 4 bits.
    let s = i64::from(f.bits) + 3 - k;
    let (mut n, mut d) = (num, den);
    if s >= 0 {
        n.shl(s as usize);
    } else {
        d.shl((-s) as usize);
    }
    let (q, sticky) = Big::div_small_quotient(n, d);
    round_u128(q, exp2 - s, sticky, f)
}

/// Rounds `r * 2^e` (plus a sticky fraction below it) to the format.
fn round_u128(r: u128, e: i64, sticky: bool, f: &Format) -> Rounded {
    if r == 0 {
        return Rounded::Zero;
    }
    let bl = 128 - i64::from(r.leading_zeros());
    let top = e + bl - 1;
    let lsb = (top - (i64::from(f.bits) - 1)).max(f.min_lsb);
    let shift = lsb - e;
    // The rounded mantissa is kept in 128 bits: rounding up a 64-bit run of
    // ones carries into bit 64 (e.g. -2^63 + 0.1 rounds to -2^63).
    let (mut mant, mut exp): (u128, i64) = if shift <= 0 {
        (r << (-shift) as u32, lsb)
    } else if shift > 127 {
        // Far below half of the smallest unit.
        (0, lsb)
    } else {
        let kept = r >> shift;
        let rem = r & ((1u128 << shift) - 1);
        let half = 1u128 << (shift - 1);
        let up = rem > half || (rem == half && (sticky || kept & 1 == 1));
        (kept + u128::from(up), lsb)
    };
    if mant == 0 {
        return Rounded::Zero;
    }
    if 128 - mant.leading_zeros() > f.bits {
        mant >>= 1;
        exp += 1;
    }
    let mant = mant as u64;
    let top = exp + 63 - i64::from(mant.leading_zeros());
    if top >= f.overflow {
        return Rounded::Overflow;
    }
    Rounded::Finite { mant, exp }
}

/// The magnitude of a parsed literal, rounded to the format.
fn round_syntax(sx: &FloatSyntax<'_>, f: &Format) -> Rounded {
    match sx {
        FloatSyntax::Dec { digits, exp10, .. } => {
            let first = digits.iter().position(|&c| c != b'0');
            let Some(first) = first else {
                return Rounded::Zero;
            };
            let digits = &digits[first..];
            // Order of magnitude: 10^(mag-1) <= value < 10^mag.
            let mag = digits.len() as i64 + exp10;
            // Far outside any format's range: no need for big numbers.
            if mag > 5000 {
                return Rounded::Overflow;
            }
            if mag < -5000 {
                return Rounded::Zero;
            }
            let mut num = Big::from_digits(digits);
            let mut den = Big::from_u64(1);
            if *exp10 >= 0 {
                num.mul_pow10(*exp10 as u32);
            } else {
                den.mul_pow10((-exp10) as u32);
            }
            round_ratio(num, den, 0, f)
        }
        FloatSyntax::Hex { digits, exp2, .. } => {
            let first = digits
                .iter()
                .position(|&c| c != b'0' && c != b'.')
                .unwrap_or(digits.len());
            let mut num = Big::from_u64(0);
            for &c in &digits[first..] {
                if c == b'.' {
                    continue;
                }
                let v = (c as char).to_digit(16).unwrap_or(0);
                num.mul_small(16);
                num.add_small(v);
            }
            if num.is_zero() {
                return Rounded::Zero;
            }
            let mag = num.bit_len() as i64 + exp2;
            if mag > 20000 {
                return Rounded::Overflow;
            }
            if mag < -20000 {
                return Rounded::Zero;
            }
            round_ratio(num, Big::from_u64(1), *exp2, f)
        }
        _ => Rounded::Zero,
    }
}

/// `2^k` as an f64, for k in the normal exponent range.
fn pow2(k: i64) -> f64 {
    f64::from_bits(((1023 + k) as u64) << 52)
}

/// A double as Redis reads one (strtod, whole string, no leading space, no NaN,
/// no overflow to infinity, no underflow to zero).
pub fn parse_f64(s: &[u8]) -> Option<f64> {
    if s.first()
        .is_none_or(|c| c.is_ascii_whitespace() || *c == 0x0b)
    {
        return None;
    }
    match float_syntax(s)? {
        FloatSyntax::Nan => None,
        FloatSyntax::Inf { neg } => Some(if neg {
            f64::NEG_INFINITY
        } else {
            f64::INFINITY
        }),
        dec @ FloatSyntax::Dec { .. } => {
            let FloatSyntax::Dec { digits, .. } = &dec else {
                return None;
            };
            // The syntax is checked and ASCII: Rust's correctly rounded parser
            // accepts every form strtod does here.
            let text = std::str::from_utf8(s).ok()?;
            let v: f64 = text.parse().ok()?;
            let nonzero = digits.iter().any(|&c| c != b'0');
            if v.is_infinite() || (v == 0.0 && nonzero) {
                return None;
            }
            Some(v)
        }
        hex @ FloatSyntax::Hex { neg, .. } => match round_syntax(&hex, &F64_FORMAT) {
            Rounded::Overflow => None,
            Rounded::Zero => {
                let FloatSyntax::Hex { digits, .. } = hex else {
                    return None;
                };
                if digits.iter().any(|&c| c != b'0' && c != b'.') {
                    None
                } else {
                    Some(if neg { -0.0 } else { 0.0 })
                }
            }
            Rounded::Finite { mant, exp } => {
                // mant < 2^53 and the value is representable: both steps exact.
                let (m, e) = if exp < -1000 {
                    (mant as f64 * pow2(-1000), exp + 1000)
                } else {
                    (mant as f64, exp)
                };
                let v = if e > 1000 {
                    m * pow2(1000) * pow2(e - 1000)
                } else {
                    m * pow2(e)
                };
                Some(if neg { -v } else { v })
            }
        },
    }
}

// ---------------------------------------------------------------------------
// The x87 long double of INCRBYFLOAT, in software.

/// Longest string Redis reads as a long double (its MAX_LONG_DOUBLE_CHARS).
const MAX_LONG_DOUBLE_CHARS: usize = 5 * 1024;

/// A finite 80-bit extended precision value: `(-1)^neg * mant * 2^exp`, with
/// `mant` holding at most 64 significant bits (zero when `mant == 0`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LongDouble {
    neg: bool,
    mant: u64,
    exp: i64,
}

/// A long double that may also be infinite (a literal `inf`, or an overflow).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LongDoubleValue {
    Finite(LongDouble),
    Infinite,
}

impl LongDouble {
    pub const ZERO: LongDouble = LongDouble {
        neg: false,
        mant: 0,
        exp: 0,
    };

    /// An i64, exactly (64 mantissa bits hold any of them).
    pub fn from_i64(v: i64) -> LongDouble {
        LongDouble {
            neg: v < 0,
            mant: v.unsigned_abs(),
            exp: 0,
        }
    }

    /// (negative, mantissa, exponent): the value is `mantissa * 2^exponent`.
    pub fn parts(self) -> (bool, u64, i64) {
        (self.neg, self.mant, self.exp)
    }

    fn from_rounded(neg: bool, r: Rounded) -> LongDoubleValue {
        match r {
            Rounded::Finite { mant, exp } => LongDoubleValue::Finite(LongDouble { neg, mant, exp }),
            Rounded::Zero => LongDoubleValue::Finite(LongDouble {
                neg,
                mant: 0,
                exp: 0,
            }),
            Rounded::Overflow => LongDoubleValue::Infinite,
        }
    }

    /// The sum, rounded to 64 bits half to even (as the x87 FPU does).
    pub fn sum(self, o: LongDouble) -> LongDoubleValue {
        if self.mant == 0 {
            return LongDoubleValue::Finite(o);
        }
        if o.mant == 0 {
            return LongDoubleValue::Finite(self);
        }
        let (a, b) = if self.exp >= o.exp {
            (self, o)
        } else {
            (o, self)
        };
        let d = (a.exp - b.exp) as u64;
        // Close exponents: align exactly on b's. Far apart: keep 62 bits of
        // room under a, plus one bit where the bits of b lost below are
        // folded as a sticky half unit (enough for correct rounding, since
        // the result is at least 2^124 and only 64 bits are kept).
        let (big_a, big_b, e) = if d <= 62 {
            (u128::from(a.mant) << d, u128::from(b.mant), b.exp)
        } else {
            let rest = d - 62;
            let (kept, lost) = if rest >= 64 {
                (0, b.mant != 0)
            } else {
                (b.mant >> rest, b.mant & ((1u64 << rest) - 1) != 0)
            };
            (
                u128::from(a.mant) << 63,
                u128::from(kept) << 1 | u128::from(lost),
                a.exp - 63,
            )
        };
        let (neg, r) = if a.neg == b.neg {
            (a.neg, big_a + big_b)
        } else if big_a >= big_b {
            (a.neg, big_a - big_b)
        } else {
            (b.neg, big_b - big_a)
        };
        if r == 0 {
            return LongDoubleValue::Finite(LongDouble::ZERO);
        }
        Self::from_rounded(neg, round_u128(r, e, false, &F80_FORMAT))
    }

    /// Appends the value as Redis's human form: `%.17Lf` with trailing zeros
    /// and a trailing dot removed, and `-0` written as `0`.
    pub fn fmt_human(self, out: &mut Vec<u8>) {
        let start = out.len();
        if self.neg {
            out.push(b'-');
        }
        let digits_start = out.len();
        if self.exp >= 0 {
            // An integer: every digit, no fraction.
            let mut b = Big::from_u64(self.mant);
            b.shl(self.exp as usize);
            b.write_decimal(out);
        } else {
            const SCALE: u128 = 100_000_000_000_000_000; // 10^17
            let f = (-self.exp) as u32;
            let scaled = u128::from(self.mant) * SCALE; // < 2^121
            let q = if f >= 128 {
                0
            } else {
                let q = scaled >> f;
                let rem = scaled & ((1u128 << f) - 1);
                let half = 1u128 << (f - 1);
                q + u128::from(rem > half || (rem == half && q & 1 == 1))
            };
            let int = q / SCALE;
            let frac = (q % SCALE) as u64;
            fmt_u128(int, out);
            if frac != 0 {
                out.push(b'.');
                let mut digs = [b'0'; 17];
                let mut v = frac;
                for d in digs.iter_mut().rev() {
                    *d = b'0' + (v % 10) as u8;
                    v /= 10;
                }
                let mut n = 17;
                while digs[n - 1] == b'0' {
                    n -= 1;
                }
                out.extend_from_slice(&digs[..n]);
            }
        }
        if &out[digits_start..] == b"0" {
            out.truncate(start);
            out.push(b'0');
        }
    }
}

fn fmt_u128(mut v: u128, out: &mut Vec<u8>) {
    let mut tmp = [0u8; 40];
    let mut i = tmp.len();
    loop {
        i -= 1;
        tmp[i] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    out.extend_from_slice(&tmp[i..]);
}

/// A long double as Redis reads one for INCRBYFLOAT (strtold, whole string,
/// shorter than 5120 bytes, no leading space, no NaN, no overflow to infinity,
/// no underflow to zero). `inf` literals are returned as `Infinite`.
pub fn parse_long_double(s: &[u8]) -> Option<LongDoubleValue> {
    if s.len() >= MAX_LONG_DOUBLE_CHARS {
        return None;
    }
    if s.first()
        .is_none_or(|c| c.is_ascii_whitespace() || *c == 0x0b)
    {
        return None;
    }
    let sx = float_syntax(s)?;
    let (neg, nonzero) = match &sx {
        FloatSyntax::Nan => return None,
        FloatSyntax::Inf { .. } => return Some(LongDoubleValue::Infinite),
        FloatSyntax::Dec { neg, digits, .. } => (*neg, digits.iter().any(|&c| c != b'0')),
        FloatSyntax::Hex { neg, digits, .. } => {
            (*neg, digits.iter().any(|&c| c != b'0' && c != b'.'))
        }
    };
    match round_syntax(&sx, &F80_FORMAT) {
        Rounded::Overflow => None,
        Rounded::Zero if nonzero => None,
        r => Some(LongDouble::from_rounded(neg, r)),
    }
}

// ---------------------------------------------------------------------------
// A minimal unsigned big integer for exact conversions.

/// Little-endian base 2^32 digits, no trailing zero limbs.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Big(Vec<u32>);

impl Big {
    fn from_u64(v: u64) -> Big {
        let mut b = Big(vec![v as u32, (v >> 32) as u32]);
        b.trim();
        b
    }

    fn from_digits(d: &[u8]) -> Big {
        let mut b = Big(Vec::with_capacity(d.len() / 9 + 2));
        for chunk in d.chunks(9) {
            let mut v = 0u32;
            for &c in chunk {
                v = v * 10 + u32::from(c - b'0');
            }
            b.mul_small(10u32.pow(chunk.len() as u32));
            b.add_small(v);
        }
        b
    }

    fn trim(&mut self) {
        while self.0.last() == Some(&0) {
            self.0.pop();
        }
    }

    fn is_zero(&self) -> bool {
        self.0.is_empty()
    }

    fn bit_len(&self) -> usize {
        match self.0.last() {
            None => 0,
            Some(&top) => self.0.len() * 32 - top.leading_zeros() as usize,
        }
    }

    fn mul_small(&mut self, m: u32) {
        let mut carry = 0u64;
        for limb in self.0.iter_mut() {
            let v = u64::from(*limb) * u64::from(m) + carry;
            *limb = v as u32;
            carry = v >> 32;
        }
        if carry != 0 {
            self.0.push(carry as u32);
        }
        self.trim();
    }

    fn add_small(&mut self, a: u32) {
        let mut carry = u64::from(a);
        for limb in self.0.iter_mut() {
            if carry == 0 {
                break;
            }
            let v = u64::from(*limb) + carry;
            *limb = v as u32;
            carry = v >> 32;
        }
        if carry != 0 {
            self.0.push(carry as u32);
        }
    }

    fn mul_pow10(&mut self, mut n: u32) {
        while n >= 9 {
            self.mul_small(1_000_000_000);
            n -= 9;
        }
        self.mul_small(10u32.pow(n));
    }

    fn shl(&mut self, bits: usize) {
        if self.is_zero() {
            return;
        }
        let limbs = bits / 32;
        let b = (bits % 32) as u32;
        if b != 0 {
            let mut carry = 0u32;
            for limb in self.0.iter_mut() {
                let v = *limb;
                *limb = (v << b) | carry;
                carry = v >> (32 - b);
            }
            if carry != 0 {
                self.0.push(carry);
            }
        }
        if limbs > 0 {
            self.0.splice(0..0, std::iter::repeat_n(0, limbs));
        }
    }

    fn shr1(&mut self) {
        let mut carry = 0u32;
        for limb in self.0.iter_mut().rev() {
            let v = *limb;
            *limb = (v >> 1) | (carry << 31);
            carry = v & 1;
        }
        self.trim();
    }

    fn cmp_big(&self, o: &Big) -> Ordering {
        self.0
            .len()
            .cmp(&o.0.len())
            .then_with(|| self.0.iter().rev().cmp(o.0.iter().rev()))
    }

    fn sub_assign(&mut self, o: &Big) {
        let mut borrow = 0i64;
        for (i, limb) in self.0.iter_mut().enumerate() {
            let v = i64::from(*limb) - i64::from(o.0.get(i).copied().unwrap_or(0)) - borrow;
            if v < 0 {
                *limb = (v + (1 << 32)) as u32;
                borrow = 1;
            } else {
                *limb = v as u32;
                borrow = 0;
            }
        }
        self.trim();
    }

    /// `n / d` for a quotient below 2^80, and whether a remainder is left.
    fn div_small_quotient(mut n: Big, mut d: Big) -> (u128, bool) {
        const QBITS: usize = 80;
        d.shl(QBITS);
        let mut q: u128 = 0;
        for _ in 0..=QBITS {
            q <<= 1;
            if n.cmp_big(&d) != Ordering::Less {
                n.sub_assign(&d);
                q |= 1;
            }
            d.shr1();
        }
        (q, !n.is_zero())
    }

    fn divmod_small(&mut self, d: u32) -> u32 {
        let mut rem = 0u64;
        for limb in self.0.iter_mut().rev() {
            let v = (rem << 32) | u64::from(*limb);
            *limb = (v / u64::from(d)) as u32;
            rem = v % u64::from(d);
        }
        self.trim();
        rem as u32
    }

    fn write_decimal(mut self, out: &mut Vec<u8>) {
        let mut chunks = Vec::new();
        while !self.is_zero() {
            chunks.push(self.divmod_small(1_000_000_000));
        }
        match chunks.pop() {
            None => out.push(b'0'),
            Some(top) => {
                out.extend_from_slice(top.to_string().as_bytes());
                for c in chunks.iter().rev() {
                    out.extend_from_slice(format!("{c:09}").as_bytes());
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dbl(v: f64) -> String {
        let mut o = Vec::new();
        fmt_double(v, &mut o);
        String::from_utf8(o).unwrap()
    }

    /// INCRBYFLOAT: parse both, add, print human.
    fn incr(a: &str, b: &str) -> Option<String> {
        let LongDoubleValue::Finite(x) = parse_long_double(a.as_bytes())? else {
            return Some("inf".into());
        };
        let LongDoubleValue::Finite(y) = parse_long_double(b.as_bytes())? else {
            return Some("inf".into());
        };
        match x.sum(y) {
            LongDoubleValue::Finite(r) => {
                let mut o = Vec::new();
                r.fmt_human(&mut o);
                Some(String::from_utf8(o).unwrap())
            }
            LongDoubleValue::Infinite => Some("inf".into()),
        }
    }

    /// Every digit count and both signs, against the standard formatter.
    #[test]
    fn int_digits_matches_display() {
        let mut rng = crate::util::rng::Rng::new(3);
        let check = |n: i64| {
            let mut tmp = [0u8; 24];
            assert_eq!(int_digits(n, &mut tmp), n.to_string().as_bytes());
            assert_eq!(i64_len(n), n.to_string().len());
        };
        for n in [
            0,
            1,
            9,
            10,
            99,
            100,
            101,
            999,
            1000,
            i64::MAX,
            i64::MIN,
            -1,
            -10,
            -100,
        ] {
            check(n);
        }
        for p in 0..19 {
            let t = 10i64.pow(p);
            for n in [t - 1, t, t + 1] {
                check(n);
                check(-n);
            }
        }
        for _ in 0..100_000 {
            let n = rng.next_u64() as i64 >> rng.below(64);
            check(n);
        }
    }

    #[test]
    fn strict_integers() {
        for (s, v) in [
            ("0", Some(0)),
            ("-1", Some(-1)),
            ("9223372036854775807", Some(i64::MAX)),
            ("-9223372036854775808", Some(i64::MIN)),
            ("9223372036854775808", None),
            ("-9223372036854775809", None),
            ("-0", None),
            ("01", None),
            ("+1", None),
            (" 1", None),
            ("1 ", None),
            ("", None),
            ("-", None),
            ("1a", None),
            ("99999999999999999999", None),
        ] {
            assert_eq!(parse_i64(s.as_bytes()), v, "{s}");
        }
        assert_eq!(parse_u64(b"18446744073709551615"), Some(u64::MAX));
        assert_eq!(parse_u64(b"18446744073709551616"), None);
        assert_eq!(parse_u64(b"007"), Some(7));
        assert_eq!(parse_u64(b"-1"), None);
        for v in [0, 1, -1, 10, -10, 99, i64::MAX, i64::MIN, 1234567] {
            let mut o = Vec::new();
            fmt_i64(v, &mut o);
            assert_eq!(o, v.to_string().as_bytes());
            assert_eq!(i64_len(v), o.len());
        }
    }

    #[test]
    fn double_replies_are_percent_17g() {
        // Expected texts from C's printf("%.17g").
        assert_eq!(dbl(1.5), "1.5");
        assert_eq!(dbl(0.1), "0.10000000000000001");
        assert_eq!(dbl(1e300), "1.0000000000000001e+300");
        assert_eq!(dbl(f64::INFINITY), "inf");
        assert_eq!(dbl(f64::NEG_INFINITY), "-inf");
        assert_eq!(dbl(0.0), "0");
        assert_eq!(dbl(-0.0), "-0");
        assert_eq!(dbl(100.0), "100");
        assert_eq!(dbl(1e16), "10000000000000000");
        assert_eq!(dbl(1e17), "1e+17");
        assert_eq!(dbl(0.0001), "0.0001");
        assert_eq!(dbl(0.00001), "1.0000000000000001e-05");
        assert_eq!(dbl(-2.5), "-2.5");
        assert_eq!(dbl(3.0), "3");
        assert_eq!(dbl(1.0 + 2f64.powi(-17)), "1.0000076293945312");
        assert_eq!(dbl(5e-324), "4.9406564584124654e-324");
        assert_eq!(dbl(f64::MAX), "1.7976931348623157e+308");
        assert_eq!(dbl(123456789.0), "123456789");
    }

    #[test]
    fn lengths_and_fixed_buffer_writes_match_the_decimal_form() {
        let mut rng = crate::util::rng::Rng::new(9);
        let check = |v: i64| {
            let text = v.to_string();
            assert_eq!(i64_len(v), text.len(), "{v}");
            let mut buf = [b'#'; 32];
            let end = write_i64_at(v, &mut buf, 3);
            assert_eq!(&buf[3..end], text.as_bytes());
            assert_eq!(buf[end], b'#');
        };
        for v in (-1000..1000).chain([i64::MIN, i64::MAX, i64::MIN + 1]) {
            check(v);
        }
        for p in 0..19 {
            let t = 10i64.pow(p);
            for v in [t - 1, t, t + 1, -t, -t + 1, -t - 1] {
                check(v);
            }
        }
        for _ in 0..10_000 {
            check(rng.next_u64() as i64 >> rng.below(64));
        }
    }

    #[test]
    fn whole_doubles_take_the_integer_path_with_the_same_text() {
        let mut rng = crate::util::rng::Rng::new(3);
        let exact = |v: f64| {
            let mut o = Vec::new();
            fmt_double_exact(v, &mut o);
            String::from_utf8(o).unwrap()
        };
        for _ in 0..20_000 {
            let digits = 1 + rng.below(17) as i32;
            let mag = (rng.next_u64() % 10u64.pow(digits as u32)) as f64;
            for v in [mag, -mag, mag.min(9.007_199_254_740_992e15)] {
                if v != 0.0 {
                    assert_eq!(dbl(v), exact(v), "{v}");
                }
            }
        }
        for v in [
            1e16,
            99999999999999984.0,
            -99999999999999984.0,
            9007199254740993.0,
        ] {
            assert_eq!(dbl(v), exact(v));
        }
        assert_eq!(dbl(1e17), "1e+17");
        assert_eq!(dbl(0.5), "0.5");
    }

    #[test]
    fn double_replies_match_printf_on_random_values() {
        // Expected texts from C's printf("%.17g") (glibc, via Python).
        let cases = [
            (f64::from_bits(0x3ff0000800000000), "1.0000076293945312"),
            (f64::from_bits(0x3ff0000100000000), "1.0000009536743164"),
            (f64::from_bits(0x3fe0000000000000), "0.5"),
            (f64::from_bits(0x444b1ae4d6e2ef50), "1e+21"),
            (f64::from_bits(0x3ee4f8b588e368f1), "1.0000000000000001e-05"),
            (f64::from_bits(0x405edd2f1a9fbe77), "123.456"),
            (f64::from_bits(0x4340000000000000), "9007199254740992"),
            (f64::from_bits(0x4340000000000001), "9007199254740994"),
            (f64::from_bits(0x3fd5555555555555), "0.33333333333333331"),
            (f64::from_bits(0x3fe5555555555555), "0.66666666666666663"),
            (f64::from_bits(0x4341c37937e08000), "10000000000000000"),
            (f64::from_bits(0x4376345785d89fff), "99999999999999984"),
            (f64::from_bits(0x3f1a36e2eb1c432d), "0.0001"),
            (f64::from_bits(0x3f202e85be111841), "0.000123456789"),
            (
                f64::from_bits(0x0000000000000001),
                "4.9406564584124654e-324",
            ),
            (
                f64::from_bits(0x0010000000000000),
                "2.2250738585072014e-308",
            ),
            (
                f64::from_bits(0x20b26c1c9f767c45),
                "3.5174368792064982e-151",
            ),
            (f64::from_bits(0x2de47ddebde5c099), "1.287623327729597e-87"),
            (
                f64::from_bits(0x58608fefcb91ce37),
                "5.2206878788978138e+117",
            ),
            (
                f64::from_bits(0x6bb6a198f1446bea),
                "7.4402123653002148e+210",
            ),
            (f64::from_bits(0x5375c64fbd69fe29), "1.1355073036159286e+94"),
            (f64::from_bits(0x43d85892ec1d7da0), "7.0172543906620703e+18"),
            (
                f64::from_bits(0x6b9086ff076ce2ef),
                "1.3583749418962063e+210",
            ),
            (
                f64::from_bits(0x63529c3b77330bdb),
                "2.8093802557000872e+170",
            ),
            (
                f64::from_bits(0x1fe0f51bf17fd374),
                "3.9523280297734521e-155",
            ),
            (
                f64::from_bits(0x06a3209ca6233255),
                "1.0790205420931878e-276",
            ),
            (
                f64::from_bits(0x1413b446e6a16a3b),
                "5.8530471071351304e-212",
            ),
            (f64::from_bits(0x2f96ecbf1cfb10f6), "1.933421489398353e-79"),
            (
                f64::from_bits(0x6f2938807814e8a2),
                "2.9873358928024453e+227",
            ),
            (f64::from_bits(0x30bcace73f1f65a8), "6.3397278305255575e-74"),
            (f64::from_bits(0x423460b370c7dc61), "87521718471.860855"),
            (f64::from_bits(0xc366438f470b2a63), "-50133857111462680"),
            (f64::from_bits(0xc04c53b79465eaaa), "-56.65403990723037"),
            (f64::from_bits(0xc3a1a5f9ff57e8cf), "-6.358486724444425e+17"),
            (
                f64::from_bits(0xc3888cc2de84867b),
                "-2.2112537682646205e+17",
            ),
            (f64::from_bits(0x3f78579fc34becbb), "0.0059429398286240899"),
            (f64::from_bits(0x41767e1d4fe1c18f), "23585236.992616232"),
            (
                f64::from_bits(0xbea90d42234bc228),
                "-7.4660153489946051e-07",
            ),
            (f64::from_bits(0x3eafb2b15e74d495), "9.4467457937307263e-07"),
            (f64::from_bits(0xbfe2984441cfae1c), "-0.58108723500976422"),
        ];
        for (v, want) in cases {
            assert_eq!(dbl(v), want, "{v:e}");
        }
    }

    #[test]
    fn doubles_parse_like_strtod() {
        let ok = |s: &str| parse_f64(s.as_bytes());
        assert_eq!(ok("1.5"), Some(1.5));
        assert_eq!(ok("+1.5"), Some(1.5));
        assert_eq!(ok(".5"), Some(0.5));
        assert_eq!(ok("5."), Some(5.0));
        assert_eq!(ok("1e3"), Some(1000.0));
        assert_eq!(ok("1E+3"), Some(1000.0));
        assert_eq!(ok("inf"), Some(f64::INFINITY));
        assert_eq!(ok("-Infinity"), Some(f64::NEG_INFINITY));
        assert_eq!(ok("0x10"), Some(16.0));
        assert_eq!(ok("0x1.8p1"), Some(3.0));
        assert_eq!(ok("-0x.8"), Some(-0.5));
        assert_eq!(ok("0x1p-1074"), Some(5e-324));
        assert_eq!(ok("4e-324"), Some(5e-324));
        assert_eq!(ok("0"), Some(0.0));
        // Hex rounding, half to even, subnormals (values from Python's fromhex).
        assert_eq!(ok("0x1.8p-1074"), Some(1e-323));
        assert_eq!(ok("0x1.fffffffffffff7p1023"), Some(f64::MAX));
        assert_eq!(ok("0x1.0000000000000cp0"), Some(1.0000000000000002));
        assert_eq!(ok("0x1.00000000000008p0"), Some(1.0));
        assert_eq!(ok("0x1.00000000000018p0"), Some(1.0000000000000004));
        assert_eq!(ok("0xAbC.dEp-3"), Some(343.6083984375));
        assert_eq!(ok("0x0.0000001p-1040"), Some(3.16e-322));
        assert_eq!(ok("0x1.fffffffffffff8p1023"), None);
        for bad in [
            "", " 1", "1 ", "\t1", "nan", "NaN", "1e", "1e+", "e1", ".", "-", "0x", "1e400",
            "1e-400", "0x1p2000", "1,5", "infinit", "1\0",
        ] {
            assert_eq!(ok(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn incrbyfloat_arithmetic_matches_redis() {
        // Each expectation observed on redis-server 7.0.15 (x86-64).
        let cases = [
            ("10.5", "0.1", "10.6"),
            ("3.0e3", "1", "3001"),
            ("5.0e3", "2.0e2", "5200"),
            ("1e20", "0", "100000000000000000000"),
            ("0", "0.1", "0.1"),
            ("0.1", "0.2", "0.3"),
            ("0", "1.0000000000000000001", "1"),
            ("0", "1.23456789012345678901234", "1.23456789012345679"),
            ("0", "-0.0", "0"),
            ("0", "1e-18", "0"),
            ("0", "5e-18", "0"),
            ("0", "1.5e-17", "0.00000000000000002"),
            ("0", "2.5e-17", "0.00000000000000002"),
            ("0", "3.5e-17", "0.00000000000000004"),
            ("0", "123456789.123456789", "123456789.12345678899873747"),
            ("9223372036854775807", "0", "9223372036854775807"),
            ("9223372036854775807", "1", "9223372036854775808"),
            ("0", "-1.5e+3", "-1500"),
            ("-1500", "1", "-1499"),
            ("0", "0x1.8p1", "3"),
            ("0", "0X.8", "0.5"),
            ("0", "00001.5000", "1.5"),
            ("0", "1e-4940", "0"),
            ("0", "0x1p-16440", "0"),
            ("1.5", "1", "2.5"),
            ("2.5", "0.5", "3"),
        ];
        for (a, b, want) in cases {
            assert_eq!(incr(a, b).as_deref(), Some(want), "{a} + {b}");
        }
        let big = incr("0", "1e300").unwrap();
        assert!(big.starts_with("1000000000000000000008997324079559193870523944273290747938"));
        assert_eq!(big.len(), 301);
        let huge = incr("1e4000", "0").unwrap();
        assert_eq!(huge.len(), 4000);
        assert!(huge.starts_with("99999999999999999999654638730996237849324925835069576313015"));
        assert_eq!(incr("1e400", "1e-400").unwrap().len(), 401);
    }

    #[test]
    fn long_double_refusals() {
        for bad in [
            "", " 1", "1 ", "\t1", "nan", "nan(123)", "1e", "1e+", "-.e1", "1e5000", "1e-5000",
            "0x1p", "1\0x", "abc",
        ] {
            assert_eq!(parse_long_double(bad.as_bytes()), None, "{bad:?}");
        }
        assert_eq!(parse_long_double(b"INF"), Some(LongDoubleValue::Infinite));
        assert_eq!(
            parse_long_double(b"-infinity"),
            Some(LongDoubleValue::Infinite)
        );
        let long = "1".repeat(5120);
        assert_eq!(parse_long_double(long.as_bytes()), None);
        let long_ok = format!("1.{}", "0".repeat(5117));
        assert!(parse_long_double(long_ok.as_bytes()).is_some());
        // Overflow of a sum.
        assert_eq!(incr("1.1e4932", "1.1e4932").as_deref(), Some("inf"));
    }

    #[test]
    fn long_double_rounding_carries_into_a_new_bit() {
        let a = LongDouble::from_i64(i64::MIN);
        let Some(LongDoubleValue::Finite(b)) = parse_long_double(b"0.1") else {
            panic!("0.1 parses");
        };
        let LongDoubleValue::Finite(sum) = a.sum(b) else {
            panic!("finite sum");
        };
        let mut out = Vec::new();
        sum.fmt_human(&mut out);
        assert_eq!(out, b"-9223372036854775808");
    }
}
