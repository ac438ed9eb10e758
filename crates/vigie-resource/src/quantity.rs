//! Resource quantities as Kubernetes writes them (`250m`, `1.5Gi`, `1e3`),
//! read by posture controls (CPU and memory bounds), Kyverno policies and
//! CEL's quantity library alike: one parser, [`Quantity::parse`].

use std::cmp::Ordering;

/// The value of a quantity, in base units: a number, then a decimal suffix
/// (`n` to `E`), a binary one (`Ki` to `Ei`) or an exponent (`e3`), not two.
/// Like Kubernetes, it takes the text as is: surrounding spaces make it no quantity.
pub fn parse_quantity(text: &str) -> Option<f64> {
    Quantity::parse(text).map(|q| q.to_f64())
}

/// A quantity held exactly, as `mantissa` x 10^`exponent` (Kubernetes
/// compares and adds quantities exactly, not as floating point numbers).
#[derive(Clone, Copy, Debug)]
pub struct Quantity {
    mantissa: i128,
    exponent: i32,
}

/// The most significant digits kept: beyond them a quantity is rounded
/// toward zero (i128 holds 38 digits; the headroom serves binary suffixes
/// and additions).
const MAX_DIGITS: usize = 30;

impl Quantity {
    /// Reads a quantity (see [`parse_quantity`] for the syntax).
    pub fn parse(text: &str) -> Option<Quantity> {
        let s = text.trim();
        if s.is_empty() || s != text {
            return None;
        }
        let split = s
            .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '+' || c == '-'))
            .unwrap_or(s.len());
        let (number, suffix) = s.split_at(split);
        if number.is_empty() || number == "+" || number == "-" || number == "." {
            return None;
        }
        if number[1..].contains(['+', '-']) || number.matches('.').count() > 1 {
            return None;
        }
        let (negative, digits) = match number.as_bytes()[0] {
            b'-' => (true, &number[1..]),
            b'+' => (false, &number[1..]),
            _ => (false, number),
        };
        if digits == "." || digits.is_empty() {
            return None;
        }
        let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
        let mut mantissa: i128 = 0;
        let mut exponent: i32 = 0;
        let mut kept = 0;
        for c in whole.bytes() {
            if kept < MAX_DIGITS {
                mantissa = mantissa * 10 + i128::from(c - b'0');
                kept += usize::from(mantissa != 0);
            } else {
                exponent += 1;
            }
        }
        for c in fraction.bytes() {
            if kept < MAX_DIGITS {
                mantissa = mantissa * 10 + i128::from(c - b'0');
                kept += usize::from(mantissa != 0);
                exponent -= 1;
            }
        }
        let (power, binary): (i32, u32) = match suffix {
            "" => (0, 0),
            "n" => (-9, 0),
            "u" => (-6, 0),
            "m" => (-3, 0),
            "k" => (3, 0),
            "M" => (6, 0),
            "G" => (9, 0),
            "T" => (12, 0),
            "P" => (15, 0),
            "E" => (18, 0),
            "Ki" => (0, 1),
            "Mi" => (0, 2),
            "Gi" => (0, 3),
            "Ti" => (0, 4),
            "Pi" => (0, 5),
            "Ei" => (0, 6),
            exp if exp.starts_with(['e', 'E']) => {
                let e: i32 = exp[1..].parse().ok()?;
                // Far beyond any resource amount; keeps the arithmetic finite.
                if !(-1000..=1000).contains(&e) {
                    return None;
                }
                (e, 0)
            }
            _ => return None,
        };
        mantissa *= 1024i128.pow(binary);
        if negative {
            mantissa = -mantissa;
        }
        Some(
            Quantity {
                mantissa,
                exponent: exponent + power,
            }
            .normalized(),
        )
    }

    /// A quantity of `n` base units.
    pub fn from_int(n: i64) -> Quantity {
        Quantity {
            mantissa: i128::from(n),
            exponent: 0,
        }
        .normalized()
    }

    /// The same value with no trailing zeros in the mantissa.
    fn normalized(mut self) -> Quantity {
        if self.mantissa == 0 {
            self.exponent = 0;
            return self;
        }
        while self.mantissa % 10 == 0 {
            self.mantissa /= 10;
            self.exponent += 1;
        }
        self
    }

    /// The value as a floating point number (rounded).
    pub fn to_f64(&self) -> f64 {
        let m = self.mantissa as f64;
        // Dividing by an exact power of ten rounds once; multiplying by an
        // inexact negative power would round twice.
        if self.exponent < 0 {
            m / 10f64.powi(-self.exponent)
        } else {
            m * 10f64.powi(self.exponent)
        }
    }

    /// -1, 0 or 1 as the quantity is negative, zero or positive.
    pub fn sign(&self) -> i64 {
        self.mantissa.signum() as i64
    }

    /// The value as an integer, when it is one and fits in an `i64`.
    pub fn as_i64(&self) -> Option<i64> {
        if self.exponent < 0 {
            return None;
        }
        let scale = 10i128.checked_pow(u32::try_from(self.exponent).ok()?)?;
        i64::try_from(self.mantissa.checked_mul(scale)?).ok()
    }

    /// Both mantissas at the smaller exponent, when they fit.
    fn aligned(&self, other: &Quantity) -> Option<(i128, i128, i32)> {
        let e = self.exponent.min(other.exponent);
        let up = |q: &Quantity| {
            let shift = u32::try_from(q.exponent - e).ok()?;
            q.mantissa.checked_mul(10i128.checked_pow(shift)?)
        };
        Some((up(self)?, up(other)?, e))
    }

    /// The sum, or `None` when it does not fit the representation.
    pub fn checked_add(&self, other: &Quantity) -> Option<Quantity> {
        let (a, b, exponent) = self.aligned(other)?;
        Some(
            Quantity {
                mantissa: a.checked_add(b)?,
                exponent,
            }
            .normalized(),
        )
    }

    /// The difference, or `None` when it does not fit the representation.
    pub fn checked_sub(&self, other: &Quantity) -> Option<Quantity> {
        self.checked_add(&Quantity {
            mantissa: -other.mantissa,
            exponent: other.exponent,
        })
    }

    /// Compares the values exactly (by their floating point values only
    /// when the exponents are too far apart to align).
    pub fn compare(&self, other: &Quantity) -> Ordering {
        match self.aligned(other) {
            Some((a, b, _)) => a.cmp(&b),
            None => self.to_f64().total_cmp(&other.to_f64()),
        }
    }
}

