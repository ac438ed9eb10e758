//! The Falco rule language, compiled.
//!
//! Rule files (YAML sequences of `rule`, `macro` and `list` items, with appends,
//! overrides and exceptions) are read by [`RuleLoader`], conditions are parsed into an
//! AST ([`parse_condition`]) and compiled against the fields each event source declares
//! ([`FieldTable`]) into filters that evaluate without allocating in the common case.
//! [`Engine`] holds the compiled rules indexed by source and event type, and hands each
//! event only to the rules that can match it. Every problem found on the way is a
//! [`RuleDiagnostic`] naming the file, line and item.
//!
//! ```
//! use vigie_rules::{parse_condition, Expr, Op, RuleLoader};
//!
//! let mut loader = RuleLoader::new();
//! loader.load_str(
//!     "rules.yaml",
//!     "
//! - list: shells
//!   items: [bash, sh]
//! - macro: spawned_shell
//!   condition: proc.name in (shells)
//! - rule: Shell in container
//!   desc: a shell started in a container
//!   condition: spawned_shell and container.id != host
//!   output: shell %proc.name in %container.id
//!   priority: WARNING
//! ",
//! );
//! let set = loader.finish();
//! assert!(!set.has_errors());
//! assert_eq!(set.list("shells").unwrap().items, ["bash", "sh"]);
//! let rule = set.rule("Shell in container").unwrap();
//! assert_eq!(rule.location.line, 6);
//!
//! // Conditions parse to a tree; macros and lists are resolved when compiling.
//! let Expr::And(parts) = parse_condition(&rule.condition).unwrap() else { panic!() };
//! assert_eq!(parts[0], Expr::Macro { name: "spawned_shell".into(), offset: 0 });
//! assert!(matches!(&parts[1], Expr::Check { op: Op::Ne, .. }));
//! assert!(parse_condition("proc.name in (bash").is_err());
//! ```

#![deny(missing_docs)]

mod ast;
mod compile;
mod diagnostic;
mod engine;
mod evaluation;
mod event;
mod exceptions;
mod expand;
mod field;
pub mod fields;
mod glob;
mod hash;
mod limits;
mod lists;
mod loader;
mod output;
mod parser;
mod pmatch;
mod priority;
mod regexes;
mod select;
mod selector;
mod value;

pub use ast::{Expr, FieldExpr, ListItem, Op, Rhs, Transformer};
pub use compile::{CompileError, Filter};
pub use diagnostic::{Location, RuleDiagnostic, Severity};
pub use engine::{CompiledRule, Engine, EngineOptions, RuleFailure, RuleMatching, SourceId};
pub use event::{test_extracted, Event, Extracted, Single, Val, ValueTest};
pub use expand::Compiler;
pub use field::{ArgKind, FieldArg, FieldDef, FieldError, FieldRef, FieldTable, FieldType};
pub use glob::glob_match;
pub use limits::{RuleLimits, MAX_CONDITION_DEPTH, MAX_RULES_FILE_BYTES};
pub use loader::{ExceptionDef, ListDef, MacroDef, RuleDef, RuleLoader, RuleSet};
pub use output::{OutputError, OutputFormat, OutputValue};
pub use parser::{parse_condition, ParseError};
pub use priority::Priority;
pub use regexes::MAX_REGEX_BYTES;
pub use select::Selection;
pub use value::ExceptionValue;

/// The engine version vigie implements, as Falco numbers it: rule files that require
/// a newer one are refused.
pub const ENGINE_VERSION: &str = "0.57.0";
