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
//! field names are vigie-cel's own, and so are the maps of bound objects
//! (shared by reference count rather than copied each time the engine owns
//! one). The choice of engine and the measured conformance are recorded in
//! docs/policy.md.
//!
//! ```
//! use serde_json::json;
//! use vigie_cel::{Activation, Env, Program, Value};
//!
//! let env = Env::new().variable("object");
//! let program = Program::compile("object.spec.replicas <= 3", &env).expect("valid CEL");
//! let mut activation = Activation::new();
//! activation.bind_json("object", &json!({"spec": {"replicas": 5}}));
//! assert_eq!(program.eval(&activation).expect("within the cost limit"), Value::Bool(false));
//! // An undeclared variable is refused when compiling, not when evaluating.
//! assert!(Program::compile("objet.spec.replicas <= 3", &env).is_err());
//! ```

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
mod direct;
mod fast;
mod json;
pub mod k8s;
mod keys;
pub mod kyverno;
pub mod kyverno_libs;
mod library;
mod macros;
pub mod network;
mod objects;
mod quoted;
mod result;
mod shared;
mod shared_map;
pub mod types;

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use std::sync::{Mutex, OnceLock, PoisonError};

use cel::common::value::{CowVal, Val};
use cel::context::VariableResolver;

pub use cel::Value;
pub use cost::{SizeBound, SizeTree};
pub use json::{from_json, to_json, ToJsonError};
pub use result::{type_name, TypeValue};
use shared::Bound;
pub use shared::Shared;
pub use types::{CelType, Overload, TypeSyntaxError};

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
    object_literals: bool,
    /// Global functions called as methods of a variable: (function, variable).
    receivers: Vec<(String, String)>,
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
            object_literals: false,
            receivers: Vec::new(),
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

    /// Reads struct literals (`Object{spec: Object.spec{...}}`,
    /// `JSONPatch{op: 'add', ...}`) as maps of their fields, as Kubernetes'
    /// mutating admission CEL builds objects: vigie has no schemas to type
    /// them against, and the result becomes JSON either way.
    pub fn object_literals(mut self) -> Self {
        self.object_literals = true;
        self
    }

    /// Makes every call of the global function `function(args...)` a call
    /// of the method `variable.function(args...)`, and declares `variable`.
    /// A library whose answers depend on data of the evaluation (Kyverno's
    /// image verification functions: `verifyImageSignatures(image, ...)`)
    /// then finds that data in the value bound to `variable`, as the
    /// resource library finds its objects in `resource`, while policies
    /// keep calling it as a global function.
    pub fn receiver_function(
        mut self,
        function: impl Into<String>,
        variable: impl Into<String>,
    ) -> Self {
        let variable = variable.into();
        self.variables.insert(variable.clone());
        self.receivers.push((function.into(), variable));
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
///
/// Cloning an activation shares its values (each is reference counted),
/// and [`Activation::extend`] shares a whole activation: bind what every
/// evaluation of a resource sees once, then extend it per rule and bind
/// what the rule adds. Measured on the Pod Security CEL policies
/// (bench/policy/README.md), converting the object once per resource
/// instead of once per rule is most of the difference between CEL and
/// pattern rules.
#[derive(Default, Clone)]
pub struct Activation {
    // A handful of names per activation: a list searched in order is
    // faster than hashing each name looked up. Names are shared, so that
    // cloning an activation allocates no text.
    values: Vec<(Arc<str>, Arc<Bound>)>,
    /// Maps built one field at a time ([`Activation::bind_field`]).
    maps: Vec<(Arc<str>, Arc<FieldMap>)>,
    /// The activation this one extends: every name this one does not bind
    /// is looked up there.
    base: Option<Arc<Activation>>,
    /// The longest list and string of every value bound, measured on
    /// first need after the last binding ([`Activation::largest_bound`]).
    largest: OnceLock<SizeBound>,
}

/// What a name is bound to in an [`Activation`].
enum Binding<'a> {
    Value(&'a Arc<Bound>),
    Map(&'a Arc<FieldMap>),
}

/// A map of string keys whose fields are bound one at a time (`variables`,
/// one per evaluated variable). An expression that reads a field
/// (`variables.x`) gets the field's value directly (the engine looks the
/// dotted name up first); the whole map is built only for an expression
/// that reads it whole (`has(variables.x)`, `variables.?x`, `variables`).
#[derive(Clone)]
struct FieldMap {
    fields: Vec<(Arc<str>, Arc<Bound>)>,
    /// The longest list and string of the map (fields and names included).
    deep: SizeBound,
    /// The map's size tree, measured on first need (see [`shared::Bound`]).
    size: OnceLock<SizeTree>,
    whole: OnceLock<cel::common::types::CelMap<'static>>,
}

impl FieldMap {
    fn size(&self) -> &SizeTree {
        self.size.get_or_init(|| {
            SizeTree::map_of(
                self.fields
                    .iter()
                    .map(|(k, b)| (Some(&**k), b.size().clone())),
            )
        })
    }

    fn whole(&self) -> &cel::common::types::CelMap<'static> {
        self.whole.get_or_init(|| {
            self.fields
                .iter()
                .map(|(k, b)| {
                    (
                        cel::common::types::CelMapKey::from(k.to_string()),
                        b.val.clone_as_boxed(),
                    )
                })
                .collect::<HashMap<_, _>>()
                .into()
        })
    }
}

/// The entry named `name` of a list of bindings.
fn find<'a, T>(list: &'a [(Arc<str>, T)], name: &str) -> Option<&'a T> {
    list.iter().find(|(n, _)| **n == *name).map(|(_, v)| v)
}

