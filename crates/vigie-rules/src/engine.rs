//! The compiled rule set. Rules are indexed by source, by event type and by the
//! source's index fields (an audit event's verb, resource and stage), so an event
//! meets only the rules that can match it, in the order the files defined them.

use std::collections::HashSet;

use crate::ast::Expr;
use crate::compile::{event_types, required_values, without_indexed, CompileError, Filter};
use crate::diagnostic::{Location, RuleDiagnostic};
use crate::evaluation::Evaluation;
use crate::event::{Event, Single, Val};
use crate::exceptions::exception_expr;
use crate::expand::Compiler;
use crate::field::{FieldRef, FieldTable};
use crate::hash::FastMap;
use crate::limits::{quote, RuleLimits};
use crate::loader::{RuleDef, RuleSet};
use crate::output::{OutputError, OutputFormat};
use crate::parser::parse_condition;
use crate::priority::Priority;
use crate::select::Selection;

/// Whether an event stops at the first matching rule (Falco's default) or is checked
/// against every rule.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum RuleMatching {
    #[default]
    /// An event stops at the first rule that matches it.
    First,
    /// An event is checked against every rule.
    All,
}

#[derive(Clone, Debug)]
/// How an [`Engine`] is built and runs.
pub struct EngineOptions {
    /// Refuse to build when any rule has an error, instead of skipping that rule.
    pub strict: bool,
    /// Whether an event stops at its first matching rule.
    pub matching: RuleMatching,
    /// Rules less severe than this do not run.
    pub min_priority: Priority,
    /// Which rules run, by name and tag.
    pub selection: Selection,
}

impl Default for EngineOptions {
    fn default() -> Self {
        Self {
            strict: false,
            matching: RuleMatching::First,
            min_priority: Priority::Debug,
            selection: Selection::default(),
        }
    }
}

#[derive(Debug)]
/// A rule compiled against its source's fields.
pub struct CompiledRule {
    /// The rule's name.
    pub name: String,
    /// Its description.
    pub desc: String,
    /// Its priority.
    pub priority: Priority,
    /// Its event source (`syscall`, `k8s_audit`).
    pub source: String,
    /// Its tags.
    pub tags: Vec<String>,
    /// Its condition, compiled.
    pub filter: Filter,
    /// Its output template, compiled.
    pub output: OutputFormat,
    /// Whether the rule runs, after the file's `enabled` and the selection.
    pub enabled: bool,
    /// The event types the rule can match; `None` for all.
    pub event_types: Option<Vec<String>>,
    /// Where the rule is defined.
    pub location: Location,
    /// Per index field of the source's table: the values the rule can match.
    index_values: Box<[Option<HashSet<String>>]>,
    /// `filter` without the comparisons the index makes true for every event it
    /// hands to the rule: what [`Engine::evaluate`] runs.
    residual: Filter,
}

/// A rule that did not compile.
#[derive(Clone, Debug)]
pub struct RuleFailure {
    /// The rule's name.
    pub rule: String,
    /// Its event source.
    pub source: String,
    /// Why it did not compile.
    pub message: String,
    /// The fields its source does not declare.
    pub unknown_fields: Vec<String>,
}

/// Handle of an event source in an [`Engine`], looked up once with [`Engine::source`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SourceId(usize);

/// The enabled rules of one source and, per indexed field, which of them can match
/// each value. Candidate sets are bit sets over `rules`, so the rules an event meets
/// are the intersection of one set per field, visited in rule order.
#[derive(Debug, Default)]
struct SourceIndex {
    name: String,
    /// The enabled rules, in definition order: bit `i` of a set stands for `rules[i]`.
    rules: Vec<u32>,
    /// Every enabled rule.
    all: Box<[u64]>,
    dimensions: Vec<Dimension>,
    /// Whether a dimension was left out of the index
    /// ([`RuleLimits::max_index_words`]), so that rules run their whole filters
    /// rather than their residuals.
    whole_filters: bool,
}

/// The event type plus at most this many index fields per table.
pub(crate) const MAX_DIMENSIONS: usize = 8;

