//! Kubernetes' CEL libraries, as the API server (and Kyverno) add them to
//! the language: registered on an engine by [`register`].
//!
//! Done: the regex library (`find`, `findAll`), the sets library
//! (`sets.contains`, `sets.equivalent`, `sets.intersects`), the lists
//! library (`indexOf`, `lastIndexOf`, `isSorted`, `min`, `max`, `sum`), the
//! URL, quantity, semver, format and authorizer libraries,
//! `jsonpatch.escapeKey`, Kyverno's `generator.Apply` (see [`generator`])
//! and the lenient `orValue` Kubernetes policies rely on (IP and CIDR are in
//! [`crate::network`]).

pub mod authz;
pub mod format;
pub mod generator;
mod jsonpatch;
mod lists;
pub mod quantity;
mod regex_lib;
pub mod semver;
mod sets;
pub mod url;

use cel::common::ast::{CallExpr, Expr};
use cel::common::types::{CelOptional, Kind, DYN_TYPE};
use cel::common::value::CowVal;
use cel::parser::Macro;
use cel::{DeclarationError, Env, ExecutionError};

/// Adds the Kubernetes libraries to `env`.
pub fn register(env: &mut Env) -> Result<(), DeclarationError> {
    regex_lib::register(env)?;
    lists::register(env)?;
    sets::register(env)?;
    url::register(env)?;
    quantity::register(env)?;
    semver::register(env)?;
    format::register(env)?;
    authz::register(env)?;
    jsonpatch::register(env)?;
    generator::register(env)?;
    // Kyverno's own suites expect `list.orValue(default)` and
    // `map.orValue(default)` on a value that is present (not an optional)
    // to give that value: policies write `c.volumeMounts.orValue([])`. The
    // engine's `orValue` accepts only optionals, and matches every receiver
    // first, so every `x.orValue(d)` is routed to one function that serves
    // both.
    env.add_macro(Macro::receiver("orValue", 1, |helper, target, args| {
        let Some(target) = target.take() else {
            return Ok(None);
        };
        let default = args.remove(0);
        Ok(Some(helper.next_expr(Expr::Call(CallExpr {
            func_name: OR_VALUE.to_owned(),
            target: Some(Box::new(target)),
            args: vec![default],
        }))))
    }))?;
    env.add_member_overload(OR_VALUE, OR_VALUE, DYN_TYPE, vec![DYN_TYPE], or_value)?;
    Ok(())
}

// The URL, quantity, semver and authorizer values as [`cel::Value`]s and
// back (a named format is not a result a policy can keep).
crate::library::opaque_conversions!(
    url::Url,
    quantity::CelQuantity,
    semver::Semver,
    authz::Authz,
    authz::Decision,
);

/// The function `orValue` calls become; its name cannot be written in CEL.
pub(crate) const OR_VALUE: &str = "@k8sOrValue";

/// `x.orValue(d)`: the optional's value or `d`; a present list or map itself.
fn or_value<'b, 'v>(mut args: Vec<CowVal<'b, 'v>>) -> Result<CowVal<'b, 'v>, ExecutionError> {
    if args.len() != 2 {
        return Err(ExecutionError::function_error(
            "orValue",
            "expects one argument",
        ));
    }
    let default = args.remove(1);
    let this = args.remove(0);
    if let Some(opt) = this.as_ref().downcast_ref::<CelOptional>() {
        return Ok(match opt.option() {
            Some(v) => CowVal::Owned(v.clone_as_boxed()),
            None => default,
        });
    }
    match this.as_ref().get_type().kind() {
        Kind::List | Kind::Map => Ok(this),
        _ => Err(ExecutionError::function_error(
            "orValue",
            format!(
                "found no matching overload for 'orValue' applied to '{}'",
                this.as_ref().get_type().name()
            ),
        )),
    }
}
