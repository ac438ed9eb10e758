//! Kubernetes' sets library on lists: `sets.contains(a, b)` (every element
//! of `b` is in `a`), `sets.equivalent(a, b)` (each contains the other) and
//! `sets.intersects(a, b)` (an element in both). Elements compare with CEL
//! equality (`1 == 1.0`), as in cel-go's `ext.Sets()`.

use cel::common::types::{CelBool, LIST_TYPE};
use cel::common::value::{CowVal, Val};
use cel::{DeclarationError, Env, ExecutionError};

use crate::library::list_elements;

pub(super) fn register(env: &mut Env) -> Result<(), DeclarationError> {
    env.add_overload(
        "sets.contains",
        "list_sets_contains_list",
        vec![LIST_TYPE, LIST_TYPE],
        contains,
    )?;
    env.add_overload(
        "sets.equivalent",
        "list_sets_equivalent_list",
        vec![LIST_TYPE, LIST_TYPE],
        equivalent,
    )?;
    env.add_overload(
        "sets.intersects",
        "list_sets_intersects_list",
        vec![LIST_TYPE, LIST_TYPE],
        intersects,
    )?;
    Ok(())
}

fn includes(haystack: &[&dyn Val], needle: &dyn Val) -> bool {
    haystack.iter().any(|h| h.equals(needle))
}

/// The elements of a list argument.
type Elements<'b, 'v> = Vec<&'b (dyn Val + 'v)>;

fn two<'b, 'v>(
    function: &str,
    args: &'b [CowVal<'b, 'v>],
) -> Result<(Elements<'b, 'v>, Elements<'b, 'v>), ExecutionError> {
    match args {
        [a, b] => Ok((
            list_elements(function, a.as_ref())?,
            list_elements(function, b.as_ref())?,
        )),
        _ => Err(ExecutionError::function_error(
            function,
            "expects two lists",
        )),
    }
}

fn boolean<'b, 'v>(b: bool) -> Result<CowVal<'b, 'v>, ExecutionError> {
    Ok(CowVal::Owned(Box::new(CelBool::from(b))))
}

fn contains<'b, 'v>(args: Vec<CowVal<'b, 'v>>) -> Result<CowVal<'b, 'v>, ExecutionError> {
    let (a, b) = two("sets.contains", &args)?;
    let result = b.iter().all(|x| includes(&a, *x));
    boolean(result)
}

fn equivalent<'b, 'v>(args: Vec<CowVal<'b, 'v>>) -> Result<CowVal<'b, 'v>, ExecutionError> {
    let (a, b) = two("sets.equivalent", &args)?;
    let result = b.iter().all(|x| includes(&a, *x)) && a.iter().all(|x| includes(&b, *x));
    boolean(result)
}

fn intersects<'b, 'v>(args: Vec<CowVal<'b, 'v>>) -> Result<CowVal<'b, 'v>, ExecutionError> {
    let (a, b) = two("sets.intersects", &args)?;
    let result = b.iter().any(|x| includes(&a, *x));
    boolean(result)
}