/// An index field of a source, with its memo slot ([`FieldTable::memo_slot`]) and
/// its vocabulary ([`FieldTable::vocabulary`]).
type IndexField = (FieldRef, Option<u8>, &'static [&'static str]);

#[derive(Debug)]
struct Dimension {
    /// The field read from the event; `None` for the event type ([`Event::event_type`]).
    field: Option<(FieldRef, Option<u8>)>,
    /// The rules that can match events with this value.
    by_value: FastMap<Box<str>, Box<[u64]>>,
    /// The same sets for the values of the field's vocabulary, by their position there:
    /// events answer with [`Single::Word`] for them, and this is an array lookup.
    by_word: Box<[Box<[u64]>]>,
    /// The rules that can match events with any other value or none.
    other: Box<[u64]>,
}

impl Dimension {
    /// Builds the sets from each rule's accepted values (`None`: any value); `None`
    /// when they would take more than `max_words` ([`RuleLimits::max_index_words`]).
    fn new(
        field: Option<IndexField>,
        accepted: &[Option<&HashSet<String>>],
        max_words: usize,
    ) -> Option<Self> {
        let words = accepted.len().div_ceil(64);
        let values: HashSet<&str> = accepted
            .iter()
            .flatten()
            .flat_map(|values| values.iter().map(String::as_str))
            .collect();
        if values.len().saturating_mul(words) > max_words {
            return None;
        }
        let mut other = vec![0u64; words];
        for (bit, values) in accepted.iter().enumerate() {
            if values.is_none() {
                other[bit / 64] |= 1u64 << (bit % 64);
            }
        }
        // The rules that accept any value are in every set.
        let mut by_value: FastMap<Box<str>, Box<[u64]>> = values
            .into_iter()
            .map(|v| (v.into(), other.clone().into_boxed_slice()))
            .collect();
        for (bit, values) in accepted.iter().enumerate() {
            let (word, mask) = (bit / 64, 1u64 << (bit % 64));
            for v in values.iter().copied().flatten() {
                by_value.get_mut(v.as_str()).expect("added above")[word] |= mask;
            }
        }
        let vocabulary = field.as_ref().map_or(&[][..], |f| f.2);
        let by_word = vocabulary
            .iter()
            .map(|word| match by_value.get(*word) {
                Some(set) => set.clone(),
                None => other.clone().into_boxed_slice(),
            })
            .collect();
        Some(Self {
            field: field.map(|(field, memo, _)| (field, memo)),
            by_value,
            by_word,
            other: other.into_boxed_slice(),
        })
    }

    fn candidates(&self, evaluation: &mut Evaluation<'_>) -> &[u64] {
        let set = match &self.field {
            None => evaluation
                .event
                .event_type()
                .and_then(|t| self.by_value.get(t))
                .map(|set| &**set),
            // Through the memo: the rules that run next often compare the same field.
            Some((field, memo)) => match evaluation.single(field, *memo) {
                Some(Single::Word(word, value)) => match self.by_word.get(word as usize) {
                    Some(set) => Some(&**set),
                    None => self.by_value.get(value).map(|set| &**set),
                },
                Some(Single::Text(value)) => self.by_value.get(value).map(|set| &**set),
                Some(Single::Missing | Single::Num(_)) => None,
                None => self.other_candidates(evaluation.event, field),
            },
        };
        set.unwrap_or(&self.other)
    }

    /// The candidates for a field the event answers only with `test_values`.
    fn other_candidates(&self, event: &dyn Event, field: &FieldRef) -> Option<&[u64]> {
        let mut found = None;
        event.test_values(field, false, &mut |value| {
            if let Val::Str(value) = value {
                found = self.by_value.get(&**value);
            }
            true
        });
        found.map(|set| &**set)
    }
}

#[derive(Debug)]
/// Compiled rules indexed by source and event type: hands each event only to the rules that can match it.
pub struct Engine {
    rules: Vec<CompiledRule>,
    sources: Vec<SourceIndex>,
    /// Per source: the index fields of its table.
    index_fields: Vec<(String, Vec<IndexField>)>,
    matching: RuleMatching,
    min_priority: Priority,
    diagnostics: Vec<RuleDiagnostic>,
    failures: Vec<RuleFailure>,
    max_index_words: usize,
}

