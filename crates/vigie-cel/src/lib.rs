//! CEL (Common Expression Language) for vigie policies.
//!
//! An expression is compiled once against an [`Env`] that declares the
//! variables that exist (`object`, `oldObject`, `request`, `params`...), then
//! evaluated many times with an [`Activation`] that binds them. Compiling
//! refuses an expression that names an undeclared variable, and every
//! evaluation is bounded by a cost limit, as the Kubernetes API server bounds
//! its CEL: see [`cost`] for what a cost unit is.
//!
//! The text is parsed and evaluated by the `cel` crate (cel-rust); the type
//! checker ([`Program::result_type`], [`CelType`]), type values ([`TypeValue`]), the
//! network library ([`network`]), `cel.block`, `transformMap` and backquoted
//! field names are vigie-cel's own. The choice of engine and the measured
//! conformance are recorded in docs/policy.md.

/// Makes `$t` (Clone + PartialEq) a CEL value of the opaque type `$ty`
/// (a `static Type`) named `$name`: the `Val`, `StaticVal` and `Opaque`
/// impls every library value type needs.
macro_rules! opaque_val {
    ($t:ty, $ty:ident, $name:literal) => {
        impl cel::common::value::Val for $t {
            fn get_type(&self) -> &cel::common::types::Type {
                &$ty
            }
            fn cel_type() -> &'static cel::common::types::Type {
                &$ty
            }
            fn equals(&self, other: &dyn cel::common::value::Val) -> bool {
                other.downcast_ref::<$t>().is_some_and(|o| o == self)
            }
            fn clone_as_boxed<'v>(&self) -> Box<dyn cel::common::value::Val + 'v> {
                Box::new(self.clone())
            }
            fn as_any(&self) -> Option<&dyn std::any::Any> {
                Some(self)
            }
        }
        impl cel::common::value::StaticVal for $t {}
        impl cel::objects::Opaque for $t {
            fn runtime_type_name(&self) -> &str {
                $name
            }
        }
    };
}

mod check;
mod checker;
pub mod cost;
mod json;
pub mod k8s;
pub mod kyverno;
mod macros;
pub mod network;
mod quoted;
mod result;
pub mod types;

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use std::sync::OnceLock;

use cel::common::value::{CowVal, Val};
use cel::context::VariableResolver;

pub use cel::Value;
pub use cost::{SizeBound, SizeTree};
pub use json::{from_json, to_json, ToJsonError};
pub use result::{type_name, TypeValue};
pub use types::{CelType, Overload};

/// Kubernetes' limit of cost units for one evaluation of one expression.
pub const DEFAULT_COST_LIMIT: u64 = 1_000_000;

/// The deepest nesting of brackets (`(`, `[`, `{`) accepted: the parser
/// recurses once per level, and cel-go's own default is of this order.
pub const MAX_NESTING: usize = 64;

/// The most operator characters accepted in one expression (see
/// [`CompileError::TooManyOperators`]); [`Env::max_operators`] changes it.
pub const DEFAULT_MAX_OPERATORS: usize = 1000;

/// The deepest expression tree accepted (cel-go's parser default). The
/// interpreter recurses once per level: measured, 1,000 levels evaluate
/// within a 2 MiB thread stack in a release build (debug builds need about
/// twenty times more stack per level).
pub const DEFAULT_MAX_DEPTH: usize = 250;

/// The longest expression text accepted, in bytes.
pub const DEFAULT_MAX_EXPRESSION_BYTES: usize = 100_000;

