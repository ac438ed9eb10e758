//! Reading rule files into a [`RuleSet`]: lists, macros and rules with appends and
//! overrides applied in file order. Conditions stay text here; they are parsed and
//! compiled by [`crate::Compiler`] once every file is loaded, so a macro may be used
//! before it is defined.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use vigie_resource::{parse_documents, Entry, Node, Value};

use crate::diagnostic::{Location, RuleDiagnostic};
use crate::limits::{quote, MAX_RULES_FILE_BYTES};
use crate::priority::Priority;
use crate::value::ExceptionValue;
use crate::ENGINE_VERSION;

#[derive(Clone, Debug)]
/// A `- list:` item, with its appends applied.
pub struct ListDef {
    /// The list's name.
    pub name: String,
    /// Its items as written (names of other lists included).
    pub items: Vec<String>,
    /// Where it is defined.
    pub location: Location,
}

#[derive(Clone, Debug)]
/// A `- macro:` item, with its appends applied.
pub struct MacroDef {
    /// The macro's name.
    pub name: String,
    /// Its condition, as written.
    pub condition: String,
    /// Where it is defined.
    pub location: Location,
}

#[derive(Clone, Debug, PartialEq)]
/// One exception of a rule.
pub struct ExceptionDef {
    /// The exception's name.
    pub name: String,
    /// The fields compared; `single` when `fields` was written as one string, in which
    /// case each value is compared whole with the single comparison.
    pub fields: Vec<String>,
    /// Whether `fields` was written as one string.
    pub single: bool,
    /// The comparison operator of each field (`=` when not written).
    pub comps: Vec<String>,
    /// The value tuples: the rule does not match an event whose fields match one of them.
    pub values: Vec<Vec<ExceptionValue>>,
    /// Where it is defined.
    pub location: Location,
}

#[derive(Clone, Debug)]
/// A `- rule:` item, with its appends and overrides applied.
pub struct RuleDef {
    /// The rule's name.
    pub name: String,
    /// Its description.
    pub desc: String,
    /// Its condition, as written.
    pub condition: String,
    /// Its output template.
    pub output: String,
    /// Its priority.
    pub priority: Priority,
    /// Its event source (`syscall` when not written).
    pub source: String,
    /// Its tags.
    pub tags: Vec<String>,
    /// Whether the file enables it.
    pub enabled: bool,
    /// Its exceptions.
    pub exceptions: Vec<ExceptionDef>,
    /// Whether to warn when the condition names no event type.
    pub warn_evttypes: bool,
    /// Whether a rule naming a field its source does not declare is skipped rather than an error.
    pub skip_if_unknown_filter: bool,
    /// Where it is defined.
    pub location: Location,
}

/// Everything loaded from a sequence of rule files, in definition order.
#[derive(Debug, Default)]
pub struct RuleSet {
    /// The lists.
    pub lists: Vec<ListDef>,
    /// The macros.
    pub macros: Vec<MacroDef>,
    /// The rules.
    pub rules: Vec<RuleDef>,
    /// Every problem found while loading.
    pub diagnostics: Vec<RuleDiagnostic>,
}

impl RuleSet {
    /// The list of that name.
    pub fn list(&self, name: &str) -> Option<&ListDef> {
        self.lists.iter().find(|l| l.name == name)
    }

    /// The rule of that name.
    pub fn rule(&self, name: &str) -> Option<&RuleDef> {
        self.rules.iter().find(|r| r.name == name)
    }

    /// Whether some problem is an error.
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(RuleDiagnostic::is_error)
    }
}

/// Loads rule files one after the other; later files append to and override what
/// earlier ones defined.
#[derive(Debug, Default)]
pub struct RuleLoader {
    set: RuleSet,
    list_index: HashMap<String, usize>,
    macro_index: HashMap<String, usize>,
    rule_index: HashMap<String, usize>,
    /// Per rule that exceptions were appended to: the position of each exception
    /// name in its `exceptions`.
    exception_slots: HashMap<usize, HashMap<String, usize>>,
}

