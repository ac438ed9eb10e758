//! Evaluation of parsed JMESPath the way Kyverno's JMESPath does it: a
//! sub-expression whose left side is null is null (the right side, a function
//! call for example, is not evaluated), as the JMESPath specification says.

use jmespath::ast::Ast;
use jmespath::{Context, JmespathError, Rcvar, Variable};

use super::limits;

fn null() -> Rcvar {
    Rcvar::new(Variable::Null)
}

/// The error that stops an evaluation out of steps; the caller names the limit.
fn out_of_steps(ctx: &Context<'_>) -> JmespathError {
    JmespathError::new(
        ctx.expression,
        ctx.offset,
        jmespath::ErrorReason::Parse("evaluation limit reached".into()),
    )
}

pub fn eval(ast: &Ast, data: &Rcvar, ctx: &mut Context<'_>) -> Result<Rcvar, JmespathError> {
    if !limits::spend(1) {
        return Err(out_of_steps(ctx));
    }
    Ok(match ast {
        Ast::Identity { .. } => data.clone(),
        Ast::Field { name, .. } => match &**data {
            Variable::Object(map) => map.get(name).cloned().unwrap_or_else(null),
            _ => null(),
        },
        Ast::Subexpr { lhs, rhs, .. } => {
            let left = eval(lhs, data, ctx)?;
            if left.is_null() {
                return Ok(left);
            }
            eval(rhs, &left, ctx)?
        }
        Ast::Index { idx, .. } => match &**data {
            Variable::Array(items) => {
                let i = if *idx < 0 {
                    items.len() as i64 + i64::from(*idx)
                } else {
                    i64::from(*idx)
                };
                usize::try_from(i)
                    .ok()
                    .and_then(|i| items.get(i).cloned())
                    .unwrap_or_else(null)
            }
            _ => null(),
        },
        Ast::Literal { value, .. } => value.clone(),
        Ast::MultiList { elements, .. } => {
            if data.is_null() {
                return Ok(null());
            }
            let items = elements
                .iter()
                .map(|e| eval(e, data, ctx))
                .collect::<Result<Vec<_>, _>>()?;
            Rcvar::new(Variable::Array(items))
        }
        Ast::MultiHash { elements, .. } => {
            if data.is_null() {
                return Ok(null());
            }
            let mut map = std::collections::BTreeMap::new();
            for kv in elements {
                map.insert(kv.key.clone(), eval(&kv.value, data, ctx)?);
            }
            Rcvar::new(Variable::Object(map))
        }
        Ast::Projection { lhs, rhs, .. } => {
            let left = eval(lhs, data, ctx)?;
            let Variable::Array(items) = &*left else {
                return Ok(null());
            };
            if !limits::spend(items.len() as u64) {
                return Err(out_of_steps(ctx));
            }
            let mut out = Vec::with_capacity(items.len());
            for item in items {
                let v = eval(rhs, item, ctx)?;
                if !v.is_null() {
                    out.push(v);
                }
            }
            Rcvar::new(Variable::Array(out))
        }
        Ast::ObjectValues { node, .. } => {
            let v = eval(node, data, ctx)?;
            match &*v {
                Variable::Object(map) => {
                    Rcvar::new(Variable::Array(map.values().cloned().collect()))
                }
                _ => null(),
            }
        }
        Ast::Flatten { node, .. } => {
            let v = eval(node, data, ctx)?;
            let Variable::Array(items) = &*v else {
                return Ok(null());
            };
            let mut out = Vec::with_capacity(items.len());
            for item in items {
                let count = match &**item {
                    Variable::Array(inner) => inner.len(),
                    _ => 1,
                };
                if !limits::spend(count as u64) {
                    return Err(out_of_steps(ctx));
                }
                match &**item {
                    Variable::Array(inner) => out.extend(inner.iter().cloned()),
                    _ => out.push(item.clone()),
                }
            }
            Rcvar::new(Variable::Array(out))
        }
        Ast::Comparison {
            comparator,
            lhs,
            rhs,
            ..
        } => {
            let (l, r) = (eval(lhs, data, ctx)?, eval(rhs, data, ctx)?);
            match l.compare(comparator, &r) {
                Some(b) => Rcvar::new(Variable::Bool(b)),
                None => null(),
            }
        }
        Ast::Condition {
            predicate, then, ..
        } => {
            if eval(predicate, data, ctx)?.is_truthy() {
                eval(then, data, ctx)?
            } else {
                null()
            }
        }
        Ast::Not { node, .. } => Rcvar::new(Variable::Bool(!eval(node, data, ctx)?.is_truthy())),
        Ast::And { lhs, rhs, .. } => {
            let l = eval(lhs, data, ctx)?;
            if l.is_truthy() {
                eval(rhs, data, ctx)?
            } else {
                l
            }
        }
        Ast::Or { lhs, rhs, .. } => {
            let l = eval(lhs, data, ctx)?;
            if l.is_truthy() {
                l
            } else {
                eval(rhs, data, ctx)?
            }
        }
        Ast::Slice {
            start, stop, step, ..
        } => match data.slice(*start, *stop, *step) {
            Some(items) => Rcvar::new(Variable::Array(items)),
            None => null(),
        },
        Ast::Expref { ast, .. } => Rcvar::new(Variable::Expref((**ast).clone())),
        Ast::Function { name, args, offset } => {
            let mut values = Vec::with_capacity(args.len());
            for a in args {
                values.push(eval(a, data, ctx)?);
            }
            ctx.offset = *offset;
            // A function may print, join or copy its arguments whole: their
            // expanded size is what it would cost.
            if let Some(big) = values
                .iter()
                .position(|v| !limits::size_within(v, limits::MAX_VALUE_SIZE))
            {
                return Err(JmespathError::new(
                    ctx.expression,
                    *offset,
                    jmespath::ErrorReason::Parse(format!(
                        "argument {} of {name}() is larger than the limit of {} (elements and string bytes)",
                        big + 1,
                        limits::MAX_VALUE_SIZE
                    )),
                ));
            }
            let runtime = ctx.runtime;
            match runtime.get_function(name) {
                Some(f) => f.evaluate(&values, ctx)?,
                None => {
                    return Err(JmespathError::new(
                        ctx.expression,
                        *offset,
                        jmespath::ErrorReason::Runtime(jmespath::RuntimeError::UnknownFunction(
                            name.clone(),
                        )),
                    ))
                }
            }
        }
    })
}
