//! JMESPath as Kyverno runs it: the standard language plus Kyverno's functions,
//! compiled once per expression and evaluated over [`Rcvar`] documents.

mod encoding;
mod functions;
mod interp;
pub mod limits;
mod semver;
pub(crate) mod time;

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
    pub(crate) fn compile(source: &str) -> Result<Expr, String> {
        let source = source.trim();
        limits::check_expression(source)?;
        let ast =
            jmespath::parse(source).map_err(|e| format!("invalid JMESPath {source:?}: {e}"))?;
        check_tree(&ast)?;
        Ok(Expr {
            source: source.to_string(),
            is_path: is_path(&ast),
            ast,
        })
    }

    pub fn search(&self, data: &Rcvar) -> Result<Rcvar, EvalError> {
        let mut ctx = Context::new(&self.source, &RUNTIME);
        limits::start_search();
        let result = interp::eval(&self.ast, data, &mut ctx);
        if limits::exhausted() {
            return Err(EvalError::Failed(format!(
                "JMESPath query {:?} stopped: more than the limit of {} evaluation steps",
                self.source,
                limits::MAX_EVAL_STEPS
            )));
        }
        let result = result.map_err(|e| {
            EvalError::Failed(format!("JMESPath query {:?} failed: {e}", self.source))
        })?;
        if !limits::size_within(&result, limits::MAX_VALUE_SIZE) {
            return Err(EvalError::Failed(format!(
                "JMESPath query {:?} produced a value larger than the limit of {} (elements and string bytes)",
                self.source,
                limits::MAX_VALUE_SIZE
            )));
        }
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

/// Unknown function names are policy errors, found when the policy is loaded; so
/// is a tree deeper than the evaluator may recurse. Walked without recursion.
fn check_tree(ast: &Ast) -> Result<(), String> {
    let mut stack = vec![(ast, 1usize)];
    while let Some((node, depth)) = stack.pop() {
        if depth > limits::MAX_EXPRESSION_DEPTH {
            return Err(format!(
                "JMESPath expression nests deeper than the limit of {} levels",
                limits::MAX_EXPRESSION_DEPTH
            ));
        }
        if let Ast::Function { name, .. } = node {
            if RUNTIME.get_function(name).is_none() {
                return Err(format!("unknown JMESPath function {name}()"));
            }
        }
        for child in children(node) {
            stack.push((child, depth + 1));
        }
    }
    Ok(())
}

fn children(ast: &Ast) -> Vec<&Ast> {
    match ast {
        Ast::Comparison { lhs, rhs, .. }
        | Ast::Projection { lhs, rhs, .. }
        | Ast::And { lhs, rhs, .. }
        | Ast::Or { lhs, rhs, .. }
        | Ast::Subexpr { lhs, rhs, .. } => vec![lhs, rhs],
        Ast::Condition {
            predicate, then, ..
        } => vec![predicate, then],
        Ast::Expref { ast, .. } => vec![ast],
        Ast::Flatten { node, .. } | Ast::Not { node, .. } | Ast::ObjectValues { node, .. } => {
            vec![node]
        }
        Ast::Function { args, .. } => args.iter().collect(),
        Ast::MultiList { elements, .. } => elements.iter().collect(),
        Ast::MultiHash { elements, .. } => elements.iter().map(|kv| &kv.value).collect(),
        Ast::Identity { .. }
        | Ast::Field { .. }
        | Ast::Index { .. }
        | Ast::Literal { .. }
        | Ast::Slice { .. } => Vec::new(),
    }
}

/// The JMESPath value of a JSON value, converted directly (the serde route through
/// jmespath's serializer costs several times more, and every object is converted).
pub fn to_var(value: &Json) -> Rcvar {
    Rcvar::new(match value {
        Json::Null => Variable::Null,
        Json::Bool(b) => Variable::Bool(*b),
        Json::Number(n) => Variable::Number(n.clone()),
        Json::String(s) => Variable::String(s.clone()),
        Json::Array(items) => Variable::Array(items.iter().map(to_var).collect()),
        Json::Object(map) => {
            Variable::Object(map.iter().map(|(k, v)| (k.clone(), to_var(v))).collect())
        }
    })
}

/// The JSON value of a JMESPath value (an expression reference becomes its text,
/// as jmespath's own serializer writes it).
pub fn to_json(var: &Variable) -> Json {
    match var {
        Variable::Null => Json::Null,
        Variable::Bool(b) => Json::Bool(*b),
        Variable::Number(n) => Json::Number(n.clone()),
        Variable::String(s) => Json::String(s.clone()),
        Variable::Array(items) => Json::Array(items.iter().map(|v| to_json(v)).collect()),
        Variable::Object(map) => {
            Json::Object(map.iter().map(|(k, v)| (k.clone(), to_json(v))).collect())
        }
        Variable::Expref(e) => Json::String(format!("<expression: {e:?}>")),
    }
}

pub fn string(s: impl Into<String>) -> Rcvar {
    Rcvar::new(Variable::String(s.into()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// The direct JSON-to-JMESPath conversion gives what jmespath's own does.
    #[test]
    fn the_direct_conversion_equals_jmespaths() {
        let value = json!({"a": [1, 2.5, "x", null, true, {"b": {"c": []}}], "d": {}});
        let direct = to_var(&value);
        let theirs = jmespath::Variable::try_from(&value).unwrap();
        assert_eq!(*direct, theirs);
    }

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
    fn values_that_expand_past_the_limit_are_errors_not_memory() {
        // Each `[@, @]` doubles the expanded size and costs one node: 2^60 elements.
        let doubling = ["[@, @]"; 60].join(" | ");
        let err = eval(&doubling, json!("x")).unwrap_err();
        assert!(err.to_string().contains("larger than the limit"), "{err}");
        let err = eval(&format!("to_string({doubling})"), json!("x")).unwrap_err();
        assert!(
            err.to_string()
                .contains("argument 1 of to_string() is larger than the limit"),
            "{err}"
        );
    }

    #[test]
    fn evaluation_steps_are_bounded() {
        // Each stage makes ten copies of every element and flattens them.
        let stage = "[@, @, @, @, @, @, @, @, @, @][]";
        let expr = [stage; 8].join(" | ");
        let err = eval(
            &format!("length({expr})"),
            json!([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]),
        )
        .unwrap_err();
        assert!(
            err.to_string()
                .contains("limit of 10000000 evaluation steps"),
            "{err}"
        );
    }

    #[test]
    fn deep_expressions_are_refused_when_compiled() {
        let chain = ["a"; 300].join(".");
        let err = Expr::compile(&chain).unwrap_err();
        assert!(err.contains("limit of 256 levels"), "{err}");
        let parens = format!("{}a{}", "(".repeat(1000), ")".repeat(1000));
        let err = Expr::compile(&parens).unwrap_err();
        assert!(err.contains("limit of 64 levels"), "{err}");
    }

    #[test]
    fn string_functions_stop_at_the_string_limit() {
        // Refused before the result is built: 65,536 a's each replaced by 4,096.
        let many = "a".repeat(4096);
        let expr =
            format!("replace_all(replace_all('aaaaaaaaaaaaaaaa', 'a', '{many}'), 'a', '{many}')");
        let err = eval(&expr, json!({})).unwrap_err();
        assert!(err.to_string().contains("16777216-byte limit"), "{err}");
        // Each `$0` copies the whole match: 3,000 copies of 12,000 bytes.
        let copies = "$0".repeat(3000);
        let expr = format!(
            "regex_replace_all('.+', regex_replace_all('.+', 'aaaa', '{copies}'), '{copies}')"
        );
        let err = eval(&expr, json!({})).unwrap_err();
        assert!(err.to_string().contains("16777216-byte limit"), "{err}");
    }

    #[test]
    fn unknown_function_is_a_compile_error() {
        assert!(Expr::compile("no_such_fn(a)").is_err());
        assert!(Expr::compile("a.[").is_err());
    }
}