const RULE_KEYS: &[&str] = &[
    "rule",
    "desc",
    "condition",
    "output",
    "priority",
    "source",
    "tags",
    "enabled",
    "exceptions",
    "warn_evttypes",
    "skip-if-unknown-filter",
    "append",
    "override",
];
const APPENDABLE_RULE_KEYS: &[&str] = &["condition", "output", "desc", "tags", "exceptions"];
const REPLACEABLE_RULE_KEYS: &[&str] = &[
    "condition",
    "output",
    "desc",
    "priority",
    "tags",
    "exceptions",
    "enabled",
    "warn_evttypes",
    "skip-if-unknown-filter",
];

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Mode {
    Append,
    Replace,
}

/// The text of a scalar as a rule file means it.
fn scalar_text(node: &Node) -> Option<String> {
    match &node.value {
        Value::String(s) => Some(s.to_string()),
        Value::Int(i) => Some(i.to_string()),
        Value::Float(f) => Some(f.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Null => Some(String::new()),
        _ => None,
    }
}

/// One `key: append|replace` of an `override` mapping, with the node of its mode.
type Override<'n> = (String, Mode, &'n Node);

struct ItemCtx<'a> {
    file: &'a Arc<str>,
    node: &'a Node,
    kind: &'static str,
    name: String,
}

impl ItemCtx<'_> {
    fn location_of(&self, node: &Node) -> Location {
        Location {
            file: self.file.clone(),
            line: node.pos.line,
            column: node.pos.column,
        }
    }

    fn location(&self) -> Location {
        self.location_of(self.node)
    }

    fn label(&self) -> Option<String> {
        Some(format!("{} '{}'", self.kind, quote(&self.name)))
    }

    fn error(&self, at: &Node, message: impl Into<String>) -> RuleDiagnostic {
        RuleDiagnostic::error(Some(self.location_of(at)), self.label(), message)
    }

    fn entries(&self) -> &[Entry] {
        self.node.as_map().unwrap_or(&[])
    }

    fn get(&self, key: &str) -> Option<&Node> {
        self.entries()
            .iter()
            .find(|e| e.key == key)
            .map(|e| &e.value)
    }

    fn string(&self, key: &str) -> Result<Option<String>, RuleDiagnostic> {
        match self.get(key) {
            None => Ok(None),
            Some(node) => match scalar_text(node) {
                Some(s) => Ok(Some(s)),
                None => Err(self.error(node, format!("'{key}' must be a string"))),
            },
        }
    }

    fn bool(&self, key: &str) -> Result<Option<bool>, RuleDiagnostic> {
        match self.get(key) {
            None => Ok(None),
            Some(node) => match node.value {
                Value::Bool(b) => Ok(Some(b)),
                _ => Err(self.error(node, format!("'{key}' must be true or false"))),
            },
        }
    }

    fn strings(&self, key: &str) -> Result<Option<Vec<String>>, RuleDiagnostic> {
        match self.get(key) {
            None => Ok(None),
            Some(Node {
                value: Value::Null, ..
            }) => Ok(Some(Vec::new())),
            Some(node) => match node.as_seq() {
                Some(items) => items
                    .iter()
                    .map(|i| {
                        scalar_text(i).ok_or_else(|| {
                            self.error(i, format!("items of '{key}' must be strings"))
                        })
                    })
                    .collect::<Result<Vec<_>, _>>()
                    .map(Some),
                None => Err(self.error(node, format!("'{key}' must be a list"))),
            },
        }
    }

    /// The `override` mapping: key to append/replace.
    fn overrides(&self) -> Result<Option<Vec<Override<'_>>>, RuleDiagnostic> {
        let Some(node) = self.get("override") else {
            return Ok(None);
        };
        let Some(entries) = node.as_map() else {
            return Err(self.error(
                node,
                "'override' must be a mapping of keys to append or replace",
            ));
        };
        let mut out = Vec::new();
        for e in entries {
            let mode = match e.value.as_str() {
                Some("append") => Mode::Append,
                Some("replace") => Mode::Replace,
                _ => {
                    return Err(self.error(
                        &e.value,
                        format!("override of '{}' must be 'append' or 'replace'", e.key),
                    ))
                }
            };
            out.push((e.key.to_string(), mode, &e.value));
        }
        Ok(Some(out))
    }

    /// How a list or macro item (`kind`) combines with an earlier one of its
    /// name: `override` may name its one `field` only, and `append: true` says
    /// append; `None` (a definition) when neither is given.
    fn one_field_mode(&self, kind: &str, field: &str) -> Result<Option<Mode>, RuleDiagnostic> {
        match self.overrides()? {
            Some(overrides) => {
                let mut mode = None;
                for (key, m, at) in overrides {
                    if key != field {
                        return Err(self.error(
                            at,
                            format!("{kind}s can only override '{field}', not '{key}'"),
                        ));
                    }
                    mode = Some(m);
                }
                Ok(mode)
            }
            None if self.bool("append")? == Some(true) => Ok(Some(Mode::Append)),
            None => Ok(None),
        }
    }
}

