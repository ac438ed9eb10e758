//! JMESPath as Kyverno runs it: the standard language plus Kyverno's functions,
//! compiled once per expression and evaluated over [`Document`]s (JMESPath values,
//! with the request's JSON read in place).

mod document;
mod encoding;
mod functions;
mod interp;
pub mod limits;
mod semver;
pub(crate) mod time;

use std::sync::LazyLock;

pub use document::{Document, Found};
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

    /// The value of the expression on `data`.
    pub fn search(&self, data: &Document<'_>) -> Result<Rcvar, EvalError> {
        self.evaluate(data, |value| value.to_var(data))
    }

    /// [`Expr::search`], as JSON: what the expression read in place is copied
    /// from there, never converted.
    pub fn search_json(&self, data: &Document<'_>) -> Result<Json, EvalError> {
        self.evaluate(data, |value| value.to_json(data))
    }

    /// The items of the array the expression gives, or the value it gives
    /// as one item when it is not an array (a `foreach` list's elements).
    pub fn search_items<'d>(&self, data: &Document<'d>) -> Result<Vec<Found<'d>>, EvalError> {
        self.evaluate(data, |value| value.found_items(data))
    }

    fn evaluate<'d, T>(
        &self,
        data: &Document<'d>,
        out: impl FnOnce(&interp::Val<'d>) -> T,
    ) -> Result<T, EvalError> {
        let mut ctx = Context::new(&self.source, &RUNTIME);
        limits::start_search();
        let result = interp::eval(&self.ast, &interp::Val::root(data), data, &mut ctx);
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
        if !result.size_within(data, limits::MAX_VALUE_SIZE) {
            return Err(EvalError::Failed(format!(
                "JMESPath query {:?} produced a value larger than the limit of {} (elements and string bytes)",
                self.source,
                limits::MAX_VALUE_SIZE
            )));
        }
        if self.is_path && result.is_null() {
            return Err(EvalError::NotFound(self.source.clone()));
        }
        Ok(out(&result))
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
            .search(&Document::new(to_var(&data)))
            .map(|v| to_json(&v))
    }

    /// Reading the request's objects in place gives what reading their
    /// conversion gives, whatever the expression does with them.
    #[test]
    fn objects_read_in_place_answer_as_converted_ones() {
        let object = json!({
            "kind": "Pod",
            "metadata": {"name": "web", "labels": {"app": "x", "tier": "front"}},
            "spec": {
                "hostNetwork": false,
                "containers": [
                    {"name": "b", "image": "nginx", "ports": [{"hostPort": 80}, {"containerPort": 8080}],
                     "securityContext": {"capabilities": {"add": ["NET_ADMIN"], "drop": ["ALL"]}}},
                    {"name": "a", "image": "busybox", "securityContext": {"runAsUser": 0}}
                ],
                "initContainers": [{"name": "init", "image": "alpine"}],
                "volumes": [{"name": "v", "hostPath": {"path": "/"}}, {"name": "e", "emptyDir": {}}]
            }
        });
        let old = json!({"kind": "Pod", "metadata": {"name": "web", "labels": {}}});
        let vars = json!({"request": {"operation": "UPDATE", "name": "web"}, "images": {"containers": {}}});
        let mut whole = vars.clone();
        whole["request"]["object"] = object.clone();
        whole["request"]["oldObject"] = old.clone();
        let converted = Document::new(to_var(&whole));
        let in_place = Document::with_objects(to_var(&vars), Some(&object), Some(&old));
        for expr in [
            "request.object.spec.[ephemeralContainers, initContainers, containers][].securityContext.capabilities.add[]",
            "request.object.spec.[ephemeralContainers, initContainers, containers][].ports[].hostPort",
            "request.object.spec.volumes[].keys(@)[] || ''",
            "request.object.spec.containers[?name=='a'].image | [0]",
            "request.object.spec.containers[?securityContext.runAsUser == `0`].name",
            "request.object.spec.containers[*].name",
            "request.object.spec.containers[0:1].name",
            "request.object.spec.containers[-1].name",
            "request.object.spec.containers[] | [@, @] | [0][1].image",
            "request.object.metadata.labels.*",
            "request.object.metadata.{n: name, l: labels}",
            "sort_by(request.object.spec.containers, &name)[].name",
            "length(request.object.spec.containers)",
            "to_string(request.object.metadata)",
            "request.object == request.object",
            "request.object.spec.containers[0] == request.oldObject",
            "!request.object.spec.hostNetwork",
            "request.object.spec.hostNetwork || 'no'",
            "request.object.spec.containers && 'some'",
            "request.oldObject.metadata.labels",
            "request.oldObject.metadata.labels.app",
            "request.object.spec.missing",
            "request.missing.field",
            "request.operation",
            "request.*",
            "request",
            "images",
            "*",
            "@",
        ] {
            let e = Expr::compile(expr).unwrap();
            assert_eq!(e.search(&in_place), e.search(&converted), "{expr}");
            assert_eq!(e.search_json(&in_place), e.search_json(&converted), "{expr}");
        }
        assert_eq!(in_place.to_json(), converted.to_json());
    }

    /// Setting a path inside an object read in place converts it first; setting
    /// the object itself replaces it.
    #[test]
    fn setting_a_path_of_an_object_read_in_place() {
        let object = json!({"metadata": {"name": "web"}, "spec": {"replicas": 2}});
        let vars = to_var(&json!({"request": {"operation": "CREATE"}}));
        let mut document = Document::with_objects(vars.clone(), Some(&object), None);
        document.set_path("request.object.metadata.name", string("api"));
        assert_eq!(
            document.to_json()["request"]["object"],
            json!({"metadata": {"name": "api"}, "spec": {"replicas": 2}})
        );
        let mut document = Document::with_objects(vars, Some(&object), None);
        document.set_path("request.object", Rcvar::new(Variable::Null));
        assert_eq!(
            document.to_json(),
            json!({"request": {"operation": "CREATE", "object": null}})
        );
        assert!(document.is_null_at(&["request", "object"]));
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
