//! Kyverno's math library: `math.round(value, digits)`, `value` rounded to
//! `digits` decimal places (half away from zero; a negative `digits`
//! rounds to tens, hundreds...). CEL's `math.round(value)` stays as it is:
//! this is a second overload of the same name.

use cel::common::types::{CelDouble, CelInt, DOUBLE_TYPE, INT_TYPE};
use cel::common::value::CowVal;
use cel::{DeclarationError, Env};

use crate::library::{err, owned, two, R};

pub(super) fn register(env: &mut Env) -> Result<(), DeclarationError> {
    env.add_overload(
        "math.round",
        "kyverno_math_round_double_int",
        vec![DOUBLE_TYPE, INT_TYPE],
        round,
    )
}

fn round<'b, 'v>(args: Vec<CowVal<'b, 'v>>) -> R<'b, 'v> {
    let (value, digits) = two(&args)?;
    let value = value
        .downcast_ref::<CelDouble>()
        .ok_or_else(|| err("math.round", "expected a double"))?;
    let digits = digits
        .downcast_ref::<CelInt>()
        .ok_or_else(|| err("math.round", "expected an int of digits"))?;
    // Kyverno scales, rounds and scales back in doubles: the same here, so
    // that the last digit agrees with it.
    let shift = 10f64.powf(*digits.inner() as f64);
    owned(CelDouble::from((value.inner() * shift).round() / shift))
}

#[cfg(test)]
mod tests {
    use super::super::tests::{eval, json};
    use serde_json::json;

    #[test]
    fn rounds_to_the_given_digits() {
        assert_eq!(json("math.round(2.71828, 2)"), json!(2.72));
        assert_eq!(json("math.round(2.5, 0)"), json!(3.0));
        assert_eq!(json("math.round(-2.5, 0)"), json!(-3.0));
        assert_eq!(json("math.round(1234.5, -2)"), json!(1200.0));
        // CEL's own one-argument overload is still there.
        assert_eq!(json("math.round(1.5)"), json!(2.0));
    }

    #[test]
    fn wants_a_double_and_an_int() {
        assert!(eval("math.round(3, 2)").is_err());
        assert!(eval("math.round(3.0, 2.0)").is_err());
    }
}
