//! Kubernetes' quantity library: `quantity(s)`, `isQuantity(s)` and the
//! methods `sign()`, `isInteger()`, `asInteger()`, `asApproximateFloat()`,
//! `add()`, `sub()` (a quantity or an int), `compareTo()`,
//! `isGreaterThan()`, `isLessThan()`. Values are exact (see
//! [`vigie_resource::Quantity`]); two quantities are `==` when their
//! values are.

use std::cmp::Ordering;

use cel::common::types::{CelBool, CelDouble, CelInt, Type, INT_TYPE, STRING_TYPE};
use cel::common::value::CowVal;
use cel::{DeclarationError, Env, ExecutionError};
use vigie_resource::Quantity;

use crate::library::{add_comparisons, add_methods, err, one, owned, string_arg, two, Ordered, R};

/// The CEL type of quantities, `kubernetes.Quantity`.
pub const QUANTITY: Type = Type::new_unspecified_type("kubernetes.Quantity");
static QUANTITY_TYPE: Type = QUANTITY;

/// A quantity value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CelQuantity(pub Quantity);

opaque_val!(CelQuantity, QUANTITY_TYPE, "kubernetes.Quantity");

/// Kubernetes' reason for text that is not a quantity.
const SYNTAX: &str =
    "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";

fn quantity_arg(v: &CowVal<'_, '_>, function: &str) -> Result<Quantity, ExecutionError> {
    if let Some(q) = v.downcast_ref::<CelQuantity>() {
        return Ok(q.0);
    }
    if let Some(i) = v.downcast_ref::<CelInt>() {
        return Ok(Quantity::from_int(*i.inner()));
    }
    Quantity::parse(string_arg(v, function)?).ok_or_else(|| err(function, SYNTAX))
}

fn new<'b, 'v>(args: Vec<CowVal<'b, 'v>>) -> R<'b, 'v> {
    owned(CelQuantity(quantity_arg(one(&args)?, "quantity")?))
}

fn is_quantity<'b, 'v>(args: Vec<CowVal<'b, 'v>>) -> R<'b, 'v> {
    let s = string_arg(one(&args)?, "isQuantity")?;
    owned(CelBool::from(Quantity::parse(s).is_some()))
}

fn sign<'b, 'v>(args: Vec<CowVal<'b, 'v>>) -> R<'b, 'v> {
    owned(CelInt::from(quantity_arg(one(&args)?, "sign")?.sign()))
}

fn is_integer<'b, 'v>(args: Vec<CowVal<'b, 'v>>) -> R<'b, 'v> {
    let q = quantity_arg(one(&args)?, "isInteger")?;
    owned(CelBool::from(q.as_i64().is_some()))
}

fn as_integer<'b, 'v>(args: Vec<CowVal<'b, 'v>>) -> R<'b, 'v> {
    let q = quantity_arg(one(&args)?, "asInteger")?;
    let n = q
        .as_i64()
        .ok_or_else(|| err("asInteger", "cannot convert value to integer"))?;
    owned(CelInt::from(n))
}

fn as_float<'b, 'v>(args: Vec<CowVal<'b, 'v>>) -> R<'b, 'v> {
    let q = quantity_arg(one(&args)?, "asApproximateFloat")?;
    owned(CelDouble::from(q.to_f64()))
}

fn pair(args: &[CowVal<'_, '_>], function: &str) -> Result<(Quantity, Quantity), ExecutionError> {
    let (a, b) = two(args)?;
    Ok((quantity_arg(a, function)?, quantity_arg(b, function)?))
}

impl Ordered for CelQuantity {
    fn order(args: &[CowVal<'_, '_>], function: &str) -> Result<Ordering, ExecutionError> {
        let (a, b) = pair(args, function)?;
        Ok(a.compare(&b))
    }
}

/// `add` and `sub`: `op` of the receiver and the argument, an error when the
/// result does not fit.
fn arithmetic<'b, 'v>(
    args: &[CowVal<'b, 'v>],
    function: &str,
    op: fn(&Quantity, &Quantity) -> Option<Quantity>,
) -> R<'b, 'v> {
    let (a, b) = pair(args, function)?;
    let result = op(&a, &b).ok_or_else(|| err(function, "quantity overflow"))?;
    owned(CelQuantity(result))
}

fn add<'b, 'v>(args: Vec<CowVal<'b, 'v>>) -> R<'b, 'v> {
    arithmetic(&args, "add", Quantity::checked_add)
}

fn sub<'b, 'v>(args: Vec<CowVal<'b, 'v>>) -> R<'b, 'v> {
    arithmetic(&args, "sub", Quantity::checked_sub)
}

pub(super) fn register(env: &mut Env) -> Result<(), DeclarationError> {
    env.add_type(QUANTITY)?;
    env.add_overload("quantity", "string_to_quantity", vec![STRING_TYPE], new)?;
    env.add_overload(
        "isQuantity",
        "is_quantity_string",
        vec![STRING_TYPE],
        is_quantity,
    )?;
    add_methods(
        env,
        &QUANTITY,
        "quantity_",
        &[],
        &[
            ("sign", sign),
            ("isInteger", is_integer),
            ("asInteger", as_integer),
            ("asApproximateFloat", as_float),
        ],
    )?;
    for (name, f) in [
        ("add", add as cel::common::functions::Function),
        ("sub", sub),
    ] {
        for (arg, id) in [(QUANTITY, "quantity"), (INT_TYPE, "int")] {
            env.add_member_overload(
                name,
                &format!("quantity_{name}_{id}"),
                QUANTITY,
                vec![arg],
                f,
            )?;
        }
    }
    add_comparisons::<CelQuantity>(env, &QUANTITY, "quantity_", &[QUANTITY])
}