impl Activation {
    /// An activation with no values.
    pub fn new() -> Self {
        Activation::default()
    }

    /// An activation that sees every value of `base` and binds its own
    /// over them (a name bound here hides the same name in `base`).
    ///
    /// Extending shares `base` with one reference count, where cloning it
    /// counts one reference per name and value, and dropping the clone as
    /// many again, each count in a cache line of its own: measured on the
    /// Pod Security CEL policies, dropping those clones was 6% of the
    /// simulated data cache read misses (docs/policy.md, Benchmark).
    pub fn extend(base: Arc<Activation>) -> Self {
        Activation {
            base: Some(base),
            ..Activation::default()
        }
    }

    /// What `name` is bound to, here or in the activations this one
    /// extends.
    fn binding(&self, name: &str) -> Option<Binding<'_>> {
        if let Some(b) = find(&self.values, name) {
            return Some(Binding::Value(b));
        }
        if let Some(m) = find(&self.maps, name) {
            return Some(Binding::Map(m));
        }
        self.base.as_deref()?.binding(name)
    }

    /// `name` as this activation or its base already spells it, shared:
    /// a rule binding `variables` or `params` over the resource's
    /// allocates no name.
    fn shared_name(&self, name: &str) -> Arc<str> {
        let mut level = Some(self);
        while let Some(a) = level {
            let own = a.values.iter().map(|(n, _)| n);
            if let Some(n) = own
                .chain(a.maps.iter().map(|(n, _)| n))
                .find(|n| ***n == *name)
            {
                return n.clone();
            }
            level = a.base.as_deref();
        }
        Arc::from(name)
    }

    /// Binds `name` to `value` (its size bound is measured once, here).
    pub fn bind(&mut self, name: impl Into<String>, value: Value) -> Result<&mut Self, EvalError> {
        Ok(self.bind_shared(name, &Shared::new(value)?))
    }

    /// Binds `name` to a value converted before (shared, not copied).
    pub fn bind_shared(&mut self, name: impl Into<String>, value: &Shared) -> &mut Self {
        let bound = value.0.clone();
        let name: String = name.into();
        self.maps.retain(|(n, _)| **n != *name);
        match self.values.iter_mut().find(|(n, _)| **n == *name) {
            Some((_, v)) => *v = bound,
            None => {
                let name = self.shared_name(&name);
                self.values.push((name, bound));
            }
        }
        self.largest = OnceLock::new();
        self
    }

    /// Binds `name` to a JSON value (a Kubernetes object).
    pub fn bind_json(&mut self, name: impl Into<String>, value: &serde_json::Value) -> &mut Self {
        self.bind_shared(name, &Shared::from_json(value))
    }

    /// Sets field `key` of the map bound as `name` (a name without dots)
    /// to `value`, without copying it or the fields already there. The first
    /// field replaces what [`Activation::bind`] bound as `name`.
    pub fn bind_field(&mut self, name: &str, key: &str, value: &Shared) -> &mut Self {
        self.values.retain(|(n, _)| **n != *name);
        let index = match self.maps.iter().position(|(n, _)| **n == *name) {
            Some(i) => i,
            None => {
                // A map the base binds gets the field on a copy of its
                // list of fields; anything else is replaced.
                let map = match self.base.as_deref().and_then(|b| b.binding(name)) {
                    Some(Binding::Map(m)) => m.clone(),
                    _ => Arc::new(FieldMap {
                        fields: Vec::new(),
                        deep: SizeBound::default(),
                        size: OnceLock::new(),
                        whole: OnceLock::new(),
                    }),
                };
                let name = self.shared_name(name);
                self.maps.push((name, map));
                self.maps.len() - 1
            }
        };
        // Shared with a clone of this activation: copied (a list of
        // reference counts) once, then ours.
        let map = Arc::make_mut(&mut self.maps[index].1);
        match map.fields.iter_mut().find(|(k, _)| **k == *key) {
            Some((_, v)) => *v = value.0.clone(),
            None => map.fields.push((Arc::from(key), value.0.clone())),
        }
        map.deep = map.fields.iter().fold(
            SizeBound {
                list: map.fields.len() as u64,
                string: 0,
            },
            |d, (k, b)| {
                d.max(b.deep).max(SizeBound {
                    list: 0,
                    string: k.len() as u64,
                })
            },
        );
        map.size = OnceLock::new();
        map.whole = OnceLock::new();
        self.largest = OnceLock::new();
        self
    }

    /// The longest list and string of the values bound here and in the
    /// activations this one extends, measured once after the last binding:
    /// what [`Program::within_flat_bound`] reads before each evaluation.
    ///
    /// A value this activation hides (binds again) still counts: the bound
    /// is then coarser than [`cost::Sizes::largest`], never smaller, so the
    /// flat cost bound stays sound; and the base's figure, measured once,
    /// serves every activation that extends it.
    fn largest_bound(&self) -> SizeBound {
        *self.largest.get_or_init(|| {
            let values = self.values.iter().map(|(_, b)| b.deep);
            let maps = self.maps.iter().map(|(_, m)| m.deep);
            let base = self.base.as_deref().map(Activation::largest_bound);
            values
                .chain(maps)
                .chain(base)
                .fold(SizeBound::default(), SizeBound::max)
        })
    }

    /// The longest list and string of the values bound here that no
    /// activation in `above` (those that extend this one) binds again.
    fn largest_visible(&self, above: Option<&Above<'_>>) -> SizeBound {
        let shown = |n: &str| std::iter::successors(above, |a| a.next).all(|a| !a.binds(n));
        let values = self
            .values
            .iter()
            .filter(|(n, _)| shown(n))
            .map(|(_, b)| b.deep);
        let maps = self
            .maps
            .iter()
            .filter(|(n, _)| shown(n))
            .map(|(_, m)| m.deep);
        let own = values
            .chain(maps)
            .fold(SizeBound::default(), SizeBound::max);
        match self.base.as_deref() {
            Some(base) => own.max(base.largest_visible(Some(&Above {
                activation: self,
                next: above,
            }))),
            None => own,
        }
    }
}