impl RuleLoader {
    /// A loader with nothing loaded.
    pub fn new() -> Self {
        Self::default()
    }

    /// Loads a file from disk; an unreadable file, or one larger than
    /// [`MAX_RULES_FILE_BYTES`], is an error diagnostic.
    pub fn load_file(&mut self, path: &Path) {
        self.load_file_with_limit(path, MAX_RULES_FILE_BYTES)
    }

    /// [`RuleLoader::load_file`], reading at most `max_bytes` bytes.
    pub fn load_file_with_limit(&mut self, path: &Path, max_bytes: u64) {
        match read_capped(path, max_bytes) {
            Ok(text) => self.load_str(&path.display().to_string(), &text),
            Err(message) => self.set.diagnostics.push(RuleDiagnostic::error(
                Some(Location {
                    file: path.display().to_string().into(),
                    line: 0,
                    column: 0,
                }),
                None,
                message,
            )),
        }
    }

    /// Loads rule file text; `name` names it in diagnostics.
    pub fn load_str(&mut self, name: &str, text: &str) {
        let file: Arc<str> = name.into();
        let mut docs = parse_documents(text);
        if docs.iter().any(Result::is_err) {
            // yaml-cpp, which Falco uses, accepts a flow sequence's closing bracket at
            // its key's indentation; retry with such lines indented (line numbers stay).
            let relaxed = indent_closing_brackets(text);
            let retry = parse_documents(&relaxed);
            if retry.iter().filter(|d| d.is_err()).count()
                < docs.iter().filter(|d| d.is_err()).count()
            {
                docs = retry;
            }
        }
        for doc in docs {
            let doc = match doc {
                Ok(doc) => doc,
                Err(e) => {
                    self.set.diagnostics.push(RuleDiagnostic::error(
                        Some(Location {
                            file: file.clone(),
                            line: e.pos.line,
                            column: e.pos.column,
                        }),
                        None,
                        format!("YAML error: {}", e.reason),
                    ));
                    continue;
                }
            };
            let items = match &doc.root.value {
                Value::Null => continue,
                Value::Seq(items) => items,
                _ => {
                    self.set.diagnostics.push(RuleDiagnostic::error(
                        Some(Location {
                            file: file.clone(),
                            line: doc.root.pos.line,
                            column: doc.root.pos.column,
                        }),
                        None,
                        "rules content is not a YAML sequence",
                    ));
                    continue;
                }
            };
            for item in items {
                self.load_item(&file, item);
            }
        }
    }

    /// The rule set loaded.
    pub fn finish(self) -> RuleSet {
        self.set
    }

    /// The rule set loaded so far.
    pub fn rule_set(&self) -> &RuleSet {
        &self.set
    }