impl Engine {
    /// Compiles every rule of `set` against the field tables of the sources given.
    /// In strict mode any error makes this fail with all diagnostics; otherwise broken
    /// rules are left out and reported.
    pub fn build(
        set: &RuleSet,
        tables: &[&FieldTable],
        options: &EngineOptions,
    ) -> Result<Engine, Vec<RuleDiagnostic>> {
        Self::build_with_limits(set, tables, options, RuleLimits::default())
    }

    /// [`Engine::build`] with other limits on what the rules may expand to.
    pub fn build_with_limits(
        set: &RuleSet,
        tables: &[&FieldTable],
        options: &EngineOptions,
        limits: RuleLimits,
    ) -> Result<Engine, Vec<RuleDiagnostic>> {
        let mut diagnostics = set.diagnostics.clone();
        let mut failures = Vec::new();
        let max_index_words = limits.max_index_words;
        let mut compiler = Compiler::with_limits(set, limits);
        for l in &set.lists {
            if let Some(e) = compiler.list_error(&l.name) {
                diagnostics.push(RuleDiagnostic::error(
                    Some(l.location.clone()),
                    Some(format!("list '{}'", quote(&l.name))),
                    e,
                ));
            }
        }
        for m in &set.macros {
            if let Some(e) = compiler.macro_error(&m.name) {
                diagnostics.push(RuleDiagnostic::error(
                    Some(m.location.clone()),
                    Some(format!("macro '{}'", quote(&m.name))),
                    format!("condition does not parse: {e}"),
                ));
            }
        }
        let mut rules = Vec::new();
        let mut unknown_sources = HashSet::new();
        for def in &set.rules {
            let label = Some(format!("rule '{}'", quote(&def.name)));
            let Some(table) = tables.iter().find(|t| t.source() == def.source) else {
                if unknown_sources.insert(def.source.clone()) {
                    diagnostics.push(RuleDiagnostic::warning(
                        Some(def.location.clone()),
                        label,
                        format!(
                            "source '{}' is not known to vigie; its rules are skipped",
                            def.source
                        ),
                    ));
                }
                failures.push(RuleFailure {
                    rule: def.name.clone(),
                    source: def.source.clone(),
                    message: format!("unknown source '{}'", def.source),
                    unknown_fields: Vec::new(),
                });
                continue;
            };
            match compile_rule(&mut compiler, def, table) {
                Ok((rule, warnings)) => {
                    for w in warnings {
                        diagnostics.push(RuleDiagnostic::warning(
                            Some(def.location.clone()),
                            label.clone(),
                            w,
                        ));
                    }
                    rules.push(rule);
                }
                Err(e) if def.skip_if_unknown_filter && !e.unknown_fields.is_empty() => {
                    diagnostics.push(RuleDiagnostic::warning(
                        Some(def.location.clone()),
                        label,
                        format!("skipped (skip-if-unknown-filter): {}", e.message),
                    ));
                }
                Err(e) => {
                    diagnostics.push(RuleDiagnostic::error(
                        Some(def.location.clone()),
                        label,
                        e.message.clone(),
                    ));
                    failures.push(RuleFailure {
                        rule: def.name.clone(),
                        source: def.source.clone(),
                        message: e.message,
                        unknown_fields: e.unknown_fields,
                    });
                }
            }
        }
        for m in &set.macros {
            if !compiler.used_macros.contains(&m.name) {
                diagnostics.push(RuleDiagnostic::warning(
                    Some(m.location.clone()),
                    Some(format!("macro '{}'", quote(&m.name))),
                    "macro is not used by any rule",
                ));
            }
        }
        for l in &set.lists {
            if !compiler.used_lists.contains(&l.name) {
                diagnostics.push(RuleDiagnostic::warning(
                    Some(l.location.clone()),
                    Some(format!("list '{}'", quote(&l.name))),
                    "list is not used by any rule or list",
                ));
            }
        }
        if options.strict && diagnostics.iter().any(RuleDiagnostic::is_error) {
            return Err(diagnostics);
        }
        let mut engine = Engine {
            rules,
            sources: Vec::new(),
            index_fields: tables
                .iter()
                .map(|t| {
                    let fields = t.index_fields().iter();
                    let fields = fields.map(|f| (f.clone(), t.memo_slot(f), t.vocabulary(f)));
                    let fields = fields.collect();
                    (t.source().to_string(), fields)
                })
                .collect(),
            matching: options.matching,
            min_priority: options.min_priority,
            diagnostics,
            failures,
            max_index_words,
        };
        engine.select(&options.selection);
        Ok(engine)
    }

