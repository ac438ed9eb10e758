//! Rule exceptions become part of the rule's condition:
//! `condition and not (exception_1 or exception_2 ...)`, each exception being the
//! `or` of its value tuples and each tuple the `and` of its field comparisons.

use crate::ast::{Expr, FieldExpr, ListItem, Op, Rhs};
use crate::loader::ExceptionDef;
use crate::parser::parse_condition;
use crate::value::ExceptionValue;

/// Parses an exception field (`proc.aname[2]`, `tolower(proc.name)`).
fn parse_field(text: &str) -> Result<FieldExpr, String> {
    match parse_condition(&format!("{text} exists")) {
        Ok(Expr::Check { field, .. }) => Ok(field),
        _ => Err(format!("invalid exception field '{text}'")),
    }
}

fn list_items(values: &[String]) -> Vec<ListItem> {
    values.iter().map(|v| ListItem::Bare(v.clone())).collect()
}

fn rhs_for(op: Op, value: &ExceptionValue) -> Rhs {
    match (value, op.takes_list()) {
        (ExceptionValue::List(items), _) => Rhs::List(list_items(items)),
        (ExceptionValue::Scalar(s), true) => Rhs::List(vec![ListItem::Bare(s.clone())]),
        (ExceptionValue::Scalar(s), false) => Rhs::Value(s.clone()),
    }
}

fn parse_op(exception: &ExceptionDef, comp: &str) -> Result<Op, String> {
    Op::parse(comp)
        .filter(|op| *op != Op::Exists)
        .ok_or_else(|| {
            format!(
                "exception '{}': invalid comparison operator '{comp}'",
                exception.name
            )
        })
}

/// The expression an exception excludes, or `None` when it has no values yet.
pub(crate) fn exception_expr(exception: &ExceptionDef) -> Result<Option<Expr>, String> {
    if exception.values.is_empty() || exception.fields.is_empty() {
        return Ok(None);
    }
    let fields = exception
        .fields
        .iter()
        .map(|f| parse_field(f))
        .collect::<Result<Vec<_>, _>>()?;
    let ops = exception
        .comps
        .iter()
        .map(|c| parse_op(exception, c))
        .collect::<Result<Vec<_>, _>>()?;
    if exception.single {
        let op = ops[0];
        let field = fields[0].clone();
        if op.takes_list() {
            let mut items = Vec::new();
            for tuple in &exception.values {
                match &tuple[0] {
                    ExceptionValue::Scalar(s) => items.push(ListItem::Bare(s.clone())),
                    ExceptionValue::List(l) => items.extend(list_items(l)),
                }
            }
            return Ok(Some(Expr::Check {
                field,
                op,
                rhs: Rhs::List(items),
            }));
        }
        let alternatives = exception
            .values
            .iter()
            .map(|tuple| Expr::Check {
                field: field.clone(),
                op,
                rhs: rhs_for(op, &tuple[0]),
            })
            .collect();
        return Ok(Some(Expr::Or(alternatives)));
    }
    let mut alternatives = Vec::new();
    for tuple in &exception.values {
        let checks = fields
            .iter()
            .zip(&ops)
            .zip(tuple)
            .map(|((field, op), value)| Expr::Check {
                field: field.clone(),
                op: *op,
                rhs: rhs_for(*op, value),
            })
            .collect();
        alternatives.push(Expr::And(checks));
    }
    Ok(Some(Expr::Or(alternatives)))
}