    fn load_item(&mut self, file: &Arc<str>, node: &Node) {
        let location = Location {
            file: file.clone(),
            line: node.pos.line,
            column: node.pos.column,
        };
        let Some(entries) = node.as_map() else {
            self.set.diagnostics.push(RuleDiagnostic::error(
                Some(location),
                None,
                format!(
                    "unexpected element in rules file (not a mapping): {}",
                    node.display_value()
                ),
            ));
            return;
        };
        let kind = [
            "rule",
            "macro",
            "list",
            "required_engine_version",
            "required_plugin_versions",
        ]
        .into_iter()
        .find(|k| entries.iter().any(|e| e.key == *k));
        let result = match kind {
            Some("required_engine_version") => self.engine_version(file, node),
            Some("required_plugin_versions") => Ok(()),
            Some(kind) => {
                let name_node = node.get(kind);
                let name = name_node.and_then(scalar_text).unwrap_or_default();
                let kind: &'static str = match kind {
                    "rule" => "rule",
                    "macro" => "macro",
                    _ => "list",
                };
                let ctx = ItemCtx {
                    file,
                    node,
                    kind,
                    name,
                };
                if ctx.name.is_empty() {
                    Err(RuleDiagnostic::error(
                        Some(location),
                        None,
                        format!("{kind} item has no name (the '{kind}' key must name it)"),
                    ))
                } else {
                    match kind {
                        "rule" => self.rule(&ctx),
                        "macro" => self.macro_item(&ctx),
                        _ => self.list(&ctx),
                    }
                }
            }
            _ => {
                // A few keys say what the item is; all of them could be megabytes.
                let mut keys: Vec<String> = entries.iter().take(5).map(|e| quote(&e.key)).collect();
                if entries.len() > keys.len() {
                    keys.push(format!("and {} more", entries.len() - keys.len()));
                }
                self.set.diagnostics.push(RuleDiagnostic::warning(
                    Some(location),
                    None,
                    format!("unknown top-level item with keys {keys:?}, ignored"),
                ));
                Ok(())
            }
        };
        if let Err(d) = result {
            self.set.diagnostics.push(d);
        }
    }

    fn engine_version(&mut self, file: &Arc<str>, node: &Node) -> Result<(), RuleDiagnostic> {
        let v = node.get("required_engine_version").unwrap_or(node);
        let location = Some(Location {
            file: file.clone(),
            line: v.pos.line,
            column: v.pos.column,
        });
        let required = match &v.value {
            Value::Int(i) if *i >= 0 => Some((0, *i as u64, 0)),
            Value::String(s) => parse_semver(s),
            Value::Float(f) => parse_semver(&f.to_string()),
            _ => None,
        };
        let Some(required) = required else {
            return Err(RuleDiagnostic::error(
                location,
                None,
                format!(
                    "required_engine_version must be a number or a semantic version, found {}",
                    v.display_value()
                ),
            ));
        };
        let ours = parse_semver(ENGINE_VERSION).expect("valid engine version");
        if required > ours {
            return Err(RuleDiagnostic::error(
                location,
                None,
                format!(
                    "rules require engine version {}.{}.{}, vigie implements {ENGINE_VERSION}",
                    required.0, required.1, required.2
                ),
            ));
        }
        Ok(())
    }

    fn warn_unknown_keys(&mut self, ctx: &ItemCtx, known: &[&str]) {
        for e in ctx.entries() {
            if !known.contains(&e.key.as_str()) {
                let d = RuleDiagnostic::warning(
                    Some(Location {
                        file: ctx.file.clone(),
                        line: e.key_pos.line,
                        column: e.key_pos.column,
                    }),
                    ctx.label(),
                    format!("unknown key '{}'", quote(&e.key)),
                );
                self.set.diagnostics.push(d);
            }
        }
    }

    fn list(&mut self, ctx: &ItemCtx) -> Result<(), RuleDiagnostic> {
        self.warn_unknown_keys(ctx, &["list", "items", "append", "override"]);
        let items = ctx.strings("items")?;
        let mode = ctx.one_field_mode("list", "items")?;
        let Some(items) = items else {
            return Err(ctx.error(ctx.node, "list has no 'items'"));
        };
        match (mode, self.list_index.get(&ctx.name)) {
            (Some(Mode::Append), Some(&i)) => self.set.lists[i].items.extend(items),
            (Some(Mode::Replace), Some(&i)) => self.set.lists[i].items = items,
            (Some(_), None) => {
                return Err(ctx.error(
                    ctx.node,
                    "list appends to or overrides a list that no earlier file or item defines",
                ))
            }
            (None, Some(&i)) => {
                self.set.lists[i].items = items;
                self.set.lists[i].location = ctx.location();
            }
            (None, None) => {
                self.list_index
                    .insert(ctx.name.clone(), self.set.lists.len());
                self.set.lists.push(ListDef {
                    name: ctx.name.clone(),
                    items,
                    location: ctx.location(),
                });
            }
        }
        Ok(())
    }

    fn macro_item(&mut self, ctx: &ItemCtx) -> Result<(), RuleDiagnostic> {
        self.warn_unknown_keys(ctx, &["macro", "condition", "append", "override", "source"]);
        let condition = ctx.string("condition")?;
        let mode = ctx.one_field_mode("macro", "condition")?;
        let Some(condition) = condition else {
            return Err(ctx.error(ctx.node, "macro has no 'condition'"));
        };
        match (mode, self.macro_index.get(&ctx.name)) {
            (Some(Mode::Append), Some(&i)) => {
                let m = &mut self.set.macros[i];
                m.condition.push(' ');
                m.condition.push_str(&condition);
            }
            (Some(Mode::Replace), Some(&i)) => self.set.macros[i].condition = condition,
            (Some(_), None) => {
                return Err(ctx.error(
                    ctx.node,
                    "macro appends to or overrides a macro that no earlier file or item defines",
                ))
            }
            (None, Some(&i)) => {
                self.set.macros[i].condition = condition;
                self.set.macros[i].location = ctx.location();
            }
            (None, None) => {
                self.macro_index
                    .insert(ctx.name.clone(), self.set.macros.len());
                self.set.macros.push(MacroDef {
                    name: ctx.name.clone(),
                    condition,
                    location: ctx.location(),
                });
            }
        }
        Ok(())
    }

    fn exceptions(&self, ctx: &ItemCtx) -> Result<Vec<ExceptionDef>, RuleDiagnostic> {
        let Some(node) = ctx.get("exceptions") else {
            return Ok(Vec::new());
        };
        if node.value == Value::Null {
            return Ok(Vec::new());
        }
        let Some(items) = node.as_seq() else {
            return Err(ctx.error(node, "'exceptions' must be a list"));
        };
        items
            .iter()
            .map(|item| parse_exception(ctx, item))
            .collect()
    }

    fn rule(&mut self, ctx: &ItemCtx) -> Result<(), RuleDiagnostic> {
        self.warn_unknown_keys(ctx, RULE_KEYS);
        let existing = self.rule_index.get(&ctx.name).copied();
        if let Some(overrides) = ctx.overrides()? {
            let Some(i) = existing else {
                return Err(ctx.error(
                    ctx.node,
                    "rule overrides a rule that no earlier file or item defines",
                ));
            };
            for e in ctx.entries() {
                if !matches!(e.key.as_str(), "rule" | "override")
                    && !overrides.iter().any(|(k, _, _)| *k == e.key)
                {
                    return Err(ctx.error(
                        &e.value,
                        format!("key '{}' is not listed in 'override'", e.key),
                    ));
                }
            }
            for (key, mode, at) in &overrides {
                let allowed = match mode {
                    Mode::Append => APPENDABLE_RULE_KEYS,
                    Mode::Replace => REPLACEABLE_RULE_KEYS,
                };
                if !allowed.contains(&key.as_str()) {
                    return Err(ctx.error(
                        at,
                        format!("key '{key}' cannot be overridden with {mode:?}"),
                    ));
                }
                if ctx.get(key).is_none() {
                    return Err(ctx.error(
                        at,
                        format!("override names '{key}' but the item has no '{key}'"),
                    ));
                }
            }
            let exceptions = self.exceptions(ctx)?;
            let updates = overrides
                .iter()
                .map(|(key, mode, _)| rule_update(ctx, key, *mode))
                .collect::<Result<Vec<_>, _>>()?;
            self.update_rule(i, updates, exceptions);
            return Ok(());
        }
        if ctx.bool("append")? == Some(true) {
            let Some(i) = existing else {
                return Err(ctx.error(
                    ctx.node,
                    "rule appends to a rule that no earlier file or item defines",
                ));
            };
            let exceptions = self.exceptions(ctx)?;
            if ctx.get("condition").is_none() && exceptions.is_empty() {
                return Err(ctx.error(
                    ctx.node,
                    "appended rule has neither 'condition' nor 'exceptions'",
                ));
            }
            let updates = ["condition", "exceptions"]
                .into_iter()
                .filter(|key| ctx.get(key).is_some())
                .map(|key| rule_update(ctx, key, Mode::Append))
                .collect::<Result<Vec<_>, _>>()?;
            self.update_rule(i, updates, exceptions);
            return Ok(());
        }
        // An item with only a name and `enabled` switches an existing rule on or off.
        let only_enabled = ctx
            .entries()
            .iter()
            .all(|e| matches!(e.key.as_str(), "rule" | "enabled"));
        if only_enabled {
            if let (Some(i), Some(enabled)) = (existing, ctx.bool("enabled")?) {
                self.set.rules[i].enabled = enabled;
                return Ok(());
            }
        }
        let mut missing = Vec::new();
        for key in ["condition", "output", "desc", "priority"] {
            if ctx.get(key).is_none() {
                missing.push(key);
            }
        }
        if !missing.is_empty() {
            return Err(ctx.error(ctx.node, format!("rule has no {}", missing.join(", "))));
        }
        let priority = priority(ctx, ctx.get("priority").expect("checked above"))?;
        let rule = RuleDef {
            name: ctx.name.clone(),
            desc: ctx.string("desc")?.unwrap_or_default(),
            condition: ctx.string("condition")?.unwrap_or_default(),
            output: ctx
                .string("output")?
                .unwrap_or_default()
                .trim_end()
                .to_string(),
            priority,
            source: ctx
                .string("source")?
                .unwrap_or_else(|| "syscall".to_string()),
            tags: ctx.strings("tags")?.unwrap_or_default(),
            enabled: ctx.bool("enabled")?.unwrap_or(true),
            exceptions: self.exceptions(ctx)?,
            warn_evttypes: ctx.bool("warn_evttypes")?.unwrap_or(true),
            skip_if_unknown_filter: ctx.bool("skip-if-unknown-filter")?.unwrap_or(false),
            location: ctx.location(),
        };
        match existing {
            Some(i) => {
                self.set.rules[i] = rule;
                self.exception_slots.remove(&i);
            }
            None => {
                self.rule_index
                    .insert(ctx.name.clone(), self.set.rules.len());
                self.set.rules.push(rule);
            }
        }
        Ok(())
    }

    /// Applies checked updates to rule `i` in place: appending costs what is appended.
    fn update_rule(&mut self, i: usize, updates: Vec<RuleUpdate>, exceptions: Vec<ExceptionDef>) {
        let mut exceptions = Some(exceptions);
        for update in updates {
            let rule = &mut self.set.rules[i];
            let text = |target: &mut String, mode: Mode, text: String| {
                if mode == Mode::Append {
                    target.push(' ');
                    target.push_str(&text);
                } else {
                    *target = text;
                }
            };
            match update {
                RuleUpdate::Condition(mode, t) => text(&mut rule.condition, mode, t),
                RuleUpdate::Output(mode, t) => text(&mut rule.output, mode, t),
                RuleUpdate::Desc(mode, t) => text(&mut rule.desc, mode, t),
                RuleUpdate::Tags(Mode::Append, tags) => rule.tags.extend(tags),
                RuleUpdate::Tags(Mode::Replace, tags) => rule.tags = tags,
                RuleUpdate::Exceptions(mode) => {
                    let new = exceptions.take().unwrap_or_default();
                    self.update_exceptions(i, mode, new);
                }
                RuleUpdate::Priority(p) => rule.priority = p,
                RuleUpdate::Enabled(b) => rule.enabled = b,
                RuleUpdate::WarnEvttypes(b) => rule.warn_evttypes = b,
                RuleUpdate::SkipIfUnknownFilter(b) => rule.skip_if_unknown_filter = b,
                RuleUpdate::Nothing => {}
            }
        }
    }

    /// Replaces the exceptions of rule `i`, or appends to them: an exception of a name
    /// the rule has gets the new values, found by name in
    /// [`RuleLoader::exception_slots`] so that many appends cost no search each.
    fn update_exceptions(&mut self, i: usize, mode: Mode, new: Vec<ExceptionDef>) {
        let rule = &mut self.set.rules[i];
        if mode == Mode::Replace {
            rule.exceptions = new;
            self.exception_slots.remove(&i);
            return;
        }
        let slots = self.exception_slots.entry(i).or_insert_with(|| {
            let mut slots = HashMap::new();
            for (slot, e) in rule.exceptions.iter().enumerate() {
                slots.entry(e.name.clone()).or_insert(slot);
            }
            slots
        });
        for e in new {
            match slots.get(&e.name) {
                Some(&slot) => rule.exceptions[slot].values.extend(e.values),
                None => {
                    slots.insert(e.name.clone(), rule.exceptions.len());
                    rule.exceptions.push(e);
                }
            }
        }
    }
}