/// Why an expression could not be compiled.
#[derive(Debug, thiserror::Error)]
pub enum CompileError {
    /// The text is not CEL.
    #[error("syntax error: {0}")]
    Syntax(String),
    /// The expression names a variable the environment does not declare.
    #[error("undeclared reference to '{name}' (declared: {declared})")]
    UndeclaredVariable {
        /// The name as written.
        name: String,
        /// The declared variables, comma separated.
        declared: String,
    },
    /// The expression text is longer than the environment allows.
    #[error("expression of {len} bytes is longer than the limit of {limit} bytes")]
    TooLong {
        /// Length of the text.
        len: usize,
        /// The limit.
        limit: usize,
    },
    /// Brackets nest deeper than the limit (the parser recurses per level).
    #[error("brackets nested {depth} deep at byte {offset}, deeper than the limit of {limit}")]
    TooDeep {
        /// Where the limit was crossed.
        offset: usize,
        /// Nesting reached.
        depth: usize,
        /// The limit.
        limit: usize,
    },
    /// The expression tree is deeper than the limit.
    #[error("expression nests {depth} levels deep, deeper than the limit of {limit}")]
    TreeTooDeep {
        /// Depth of the tree.
        depth: usize,
        /// The limit.
        limit: usize,
    },
    /// More operator characters than the limit (chains of operators nest
    /// the parse tree as brackets do).
    #[error("more than {limit} operator characters (at byte {offset}); split the expression or raise the limit")]
    TooManyOperators {
        /// Where the limit was crossed.
        offset: usize,
        /// The limit.
        limit: usize,
    },
    /// The type checker found a call that no signature accepts.
    #[error("type error at byte {offset}: {message}")]
    Type {
        /// Where the offending call starts in the expression text.
        offset: usize,
        /// What is wrong.
        message: String,
    },
    /// The environment's container name is not a valid qualified name.
    #[error("invalid container '{0}'")]
    Container(String),
}

/// Why an evaluation produced no value.
#[derive(Debug, thiserror::Error)]
pub enum EvalError {
    /// The expression could cost more than the environment's limit on these
    /// inputs; it was not run.
    #[error("estimated cost {estimated} exceeds the cost limit of {limit} units per evaluation")]
    CostLimitExceeded {
        /// The bound computed for this evaluation.
        estimated: u64,
        /// The limit in force.
        limit: u64,
    },
    /// The expression failed at run time (no such key, overflow, no matching
    /// overload...).
    #[error("{0}")]
    Runtime(String),
}

/// The environment an expression is compiled in: the declared variables,
/// the container for name resolution, and the limits.
#[derive(Clone)]
pub struct Env {
    variables: BTreeSet<String>,
    variable_types: HashMap<String, CelType>,
    functions: HashMap<String, Vec<Overload>>,
    container: Option<String>,
    cost_limit: u64,
    max_expression_bytes: usize,
    max_operators: usize,
    max_depth: usize,
    check_variables: bool,
}

impl Default for Env {
    fn default() -> Self {
        Env {
            variables: BTreeSet::new(),
            variable_types: HashMap::new(),
            functions: HashMap::new(),
            container: None,
            cost_limit: DEFAULT_COST_LIMIT,
            max_expression_bytes: DEFAULT_MAX_EXPRESSION_BYTES,
            max_operators: DEFAULT_MAX_OPERATORS,
            max_depth: DEFAULT_MAX_DEPTH,
            check_variables: true,
        }
    }
}

impl Env {
    /// An environment with no variables and the default limits.
    pub fn new() -> Self {
        Env::default()
    }

    /// Declares a variable (a simple or dotted name such as `a.b.c`) of
    /// type `dyn` (known at run time only, as a Kubernetes object is).
    pub fn variable(mut self, name: impl Into<String>) -> Self {
        self.variables.insert(name.into());
        self
    }

    /// Declares a variable of a known type, which the type checker uses.
    pub fn typed_variable(mut self, name: impl Into<String>, t: CelType) -> Self {
        let name = name.into();
        self.variables.insert(name.clone());
        self.variable_types.insert(name, t);
        self
    }

    /// Declares one signature of a function for the type checker (the
    /// implementation is the engine's). A function the checker has no
    /// signature for is typed `dyn` and never a type error.
    pub fn function(mut self, name: impl Into<String>, overload: Overload) -> Self {
        self.functions
            .entry(name.into())
            .or_default()
            .push(overload);
        self
    }

    /// Sets the container (namespace) in which names are resolved.
    pub fn container(mut self, name: impl Into<String>) -> Self {
        self.container = Some(name.into());
        self
    }