    /// Applies a selection to the rules as their files enabled them, and reindexes.
    pub fn select(&mut self, selection: &Selection) {
        for rule in &mut self.rules {
            let in_file = rule.enabled;
            rule.enabled = selection.decide(&rule.name, &rule.tags, in_file);
        }
        self.reindex();
    }

    fn reindex(&mut self) {
        let mut sources: Vec<SourceIndex> = Vec::new();
        for (i, rule) in self.rules.iter().enumerate() {
            let si = match sources.iter().position(|s| s.name == rule.source) {
                Some(si) => si,
                None => {
                    sources.push(SourceIndex {
                        name: rule.source.clone(),
                        ..Default::default()
                    });
                    sources.len() - 1
                }
            };
            if rule.enabled && rule.priority.at_least(self.min_priority) {
                sources[si].rules.push(i as u32);
            }
        }
        for index in &mut sources {
            let rules: Vec<&CompiledRule> = index
                .rules
                .iter()
                .map(|&i| &self.rules[i as usize])
                .collect();
            let mut all = vec![0u64; rules.len().div_ceil(64)];
            for bit in 0..rules.len() {
                all[bit / 64] |= 1 << (bit % 64);
            }
            index.all = all.into_boxed_slice();
            let types: Vec<Option<HashSet<String>>> = rules
                .iter()
                .map(|r| r.event_types.as_ref().map(|t| t.iter().cloned().collect()))
                .collect();
            if types.iter().any(Option::is_some) {
                let accepted: Vec<_> = types.iter().map(Option::as_ref).collect();
                // Left out when too large: the filters compare event types themselves.
                index
                    .dimensions
                    .extend(Dimension::new(None, &accepted, self.max_index_words));
            }
            let fields = self
                .index_fields
                .iter()
                .find(|(source, _)| *source == index.name)
                .map_or(&[][..], |(_, fields)| fields.as_slice());
            for (d, field) in fields.iter().enumerate() {
                let accepted: Vec<_> = rules
                    .iter()
                    .map(|r| r.index_values.get(d).and_then(Option::as_ref))
                    .collect();
                // A field no rule constrains would only cost a lookup per event.
                if accepted.iter().any(Option::is_some) {
                    match Dimension::new(Some(field.clone()), &accepted, self.max_index_words) {
                        Some(dimension) => index.dimensions.push(dimension),
                        // The residual filters leave this field's comparisons to the
                        // index: without it, the whole filters run.
                        None => index.whole_filters = true,
                    }
                }
            }
        }
        self.sources = sources;
    }

    /// Every compiled rule, in file order.
    pub fn rules(&self) -> &[CompiledRule] {
        &self.rules
    }

    /// Every problem found while building.
    pub fn diagnostics(&self) -> &[RuleDiagnostic] {
        &self.diagnostics
    }

    /// The rules that did not compile.
    pub fn failures(&self) -> &[RuleFailure] {
        &self.failures
    }

    /// The source of that name, when some rule uses it.
    pub fn source(&self, name: &str) -> Option<SourceId> {
        self.sources
            .iter()
            .position(|s| s.name == name)
            .map(SourceId)
    }

    /// Number of enabled rules for a source.
    pub fn enabled_count(&self, source: &str) -> usize {
        self.rules
            .iter()
            .filter(|r| r.enabled && r.source == source)
            .count()
    }