/// A new value of one key of an existing rule, read and checked before any is applied.
enum RuleUpdate {
    Condition(Mode, String),
    Output(Mode, String),
    Desc(Mode, String),
    Tags(Mode, Vec<String>),
    /// With the exceptions the item defines.
    Exceptions(Mode),
    Priority(Priority),
    Enabled(bool),
    WarnEvttypes(bool),
    SkipIfUnknownFilter(bool),
    Nothing,
}

/// Reads the new value of `key` from an appending or overriding item.
fn rule_update(ctx: &ItemCtx, key: &str, mode: Mode) -> Result<RuleUpdate, RuleDiagnostic> {
    let text = || -> Result<String, RuleDiagnostic> { Ok(ctx.string(key)?.unwrap_or_default()) };
    Ok(match key {
        "condition" => RuleUpdate::Condition(mode, text()?),
        "output" => RuleUpdate::Output(mode, text()?),
        "desc" => RuleUpdate::Desc(mode, text()?),
        "tags" => RuleUpdate::Tags(mode, ctx.strings(key)?.unwrap_or_default()),
        "exceptions" => RuleUpdate::Exceptions(mode),
        "priority" => {
            let node = ctx.get(key).expect("checked by the caller");
            RuleUpdate::Priority(priority(ctx, node)?)
        }
        "enabled" => RuleUpdate::Enabled(ctx.bool(key)?.unwrap_or(true)),
        "warn_evttypes" => RuleUpdate::WarnEvttypes(ctx.bool(key)?.unwrap_or(true)),
        "skip-if-unknown-filter" => {
            RuleUpdate::SkipIfUnknownFilter(ctx.bool(key)?.unwrap_or(false))
        }
        _ => RuleUpdate::Nothing,
    })
}

