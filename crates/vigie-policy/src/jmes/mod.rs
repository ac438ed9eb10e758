//! JMESPath as Kyverno runs it: the standard language plus Kyverno's functions,
//! compiled once per expression and evaluated over [`Rcvar`] documents.

mod encoding;
mod functions;
mod interp;
mod random;
mod semver;
mod time;
mod x509;

use std::sync::LazyLock;

use jmespath::{ast::Ast, Context, Runtime};
pub use jmespath::{Rcvar, Variable};
use serde_json::Value as Json;

static RUNTIME: LazyLock<Runtime> = LazyLock::new(|| {
    let mut runtime = Runtime::new();
    runtime.register_builtin_functions();
    functions::register(&mut runtime);
    runtime
});

/// A compiled JMESPath expression.
#[derive(Clone, Debug)]
pub struct Expr {
    source: String,
    ast: Ast,
    /// A plain field path (`a.b[0].c`): Kyverno reports such a path that leads
    /// nowhere as an unresolved variable rather than as `null`.
    is_path: bool,
}

/// Why an expression could not be compiled or evaluated.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EvalError {
    /// A field path that leads to nothing.
    NotFound(String),
    Failed(String),
}

impl std::fmt::Display for EvalError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            EvalError::NotFound(expr) => write!(f, "variable {expr} not found"),
            EvalError::Failed(reason) => f.write_str(reason),
        }
    }
}

impl Expr {
    pub fn compile(source: &str) -> Result<Expr, String> {
        let source = source.trim();
        let ast =
            jmespath::parse(source).map_err(|e| format!("invalid JMESPath {source:?}: {e}"))?;
        check_functions(&ast)?;
        Ok(Expr {
            source: source.to_string(),
            is_path: is_path(&ast),
            ast,
        })
    }

    pub fn source(&self) -> &str {
        &self.source
    }

    pub fn search(&self, data: &Rcvar) -> Result<Rcvar, EvalError> {
        let mut ctx = Context::new(&self.source, &RUNTIME);
        let result = interp::eval(&self.ast, data, &mut ctx).map_err(|e| {
            EvalError::Failed(format!("JMESPath query {:?} failed: {e}", self.source))
        })?;
        if self.is_path && result.is_null() {
            return Err(EvalError::NotFound(self.source.clone()));
        }
        Ok(result)
    }
}

fn is_path(ast: &Ast) -> bool {
    match ast {
        Ast::Field { .. } => true,
        Ast::Subexpr { lhs, rhs, .. } => is_path(lhs) && is_path(rhs),
        Ast::Index { .. } => true,
        _ => false,
    }
}

/// Unknown function names are policy errors, found when the policy is loaded.
fn check_functions(ast: &Ast) -> Result<(), String> {
    let mut result = Ok(());
    visit(ast, &mut |node| {
        if let Ast::Function { name, .. } = node {
            if RUNTIME.get_function(name).is_none() && result.is_ok() {
                result = Err(format!("unknown JMESPath function {name}()"));
            }
        }
    });
    result
}

fn visit(ast: &Ast, f: &mut dyn FnMut(&Ast)) {
    f(ast);
    match ast {
        Ast::Comparison { lhs, rhs, .. }
        | Ast::Projection { lhs, rhs, .. }
        | Ast::And { lhs, rhs, .. }
        | Ast::Or { lhs, rhs, .. }
        | Ast::Subexpr { lhs, rhs, .. } => {
            visit(lhs, f);
            visit(rhs, f);
        }
        Ast::Condition {
            predicate, then, ..
        } => {
            visit(predicate, f);
            visit(then, f);
        }
        Ast::Expref { ast, .. } => visit(ast, f),
        Ast::Flatten { node, .. } | Ast::Not { node, .. } | Ast::ObjectValues { node, .. } => {
            visit(node, f)
        }
        Ast::Function { args, .. } => args.iter().for_each(|a| visit(a, f)),
        Ast::MultiList { elements, .. } => elements.iter().for_each(|a| visit(a, f)),
        Ast::MultiHash { elements, .. } => elements.iter().for_each(|kv| visit(&kv.value, f)),
        Ast::Identity { .. }
        | Ast::Field { .. }
        | Ast::Index { .. }
        | Ast::Literal { .. }
        | Ast::Slice { .. } => {}
    }
}

pub fn to_var(value: &Json) -> Rcvar {
    Rcvar::new(Variable::try_from(value).unwrap_or(Variable::Null))
}

pub fn to_json(var: &Variable) -> Json {
    serde_json::to_value(var).unwrap_or(Json::Null)
}

pub fn string(s: impl Into<String>) -> Rcvar {
    Rcvar::new(Variable::String(s.into()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn eval(expr: &str, data: Json) -> Result<Json, EvalError> {
        Expr::compile(expr)
            .unwrap()
            .search(&to_var(&data))
            .map(|v| to_json(&v))
    }

    #[test]
    fn standard_expressions() {
        let data = json!({"spec": {"containers": [{"name": "a", "image": "x"}, {"name": "b", "image": "y"}]}});
        assert_eq!(
            eval("spec.containers[].name", data.clone()),
            Ok(json!(["a", "b"]))
        );
        assert_eq!(eval("length(spec.containers)", data.clone()), Ok(json!(2)));
        assert_eq!(
            eval("spec.containers[?name=='b'].image | [0]", data.clone()),
            Ok(json!("y"))
        );
        assert_eq!(
            eval("spec.missing || 'dflt'", data.clone()),
            Ok(json!("dflt"))
        );
    }

    #[test]
    fn missing_path_is_not_found() {
        assert_eq!(
            eval("a.b", json!({"a": {}})),
            Err(EvalError::NotFound("a.b".into()))
        );
        assert_eq!(eval("a.b || ''", json!({"a": {}})), Ok(json!("")));
    }

    #[test]
    fn unknown_function_is_a_compile_error() {
        assert!(Expr::compile("no_such_fn(a)").is_err());
        assert!(Expr::compile("a.[").is_err());
    }
}