    /// Sets the cost limit per evaluation.
    pub fn cost_limit(mut self, units: u64) -> Self {
        self.cost_limit = units;
        self
    }

    /// Sets the longest expression text accepted.
    pub fn max_expression_bytes(mut self, bytes: usize) -> Self {
        self.max_expression_bytes = bytes;
        self
    }

    /// Sets the most operator characters accepted in one expression.
    pub fn max_operators(mut self, n: usize) -> Self {
        self.max_operators = n;
        self
    }

    /// Sets the deepest expression tree accepted.
    pub fn max_depth(mut self, levels: usize) -> Self {
        self.max_depth = levels;
        self
    }

    /// Skips the undeclared-variable check (as cel-spec's `disable_check`):
    /// an unknown name is then an evaluation error instead.
    pub fn unchecked(mut self) -> Self {
        self.check_variables = false;
        self
    }
}

/// Variable values for one evaluation. Values are converted to the
/// engine's form once, when bound, so that many programs can evaluate the
/// same activation without copying it.
#[derive(Default)]
pub struct Activation {
    values: HashMap<String, (Box<dyn Val>, SizeTree)>,
}

impl Activation {
    /// An activation with no values.
    pub fn new() -> Self {
        Activation::default()
    }

    /// Binds `name` to `value` (its size bound is measured once, here).
    pub fn bind(&mut self, name: impl Into<String>, value: Value) -> Result<&mut Self, EvalError> {
        let size = SizeTree::of(&value);
        let val: Box<dyn Val> = match result::from_value(&value) {
            Some(v) => v,
            None => value
                .try_into()
                .map_err(|e: cel::ExecutionError| EvalError::Runtime(e.to_string()))?,
        };
        self.values.insert(name.into(), (val, size));
        Ok(self)
    }

    /// Binds `name` to a JSON value (a Kubernetes object).
    pub fn bind_json(&mut self, name: impl Into<String>, value: &serde_json::Value) -> &mut Self {
        // Every JSON value has a CEL form.
        let _ = self.bind(name, from_json(value));
        self
    }
}

impl VariableResolver for Activation {
    fn resolve<'b>(&'b self, variable: &str) -> Option<CowVal<'b, 'b>> {
        self.values
            .get(variable)
            .map(|(v, _)| CowVal::Borrowed(v.as_ref()))
    }
}

/// A compiled expression.
pub struct Program {
    expr: cel::IdedExpr,
    result_type: CelType,
    env: Arc<cel::Env>,
    cost_limit: u64,
    source: String,
}

impl std::fmt::Debug for Program {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Program")
            .field("source", &self.source)
            .finish()
    }
}

impl Program {
    /// Parses `expr` and checks it against `env`'s declared variables.
    pub fn compile(expr: &str, env: &Env) -> Result<Program, CompileError> {
        if expr.len() > env.max_expression_bytes {
            return Err(CompileError::TooLong {
                len: expr.len(),
                limit: env.max_expression_bytes,
            });
        }
        check::nesting(expr, MAX_NESTING, env.max_operators)?;
        // The engine's environment (functions, macros, types) is the same
        // for every expression without a container: built once and shared.
        let engine = match env.container.as_deref().filter(|c| !c.is_empty()) {
            None => shared_engine(),
            Some(c) => {
                let mut engine = build_engine();
                engine
                    .set_container(c)
                    .map_err(|_| CompileError::Container(c.to_string()))?;
                Arc::new(engine)
            }
        };
        let (text, quoted, shifts) = quoted::rewrite(expr).map_err(CompileError::Syntax)?;
        let program = engine
            .compile(&text)
            .map_err(|e| CompileError::Syntax(e.to_string()))?;
        let mut tree = program.expression().clone();
        if !quoted.is_empty() {
            quoted::restore(&mut tree, &quoted).map_err(CompileError::Syntax)?;
        }
        let depth = check::depth(&tree);
        if depth > env.max_depth {
            return Err(CompileError::TreeTooDeep {
                depth,
                limit: env.max_depth,
            });
        }
        let mut result_type = CelType::Dyn;
        if env.check_variables {
            check::declared(&tree, &env.variables, env.container.as_deref())?;
            result_type = checker::check(
                &tree,
                standard_functions(),
                &env.functions,
                &env.variable_types,
            )
            .map_err(|e| CompileError::Type {
                offset: program
                    .source_info()
                    .offset_for(e.id)
                    .map_or(0, |(start, _)| {
                        quoted::original_offset(&shifts, start as usize)
                    }),
                message: e.message,
            })?;
        }
        Ok(Program {
            expr: tree,
            result_type,
            env: engine,
            cost_limit: env.cost_limit,
            source: expr.to_string(),
        })
    }