/// A rule's priority, or an error showing (the start of) what was written.
fn priority(ctx: &ItemCtx, node: &Node) -> Result<Priority, RuleDiagnostic> {
    scalar_text(node)
        .and_then(|p| Priority::parse(&p))
        .ok_or_else(|| ctx.error(node, format!("invalid priority {}", node.display_value())))
}

fn parse_exception(ctx: &ItemCtx, item: &Node) -> Result<ExceptionDef, RuleDiagnostic> {
    let name = item
        .get("name")
        .and_then(scalar_text)
        .ok_or_else(|| ctx.error(item, "exception has no 'name'"))?;
    for e in item.as_map().unwrap_or(&[]) {
        if !matches!(e.key.as_str(), "name" | "fields" | "comps" | "values") {
            return Err(ctx.error(
                &e.value,
                format!("exception '{name}': unknown key '{}'", quote(&e.key)),
            ));
        }
    }
    let location = ctx.location_of(item);
    let fields_node = item.get("fields");
    let (fields, single) = match fields_node.map(|n| &n.value) {
        Some(Value::String(s)) => (vec![s.to_string()], true),
        Some(Value::Seq(items)) => (
            items
                .iter()
                .map(|i| {
                    i.as_str().map(str::to_string).ok_or_else(|| {
                        ctx.error(i, format!("exception '{name}': fields must be strings"))
                    })
                })
                .collect::<Result<Vec<_>, _>>()?,
            false,
        ),
        // An exception with only values is completed by a later append; without
        // fields it cannot match anything.
        None => (Vec::new(), false),
        Some(_) => {
            return Err(ctx.error(
                item,
                format!("exception '{name}': 'fields' must be a string or a list"),
            ))
        }
    };
    let comps = match item.get("comps").map(|n| &n.value) {
        None => vec![if single { "in" } else { "=" }.to_string(); fields.len().max(1)],
        Some(Value::String(s)) => vec![s.to_string()],
        Some(Value::Seq(items)) => items.iter().filter_map(scalar_text).collect(),
        Some(_) => {
            return Err(ctx.error(
                item,
                format!("exception '{name}': 'comps' must be a string or a list"),
            ))
        }
    };
    if !single && !fields.is_empty() && comps.len() != fields.len() {
        return Err(ctx.error(
            item,
            format!(
                "exception '{name}': {} fields but {} comps",
                fields.len(),
                comps.len()
            ),
        ));
    }
    let mut values = Vec::new();
    for v in item.get("values").map(|n| n.items()).unwrap_or(&[]) {
        let tuple = if single {
            vec![exception_value(v)]
        } else {
            let Some(parts) = v.as_seq() else {
                return Err(ctx.error(
                    v,
                    format!("exception '{name}': each value must be a list matching 'fields'"),
                ));
            };
            if !fields.is_empty() && parts.len() != fields.len() {
                return Err(ctx.error(
                    v,
                    format!(
                        "exception '{name}': value has {} items but there are {} fields",
                        parts.len(),
                        fields.len()
                    ),
                ));
            }
            parts.iter().map(exception_value).collect()
        };
        values.push(tuple);
    }
    Ok(ExceptionDef {
        name,
        fields,
        single,
        comps,
        values,
        location,
    })
}