    /// Runs the rules of `source` that can match the event; calls `on_match` for each
    /// match (only the first, with [`RuleMatching::First`]). Returns the match count.
    pub fn evaluate(
        &self,
        source: SourceId,
        event: &dyn Event,
        mut on_match: impl FnMut(&CompiledRule),
    ) -> usize {
        let index = &self.sources[source.0];
        let mut evaluation = Evaluation::new(event);
        // One lookup per indexed field, kept on the stack: nothing is allocated.
        let mut sets: [&[u64]; MAX_DIMENSIONS] = [&[]; MAX_DIMENSIONS];
        for (set, d) in sets.iter_mut().zip(&index.dimensions) {
            *set = d.candidates(&mut evaluation);
        }
        let sets = &sets[..index.dimensions.len()];
        let mut matched = 0;
        for (w, &all) in index.all.iter().enumerate() {
            let mut bits = sets.iter().fold(all, |bits, set| bits & set[w]);
            while bits != 0 {
                let rule =
                    &self.rules[index.rules[w * 64 + bits.trailing_zeros() as usize] as usize];
                bits &= bits - 1;
                let filter = match index.whole_filters {
                    false => &rule.residual,
                    true => &rule.filter,
                };
                if filter.eval(&mut evaluation) {
                    matched += 1;
                    on_match(rule);
                    if self.matching == RuleMatching::First {
                        return matched;
                    }
                }
            }
        }
        matched
    }
}

fn compile_rule(
    compiler: &mut Compiler,
    def: &RuleDef,
    table: &FieldTable,
) -> Result<(CompiledRule, Vec<String>), CompileError> {
    let mut warnings = Vec::new();
    let parsed = parse_condition(&def.condition).map_err(|e| CompileError {
        message: format!("condition does not parse: {e}"),
        unknown_fields: Vec::new(),
    })?;
    let mut excluded = Vec::new();
    for exception in &def.exceptions {
        let e = exception_expr(exception).map_err(|message| CompileError {
            message,
            unknown_fields: Vec::new(),
        })?;
        excluded.extend(e);
    }
    // Expanded whole, so that the limits count the exceptions too.
    let expr = match excluded.is_empty() {
        true => compiler.expand(&parsed)?,
        false => compiler.expand(&Expr::And(vec![
            parsed,
            Expr::Not(Box::new(Expr::Or(excluded))),
        ]))?,
    };
    let filter = compiler.compile(&expr, table)?;
    let is_index_field = |f: &crate::FieldExpr, position: usize| {
        table
            .resolve(&f.name, f.arg.as_deref())
            .is_ok_and(|field| table.is_index_field(&field, position))
    };
    let dimensions = table.index_fields().len();
    let index_values: Box<[_]> = (0..dimensions)
        .map(|d| required_values(&expr, &|f| is_index_field(f, d)))
        .collect();
    let residual = compiler.compile(
        &without_indexed(&expr, &|f| (0..dimensions).any(|d| is_index_field(f, d))),
        table,
    )?;
    let output = OutputFormat::compile(&def.output, table).map_err(|e| CompileError {
        unknown_fields: match &e {
            // As the message quotes it, up to a quote inside the name.
            OutputError::UnknownField(field) => {
                vec![quote(field)
                    .split('\'')
                    .next()
                    .unwrap_or_default()
                    .to_string()]
            }
            OutputError::Field(_) => Vec::new(),
        },
        message: e.to_string(),
    })?;
    let types = table.event_type_field().and_then(|f| event_types(&expr, f));
    if table.event_type_field().is_some() && types.is_none() && def.warn_evttypes {
        warnings.push(
            "rule matches all event types, which is costly; restrict it with evt.type".to_string(),
        );
    }
    let mut types: Option<Vec<String>> = types.map(|t| t.into_iter().collect());
    if let Some(t) = types.as_mut() {
        t.sort();
    }
    Ok((
        CompiledRule {
            name: def.name.clone(),
            desc: def.desc.clone(),
            priority: def.priority,
            source: def.source.clone(),
            tags: def.tags.clone(),
            filter,
            output,
            enabled: def.enabled,
            event_types: types,
            location: def.location.clone(),
            index_values,
            residual,
        },
        warnings,
    ))
}
