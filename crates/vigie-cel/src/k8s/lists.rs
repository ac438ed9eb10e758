//! Kubernetes' lists library: `l.indexOf(x)`, `l.lastIndexOf(x)` (-1 when
//! absent, CEL equality), `l.isSorted()`, `l.min()`, `l.max()` (an error on
//! an empty list or on elements that do not compare, as in Kubernetes) and
//! `l.sum()` (of ints, uints, doubles or durations; `0` for an empty list).

use std::cmp::Ordering;

use cel::common::types::{CelBool, CelInt, Kind, DYN_TYPE, LIST_TYPE};
use cel::common::value::{CowVal, Val};
use cel::{DeclarationError, Env, ExecutionError};

use crate::library::list_elements;

pub(super) fn register(env: &mut Env) -> Result<(), DeclarationError> {
    env.add_member_overload(
        "indexOf",
        "list_index_of",
        LIST_TYPE,
        vec![DYN_TYPE],
        index_of,
    )?;
    env.add_member_overload(
        "lastIndexOf",
        "list_last_index_of",
        LIST_TYPE,
        vec![DYN_TYPE],
        last_index_of,
    )?;
    env.add_member_overload("isSorted", "list_is_sorted", LIST_TYPE, vec![], is_sorted)?;
    env.add_member_overload("min", "list_min", LIST_TYPE, vec![], min)?;
    env.add_member_overload("max", "list_max", LIST_TYPE, vec![], max)?;
    env.add_member_overload("sum", "list_sum", LIST_TYPE, vec![], sum)?;
    Ok(())
}

fn compare(function: &str, a: &dyn Val, b: &dyn Val) -> Result<Ordering, ExecutionError> {
    let comparer = a.as_comparer().ok_or_else(|| {
        ExecutionError::function_error(
            function,
            format!("{} values cannot be ordered", a.get_type().name()),
        )
    })?;
    comparer.compare(b)
}

fn position<'b, 'v>(
    function: &str,
    args: &[CowVal<'b, 'v>],
    last: bool,
) -> Result<CowVal<'b, 'v>, ExecutionError> {
    let [list, needle] = args else {
        return Err(ExecutionError::function_error(
            function,
            "expects one argument",
        ));
    };
    let items = list_elements(function, list.as_ref())?;
    let hit = |(_, v): &(usize, &&dyn Val)| v.equals(needle.as_ref());
    let found = if last {
        items.iter().enumerate().rev().find(hit)
    } else {
        items.iter().enumerate().find(hit)
    };
    let index = found.map_or(-1, |(i, _)| i as i64);
    Ok(CowVal::Owned(Box::new(CelInt::from(index))))
}

fn index_of<'b, 'v>(args: Vec<CowVal<'b, 'v>>) -> Result<CowVal<'b, 'v>, ExecutionError> {
    position("indexOf", &args, false)
}

fn last_index_of<'b, 'v>(args: Vec<CowVal<'b, 'v>>) -> Result<CowVal<'b, 'v>, ExecutionError> {
    position("lastIndexOf", &args, true)
}

fn is_sorted<'b, 'v>(args: Vec<CowVal<'b, 'v>>) -> Result<CowVal<'b, 'v>, ExecutionError> {
    let [list] = args.as_slice() else {
        return Err(ExecutionError::function_error(
            "isSorted",
            "takes no argument",
        ));
    };
    let items = list_elements("isSorted", list.as_ref())?;
    for pair in items.windows(2) {
        if compare("isSorted", pair[0], pair[1])? == Ordering::Greater {
            return Ok(CowVal::Owned(Box::new(CelBool::from(false))));
        }
    }
    Ok(CowVal::Owned(Box::new(CelBool::from(true))))
}

fn extreme<'b, 'v>(
    function: &str,
    args: &[CowVal<'b, 'v>],
    keep: Ordering,
) -> Result<CowVal<'b, 'v>, ExecutionError> {
    let [list] = args else {
        return Err(ExecutionError::function_error(
            function,
            "takes no argument",
        ));
    };
    let items = list_elements(function, list.as_ref())?;
    let mut best = *items.first().ok_or_else(|| {
        ExecutionError::function_error(function, format!("{function} called on empty list"))
    })?;
    for item in &items[1..] {
        if compare(function, *item, best)? == keep {
            best = *item;
        }
    }
    Ok(CowVal::Owned(best.clone_as_boxed()))
}

fn min<'b, 'v>(args: Vec<CowVal<'b, 'v>>) -> Result<CowVal<'b, 'v>, ExecutionError> {
    extreme("min", &args, Ordering::Less)
}

fn max<'b, 'v>(args: Vec<CowVal<'b, 'v>>) -> Result<CowVal<'b, 'v>, ExecutionError> {
    extreme("max", &args, Ordering::Greater)
}

/// `l.sum()`: the elements added with CEL's `+` (so an overflow is an
/// error), which must all be numbers or durations.
fn sum<'b, 'v>(args: Vec<CowVal<'b, 'v>>) -> Result<CowVal<'b, 'v>, ExecutionError> {
    let [list] = args.as_slice() else {
        return Err(ExecutionError::function_error("sum", "takes no argument"));
    };
    let items = list_elements("sum", list.as_ref())?;
    let Some((first, rest)) = items.split_first() else {
        return Ok(CowVal::Owned(Box::new(CelInt::from(0))));
    };
    let summable = |v: &dyn Val| {
        matches!(
            v.get_type().kind(),
            Kind::Int | Kind::UInt | Kind::Double | Kind::Duration
        )
    };
    let mut total: Box<dyn Val + 'v> = first.clone_as_boxed();
    for item in std::iter::once(first).chain(rest) {
        if !summable(*item) {
            return Err(ExecutionError::function_error(
                "sum",
                format!("cannot sum {} values", item.get_type().name()),
            ));
        }
    }
    for item in rest {
        let adder = total
            .as_adder()
            .ok_or_else(|| ExecutionError::function_error("sum", "elements cannot be added"))?;
        let next = adder.add(*item)?.into_owned();
        total = next;
    }
    Ok(CowVal::Owned(total))
}