    /// The type the checker deduced for the expression's value (`dyn` when
    /// it depends on run-time values, or when checking was disabled).
    pub fn result_type(&self) -> &CelType {
        &self.result_type
    }

    /// The expression text.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// The cost bound of evaluating this program on `activation`.
    pub fn estimate_cost(&self, activation: &Activation) -> u64 {
        let sizes = activation
            .values
            .iter()
            .map(|(k, (_, s))| (k.as_str(), s.clone()))
            .collect::<HashMap<_, _>>();
        cost::estimate(&self.expr, &sizes)
    }

    /// Evaluates the program; refuses to run when its cost bound on these
    /// inputs exceeds the limit.
    pub fn eval(&self, activation: &Activation) -> Result<Value, EvalError> {
        let estimated = self.estimate_cost(activation);
        if estimated > self.cost_limit {
            return Err(EvalError::CostLimitExceeded {
                estimated,
                limit: self.cost_limit,
            });
        }
        let mut ctx = cel::Context::with_env(self.env.clone());
        ctx.set_variable_resolver(activation);
        Value::resolve_val(&self.expr, &ctx)
            .and_then(|v| result::to_value(v.as_ref()))
            .map_err(|e| EvalError::Runtime(e.to_string()))
    }
}

/// The engine's environment: CEL's standard library and extensions, and
/// what vigie-cel adds (macros, the network library).
fn build_engine() -> cel::Env {
    let mut engine = cel::Env::stdlib().with_optional_support(true);
    for ext in [
        cel::extensions::strings as fn(&mut cel::Env) -> _,
        cel::extensions::lists,
        cel::extensions::math,
        cel::extensions::encoders,
    ] {
        // An extension that clashes with the standard library is skipped
        // rather than making every compile fail.
        let _ = engine.add_extension(ext);
    }
    // Cannot clash: the engine has no `bind`, `block`, `index`, `iterVar` or
    // `accuVar` macro.
    let _ = engine.add_macro(macros::bind());
    for m in macros::block() {
        let _ = engine.add_macro(m);
    }
    for m in macros::two_variable() {
        // Cannot clash: the engine's macros of these names take two
        // arguments, these three or four.
        let _ = engine.add_macro(m);
    }
    // Cannot clash: none of these names is in the engine.
    let _ = network::register(&mut engine);
    let _ = macros::register_functions(&mut engine);
    // Kubernetes' libraries: the names are theirs, and clash with no standard
    // or extension overload; the k8s tests fail if one ever does.
    let _ = k8s::register(&mut engine);
    // Kyverno's libraries: `image` and `isImage` are new names, the rest
    // are methods of the library's own value type.
    let _ = kyverno::register(&mut engine);
    engine
}

/// The engine's environment without a container, built once.
fn shared_engine() -> Arc<cel::Env> {
    static ENGINE: OnceLock<Arc<cel::Env>> = OnceLock::new();
    ENGINE.get_or_init(|| Arc::new(build_engine())).clone()
}

/// The signatures of CEL's standard functions and vigie-cel's, parsed once.
fn standard_functions() -> &'static HashMap<String, Vec<Overload>> {
    static STANDARD: OnceLock<HashMap<String, Vec<Overload>>> = OnceLock::new();
    STANDARD.get_or_init(types::standard)
}

/// The engine's map and key types, for building map values by hand.
pub mod cel_objects {
    pub use cel::objects::{Key, Map};
}
