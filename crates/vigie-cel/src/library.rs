//! What the library functions (the Kubernetes libraries of [`crate::k8s`],
//! [`crate::network`] and [`crate::kyverno`]) share: their arguments taken
//! apart, the shape of their errors, their methods registered, and their
//! opaque values converted to and from [`cel::Value`].

use std::cmp::Ordering;

use cel::common::functions::Function;
use cel::common::types::{CelBool, CelInt, CelString, Type};
use cel::common::value::{CowVal, Val};
use cel::{DeclarationError, Env, ExecutionError};

/// What a library function returns.
pub(crate) type R<'b, 'v> = Result<CowVal<'b, 'v>, ExecutionError>;

/// The error of library function `function`: `e` is what CEL programs see.
pub(crate) fn err(function: &str, e: impl ToString) -> ExecutionError {
    ExecutionError::function_error(function, e.to_string())
}

/// `v` as a string, or `function`'s error.
pub(crate) fn string_arg<'a>(
    v: &'a CowVal<'_, '_>,
    function: &str,
) -> Result<&'a str, ExecutionError> {
    v.downcast_ref::<CelString>()
        .map(|s| s.inner())
        .ok_or_else(|| err(function, "expected a string"))
}

/// The one argument of a call (the receiver of a method that takes none).
pub(crate) fn one<'a, 'b, 'v>(
    args: &'a [CowVal<'b, 'v>],
) -> Result<&'a CowVal<'b, 'v>, ExecutionError> {
    match args {
        [a] => Ok(a),
        _ => Err(ExecutionError::invalid_argument_count(1, args.len())),
    }
}

/// The two arguments of a call (a method's receiver and its argument).
pub(crate) fn two<'a, 'b, 'v>(
    args: &'a [CowVal<'b, 'v>],
) -> Result<(&'a CowVal<'b, 'v>, &'a CowVal<'b, 'v>), ExecutionError> {
    match args {
        [a, b] => Ok((a, b)),
        _ => Err(ExecutionError::invalid_argument_count(2, args.len())),
    }
}

/// `v` as a function's result.
pub(crate) fn owned<'b, 'v>(v: impl Val + 'v) -> R<'b, 'v> {
    Ok(CowVal::owned(v))
}

/// A whole [`cel::Value`] (a map or list a function built) as its result.
pub(crate) fn value_result<'b, 'v>(v: cel::Value) -> R<'b, 'v> {
    let boxed: Box<dyn Val> = v.try_into()?;
    Ok(CowVal::Owned(boxed))
}

/// The elements of a list argument, or `function`'s error.
pub(crate) fn list_elements<'b, 'v>(
    function: &str,
    list: &'b (dyn Val + 'v),
) -> Result<Vec<&'b (dyn Val + 'v)>, ExecutionError> {
    let iterable = list.as_iterable().ok_or_else(|| {
        err(
            function,
            format!("{} is not a list", list.get_type().name()),
        )
    })?;
    let mut it = iterable.iter();
    let mut out = Vec::new();
    while let Some(v) = it.next() {
        out.push(v);
    }
    Ok(out)
}

/// Registers each of `methods` (a name and its function) as a method of
/// `receiver` taking `args`, under the overload id `{id_prefix}{name}`.
pub(crate) fn add_methods(
    env: &mut Env,
    receiver: &Type,
    id_prefix: &str,
    args: &[Type],
    methods: &[(&str, Function)],
) -> Result<(), DeclarationError> {
    for (name, f) in methods {
        env.add_member_overload(
            name,
            &format!("{id_prefix}{name}"),
            receiver.to_owned(),
            args.iter().map(Type::to_owned).collect(),
            *f,
        )?;
    }
    Ok(())
}

/// Registers each of `functions` (a name, an overload id and the function)
/// as a global function taking `args`.
pub(crate) fn add_functions(
    env: &mut Env,
    args: &[Type],
    functions: &[(&str, &str, Function)],
) -> Result<(), DeclarationError> {
    for (name, id, f) in functions {
        env.add_overload(name, id, args.iter().map(Type::to_owned).collect(), *f)?;
    }
    Ok(())
}

/// A library type whose values order (quantities, semantic versions): it
/// gets the methods `compareTo`, `isGreaterThan` and `isLessThan` from
/// [`add_comparisons`].
pub(crate) trait Ordered {
    /// How the receiver and the argument of `args` order, or `function`'s
    /// error when either is not a value of the type.
    fn order(args: &[CowVal<'_, '_>], function: &str) -> Result<Ordering, ExecutionError>;
}

fn compare_to<'b, 'v, T: Ordered>(args: Vec<CowVal<'b, 'v>>) -> R<'b, 'v> {
    owned(CelInt::from(T::order(&args, "compareTo")? as i64))
}

fn is_greater_than<'b, 'v, T: Ordered>(args: Vec<CowVal<'b, 'v>>) -> R<'b, 'v> {
    owned(CelBool::from(
        T::order(&args, "isGreaterThan")? == Ordering::Greater,
    ))
}

fn is_less_than<'b, 'v, T: Ordered>(args: Vec<CowVal<'b, 'v>>) -> R<'b, 'v> {
    owned(CelBool::from(
        T::order(&args, "isLessThan")? == Ordering::Less,
    ))
}

/// Registers `compareTo`, `isGreaterThan` and `isLessThan` on `receiver`
/// (values of `T`), taking `args`, under the overload ids
/// `{id_prefix}{name}`.
pub(crate) fn add_comparisons<T: Ordered>(
    env: &mut Env,
    receiver: &Type,
    id_prefix: &str,
    args: &[Type],
) -> Result<(), DeclarationError> {
    add_methods(
        env,
        receiver,
        id_prefix,
        args,
        &[
            ("compareTo", compare_to::<T>),
            ("isGreaterThan", is_greater_than::<T>),
            ("isLessThan", is_less_than::<T>),
        ],
    )
}

/// `from_value` and `to_value` for a module's opaque values (each type
/// declared with `opaque_val!`): a result holding one of them becomes a
/// [`cel::Value`], and such a value bound again as a variable is the same
/// value to the engine.
macro_rules! opaque_conversions {
    ($($t:ty),+ $(,)?) => {
        /// The engine form of a [`cel::Value`] holding one of this module's
        /// values.
        pub(crate) fn from_value(
            o: &std::sync::Arc<dyn cel::objects::Opaque>,
        ) -> Option<Box<dyn cel::common::value::Val>> {
            $(
                if let Some(x) = o.downcast_ref::<$t>() {
                    return Some(Box::new(x.clone()));
                }
            )+
            None
        }

        /// The [`cel::Value`] of one of this module's values (for results).
        pub(crate) fn to_value(v: &dyn cel::common::value::Val) -> Option<cel::Value> {
            $(
                if let Some(x) = v.downcast_ref::<$t>() {
                    return Some(cel::Value::Opaque(std::sync::Arc::new(x.clone())));
                }
            )+
            None
        }
    };
}
pub(crate) use opaque_conversions;
