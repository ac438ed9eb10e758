//! Macros the engine does not ship, expanded at parse time into plain
//! comprehensions so the interpreter needs nothing new.

use cel::common::ast::{ComprehensionExpr, Expr, IdedExpr, ListExpr, LiteralValue};
use cel::parser::Macro;

/// `cel.bind(name, init, body)`: `body` with `name` bound to `init`, as a
/// comprehension over an empty list whose accumulator is the binding.
pub(crate) fn bind() -> Macro {
    Macro::receiver("bind", 3, |helper, target, args| {
        let is_cel = matches!(target.as_ref().map(|t| &t.expr), Some(Expr::Ident(n)) if n == "cel");
        if !is_cel {
            return Ok(None);
        }
        let body = args.remove(2);
        let init = args.remove(1);
        let name = match args.remove(0) {
            IdedExpr {
                expr: Expr::Ident(n),
                ..
            } => n,
            other => return Err(helper.new_error(other.id, "cel.bind: first argument must be a simple name")),
        };
        let empty = helper.next_expr(Expr::List(ListExpr::new(Vec::new())));
        let cond = helper.next_expr(Expr::Literal(LiteralValue::Boolean(false.into())));
        let step = helper.next_expr(Expr::Ident(name.clone()));
        Ok(Some(helper.next_expr(Expr::Comprehension(Box::new(
            ComprehensionExpr {
                iter_range: empty,
                iter_var: "#unused".to_string(),
                iter_var2: None,
                accu_var: name,
                accu_init: init,
                loop_cond: cond,
                loop_step: step,
                result: body,
            },
        )))))
    })
}