/// The activations that extend one, innermost first.
struct Above<'a> {
    activation: &'a Activation,
    next: Option<&'a Above<'a>>,
}

impl Above<'_> {
    /// Whether this activation binds `name` itself (not through its base).
    fn binds(&self, name: &str) -> bool {
        let a = self.activation;
        find(&a.values, name).is_some() || find(&a.maps, name).is_some()
    }
}

impl cost::Sizes for Activation {
    fn size_of(&self, name: &str) -> Option<&SizeTree> {
        match self.binding(name)? {
            Binding::Value(b) => Some(b.size()),
            Binding::Map(m) => Some(m.size()),
        }
    }

    fn largest(&self) -> SizeBound {
        self.largest_visible(None)
    }
}

impl Activation {
    /// The value the engine resolves the variable `name` to, borrowed.
    fn lookup(&self, name: &str) -> Option<&dyn Val> {
        match self.binding(name) {
            Some(Binding::Value(b)) => return Some(b.val.as_ref()),
            Some(Binding::Map(m)) => return Some(m.whole() as &dyn Val),
            None => {}
        }
        // `variables.x`: the field itself, as selecting it from the whole
        // map would give. A key with a dot is no field name (`a.b.c` is
        // field `c` of field `b`).
        let (map, key) = name.split_once('.')?;
        if key.contains('.') {
            return None;
        }
        let Binding::Map(m) = self.binding(map)? else {
            return None;
        };
        let b = find(&m.fields, key)?;
        Some(b.val.as_ref())
    }
}