fn exception_value(node: &Node) -> ExceptionValue {
    match node.as_seq() {
        Some(items) => ExceptionValue::List(items.iter().filter_map(scalar_text).collect()),
        None => ExceptionValue::Scalar(scalar_text(node).unwrap_or_default()),
    }
}

/// The text of a file of at most `max_bytes` bytes: more is not read
/// (`vigie_resource::input::read_text`, the one capped reader), with the reason
/// in a rules file's words.
fn read_capped(path: &Path, max_bytes: u64) -> Result<String, String> {
    vigie_resource::input::read_text(path, max_bytes).map_err(|e| match e {
        vigie_resource::input::ReadError::TooLarge { limit, .. } => {
            format!("rules file is larger than {limit} bytes (the limit for a rules file)")
        }
        other => match other.pos() {
            Some(pos) => format!(
                "cannot read rules file: line {}: {}",
                pos.line,
                other.reason()
            ),
            None => format!("cannot read rules file: {}", other.reason()),
        },
    })
}

/// Parses `1`, `0.26`, `0.26.0`: Falco's old integer versions are minor versions.
fn parse_semver(text: &str) -> Option<(u64, u64, u64)> {
    let parts: Vec<&str> = text.trim().split('.').collect();
    let nums: Vec<u64> = parts
        .iter()
        .map(|p| p.parse().ok())
        .collect::<Option<_>>()?;
    match nums.as_slice() {
        [minor] => Some((0, *minor, 0)),
        [major, minor] => Some((*major, *minor, 0)),
        [major, minor, patch] => Some((*major, *minor, *patch)),
        _ => None,
    }
}

/// Indents lines holding only a closing `]` or `}` by four more spaces.
fn indent_closing_brackets(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 64);
    for line in text.split_inclusive('\n') {
        let t = line.trim();
        if matches!(t, "]" | "}" | "]," | "},") {
            out.push_str("    ");
        }
        out.push_str(line);
    }
    out
}