impl PartialEq for Quantity {
    fn eq(&self, other: &Self) -> bool {
        self.compare(other) == Ordering::Equal
    }
}
impl Eq for Quantity {}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(s: &str) -> Quantity {
        Quantity::parse(s).unwrap_or_else(|| panic!("{s} is a quantity"))
    }

    #[test]
    fn values_as_floats() {
        for (text, value) in [
            ("250m", 0.25),
            ("1.5Gi", 1610612736.0),
            ("1e3", 1000.0),
            ("-2k", -2000.0),
            ("0.1", 0.1),
            ("+5", 5.0),
            ("1.", 1.0),
        ] {
            assert_eq!(parse_quantity(text), Some(value), "{text}");
        }
        for bad in ["", " 1", "1 ", "1Gb", "--1", "1.2.3", "Mi", "1-2", "."] {
            assert_eq!(parse_quantity(bad), None, "{bad}");
        }
    }

    #[test]
    fn exact_comparison_and_arithmetic() {
        assert_eq!(q("1Ki"), q("1024"));
        assert_eq!(q("1000m"), q("1"));
        assert_eq!(q("0.1").checked_add(&q("0.2")), Some(q("300m")));
        assert_eq!(q("1Gi").checked_sub(&q("1Mi")), Some(q("1047552Ki")));
        assert_eq!(q("999m").compare(&q("1")), Ordering::Less);
        assert_eq!(q("1e-1000").compare(&q("1e1000")), Ordering::Less);
        assert_eq!(q("5Gi").as_i64(), Some(5 * 1024 * 1024 * 1024));
        assert_eq!(q("1500m").as_i64(), None);
        assert_eq!(q("1e30").as_i64(), None);
        assert_eq!((q("-3").sign(), q("0").sign(), q("2m").sign()), (-1, 0, 1));
    }
}