impl VariableResolver for Activation {
    fn resolve<'b>(&'b self, variable: &str) -> Option<CowVal<'b, 'b>> {
        self.lookup(variable).map(CowVal::Borrowed)
    }
}

/// A compiled expression.
pub struct Program {
    expr: cel::IdedExpr,
    /// The tree evaluated when it differs from `expr`: `==`, `!=` and `in`
    /// made symmetric for shared maps ([`shared_map::rewrite_equality`]),
    /// fields selected from their variable and negations of bools as
    /// conditionals ([`direct`]).
    run_expr: Option<Box<cel::IdedExpr>>,
    result_type: CelType,
    /// The declared variables the expression names (none known when
    /// variables are not checked).
    reads: Option<BTreeSet<String>>,
    /// The declared variables whose size bounds the cost estimate reads
    /// (none known, all of them, when variables are not checked or when the
    /// estimate bounds a name by the largest value bound).
    cost_reads: Option<BTreeSet<String>>,
    env: Arc<cel::Env>,
    cost_limit: u64,
    source: Box<str>,
    /// Cost bounds of this expression when every value bound is within a
    /// flat bound (rounded up to powers of two), computed once per bound:
    /// see [`Program::within_flat_bound`].
    flat_costs: Mutex<Vec<(SizeBound, u64)>>,
    /// The value of an expression that reads no declared variable, once
    /// computed ([`Program::eval_shared`]).
    constant: OnceLock<Shared>,
    /// The run tree in the subset [`fast`] evaluates directly, or the kind
    /// of node that keeps it out.
    fast: Result<fast::Node, fast::Unsupported>,
}

/// The most flat bounds a program keeps the cost of (a resource of another
/// shape then gets the precise estimate, as before the cache).
const MAX_FLAT_COSTS: usize = 16;

/// `n` rounded up to a power of two (`u64::MAX` past the largest).
fn round_up(n: u64) -> u64 {
    n.checked_next_power_of_two().unwrap_or(u64::MAX)
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
        if env.object_literals {
            objects::struct_literals_to_maps(&mut tree);
        }
        if !env.receivers.is_empty() {
            objects::calls_to_methods(&mut tree, &env.receivers);
        }
        let depth = check::depth(&tree);
        if depth > env.max_depth {
            return Err(CompileError::TreeTooDeep {
                depth,
                limit: env.max_depth,
            });
        }
        let mut result_type = CelType::Dyn;
        let mut reads = None;
        let mut cost_reads = None;
        if env.check_variables {
            check::declared(&tree, &env.variables, env.container.as_deref())?;
            // A variable is read when the check fails without it.
            reads = Some(
                env.variables
                    .iter()
                    .filter(|v| {
                        let mut others = env.variables.clone();
                        others.remove(*v);
                        check::declared(&tree, &others, env.container.as_deref()).is_err()
                    })
                    .cloned()
                    .collect(),
            );
            cost_reads = cost::Probe::reads(&tree, &env.variables);
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
        let mut run_expr = tree.clone();
        let mut rewritten = shared_map::rewrite_equality(&mut run_expr);
        // Which names are variables is known only when they are checked,
        // and a container makes the engine try more names than these.
        if env.check_variables && env.container.as_deref().unwrap_or_default().is_empty() {
            let names = direct::Names {
                declared: &env.variables,
                engine: &engine,
            };
            rewritten |= direct::rewrite(&mut run_expr, &names);
        }
        // Names resolve under a container as the engine's candidates, which
        // the direct evaluator does not try.
        let fast = if env.container.as_deref().unwrap_or_default().is_empty() {
            fast::compile(&run_expr, &fast::CompileEnv { engine: &engine })
        } else {
            Err("container")
        };
        let run_expr = rewritten.then(|| Box::new(run_expr));
        Ok(Program {
            expr: tree,
            run_expr,
            result_type,
            reads,
            cost_reads,
            env: engine,
            cost_limit: env.cost_limit,
            source: expr.into(),
            flat_costs: Mutex::new(Vec::new()),
            constant: OnceLock::new(),
            fast,
        })
    }

    /// Whether the expression is in the subset of CEL evaluated directly
    /// (see the `fast` module), else the kind of node that keeps it out:
    /// for measuring how much of a corpus the direct evaluator covers.
    pub fn fast_form(&self) -> Result<(), &'static str> {
        self.fast.as_ref().map(|_| ()).map_err(|e| *e)
    }

    /// Evaluates the program as [`Program::eval`] does, by the engine alone
    /// (never the direct evaluator, which gives the same results): for
    /// comparing the two.
    pub fn eval_by_engine(&self, activation: &Activation) -> Result<Value, EvalError> {
        self.run_with(activation, false, ToValue)
    }

    /// The type the checker deduced for the expression's value (`dyn` when
    /// it depends on run-time values, or when checking was disabled).
    pub fn result_type(&self) -> &CelType {
        &self.result_type
    }

    /// Whether the expression may read the declared variable `name`
    /// (always, when the environment does not check variables): an
    /// expression that reads none of the variables that differ between two
    /// activations evaluates alike in both.
    pub fn reads(&self, name: &str) -> bool {
        self.reads.as_ref().is_none_or(|r| r.contains(name))
    }

    /// Whether the program may run ([`Program::eval`]: its cost
    /// bound within the limit) may depend on the value bound to `name`
    /// (always, when the environment does not check variables): the bound
    /// reads the sizes of the variables the expression names, and of every
    /// variable bound when it names something else (a type name).
    pub fn cost_reads(&self, name: &str) -> bool {
        self.cost_reads.as_ref().is_none_or(|r| r.contains(name))
    }

    /// Evaluates the program, its result ready to bind ([`Shared`]).
    ///
    /// An expression that reads no declared variable (a literal list of
    /// allowed values, as most Pod Security policies declare) has the same
    /// value in every activation: it is evaluated once per program, and
    /// later calls share that value.
    pub fn eval_shared(&self, activation: &Activation) -> Result<Shared, EvalError> {
        let constant = self.reads.as_ref().is_some_and(BTreeSet::is_empty);
        if constant {
            if let Some(v) = self.constant.get() {
                return Ok(v.clone());
            }
        }
        let value = self.run_with(activation, true, ToShared)?;
        if constant {
            // Another thread may have set it first: the same value.
            let _ = self.constant.set(value.clone());
        }
        Ok(value)
    }

    /// Whether the expression calls the global function `name` (written
    /// `name(...)`, not as a method): a policy engine uses it to tell
    /// libraries it does not provide from other errors.
    pub fn calls_function(&self, name: &str) -> bool {
        let mut found = false;
        check::visit(&self.expr, |e, _| {
            if let cel::common::ast::Expr::Call(c) = &e.expr {
                found |= c.target.is_none() && c.func_name == name;
            }
        });
        found
    }

    /// The expression text.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// The cost bound of evaluating this program on `activation`.
    pub fn estimate_cost(&self, activation: &Activation) -> u64 {
        cost::estimate_in(&self.expr, activation)
    }

    /// Whether the expression is within the cost limit on any activation
    /// whose values are all within the largest list and string of
    /// `activation` (rounded up to powers of two): a bound sound for every
    /// value of that shape, so the evaluation may run without the precise
    /// estimate ([`Program::estimate_cost`], one walk of the expression with
    /// the size tree of each value, about a fifth of an evaluation of the Pod
    /// Security policies). The flat bound depends on the activation through
    /// two numbers only, so it is computed once per program and pair, not per
    /// evaluation. When it exceeds the limit, the precise estimate decides,
    /// as it always did.
    fn within_flat_bound(&self, activation: &Activation) -> bool {
        let largest = activation.largest_bound();
        let key = SizeBound {
            list: round_up(largest.list),
            string: round_up(largest.string),
        };
        let known = self
            .flat_costs
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, c)| *c);
        let cost = match known {
            Some(c) => c,
            None => {
                let c = cost::estimate_in(&self.expr, &cost::Flat::new(key));
                let mut costs = self
                    .flat_costs
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner);
                if costs.len() < MAX_FLAT_COSTS {
                    costs.push((key, c));
                }
                c
            }
        };
        cost <= self.cost_limit
    }

    /// Evaluates the program; refuses to run when its cost bound on these
    /// inputs exceeds the limit.
    pub fn eval(&self, activation: &Activation) -> Result<Value, EvalError> {
        self.run_with(activation, true, ToValue)
    }

    /// Evaluates the program within the cost limit, by the direct
    /// evaluator first when `fast`, and hands the result to `take`.
    fn run_with<T>(
        &self,
        activation: &Activation,
        fast: bool,
        take: impl Take<T>,
    ) -> Result<T, EvalError> {
        if !self.within_flat_bound(activation) {
            let estimated = self.estimate_cost(activation);
            if estimated > self.cost_limit {
                return Err(EvalError::CostLimitExceeded {
                    estimated,
                    limit: self.cost_limit,
                });
            }
        }
        // The direct evaluator gives up on anything it is not certain to
        // evaluate as the engine does, errors included: the engine then
        // evaluates from the start.
        if let (true, Ok(node)) = (fast, &self.fast) {
            if let Some(v) = fast::evaluate(node, activation) {
                return take.direct(v);
            }
        }
        let mut ctx = cel::Context::with_env(self.env.clone());
        ctx.set_variable_resolver(activation);
        let v = Value::resolve_val(self.run_expr.as_deref().unwrap_or(&self.expr), &ctx)
            .map_err(|e| EvalError::Runtime(e.to_string()))?;
        take.val(v.as_ref())
    }
}

/// What an evaluation's result becomes.
trait Take<T> {
    /// The result, from the engine's form.
    fn val(self, v: &dyn Val) -> Result<T, EvalError>;

    /// The result, from the direct evaluator's.
    fn direct(self, v: fast::Value<'_>) -> Result<T, EvalError>
    where
        Self: Sized,
    {
        v.hand(|x| self.val(x))
    }
}

/// A [`Value`] ([`Program::eval`]).
struct ToValue;

impl Take<Value> for ToValue {
    fn val(self, v: &dyn Val) -> Result<Value, EvalError> {
        result::to_value(v).map_err(|e| EvalError::Runtime(e.to_string()))
    }
}

/// A [`Shared`] ([`Program::eval_shared`]).
struct ToShared;

impl Take<Shared> for ToShared {
    fn val(self, v: &dyn Val) -> Result<Shared, EvalError> {
        shared::from_val(v, 0).map(|b| Shared(Arc::new(b)))
    }

    fn direct(self, v: fast::Value<'_>) -> Result<Shared, EvalError> {
        v.share().map(|b| Shared(Arc::new(b)))
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
    let _ = shared_map::register(&mut engine);
    // Kubernetes' libraries: the names are theirs, and clash with no standard
    // or extension overload; the k8s tests fail if one ever does.
    let _ = k8s::register(&mut engine);
    // Kyverno's libraries: `image` and `isImage` are new names, the rest
    // are methods of the library's own value type.
    let _ = kyverno::register(&mut engine);
    // Kyverno's argument-only libraries: new names, and a two-argument
    // `math.round` beside CEL's one-argument one.
    let _ = kyverno_libs::register(&mut engine);
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
