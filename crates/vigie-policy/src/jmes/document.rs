//! The document variables are resolved against, with the request's objects read
//! in place.
//!
//! The object of a request is JSON. Converting it into JMESPath values (one
//! reference-counted node for each of its values) for every request, and
//! freeing that copy afterwards, cost more than the expressions that read it:
//! those read a few fields (`request.object.spec.containers[].image`). So the
//! document keeps `request.object` and `request.oldObject` as the JSON they
//! are, and the evaluator walks them in place: only what an expression
//! returns, or gives to a function or a comparison, is converted. The
//! elements of a `foreach` taken from them are bound (`element`) in place too,
//! and the `images` variable, which costs work to make, is made when first
//! read.

use std::borrow::Cow;

use serde_json::{Map, Value as Json};

use super::{to_var, Rcvar, Variable};
use crate::engine::Target;

/// The variables of one evaluation: a JMESPath tree, the request's objects,
/// which stand at `request.object` and `request.oldObject` in place of what the
/// tree holds there (the tree has a `request` map, or none, while either is
/// set), and names of the root bound to JSON (`element`, `images`), which
/// stand in place of the tree's fields of the same names.
#[derive(Clone, Debug)]
pub struct Document<'d> {
    vars: Rcvar,
    object: Option<&'d Json>,
    old_object: Option<&'d Json>,
    /// Names are borrowed when static (`element`, `images`, `element0`): a
    /// document is cloned for each element of a `foreach`.
    bound: Vec<(Cow<'static, str>, Bound<'d>)>,
}

/// JSON a name of the root is bound to.
#[derive(Clone, Debug)]
enum Bound<'d> {
    Json(&'d Json),
    /// The `images` variable of a target, which the target makes when it is
    /// first read.
    Images(&'d Target),
}

impl<'d> Bound<'d> {
    fn get(&self) -> &'d Json {
        match self {
            Bound::Json(value) => value,
            Bound::Images(target) => target.images(),
        }
    }
}

/// A value a search found: a part of a document's JSON, read in place, or a
/// JMESPath value.
#[derive(Clone, Debug)]
pub enum Found<'d> {
    /// JSON read in place.
    Json(&'d Json),
    /// A JMESPath value.
    Var(Rcvar),
}

impl Found<'_> {
    /// Whether the value is null.
    pub fn is_null(&self) -> bool {
        match self {
            Found::Json(j) => j.is_null(),
            Found::Var(v) => v.is_null(),
        }
    }

    /// Whether the value is an object.
    pub fn is_object(&self) -> bool {
        match self {
            Found::Json(j) => j.is_object(),
            Found::Var(v) => v.is_object(),
        }
    }

    /// The value as JSON: borrowed when it was read in place.
    pub fn to_json(&self) -> std::borrow::Cow<'_, Json> {
        match self {
            Found::Json(j) => std::borrow::Cow::Borrowed(*j),
            Found::Var(v) => std::borrow::Cow::Owned(super::to_json(v)),
        }
    }
}

/// The fields of `request` that may be read in place.
pub(super) const IN_PLACE: [&str; 2] = ["object", "oldObject"];

impl<'d> Document<'d> {
    /// A document of JMESPath values only.
    pub fn new(vars: Rcvar) -> Self {
        Document {
            vars,
            object: None,
            old_object: None,
            bound: Vec::new(),
        }
    }

    /// A document whose `request.object` and `request.oldObject` are read from
    /// these (when given) rather than from `vars`.
    pub fn with_objects(
        vars: Rcvar,
        object: Option<&'d Json>,
        old_object: Option<&'d Json>,
    ) -> Self {
        Document {
            vars,
            object,
            old_object,
            bound: Vec::new(),
        }
    }

    /// The JMESPath values, without the objects read in place.
    pub(super) fn vars(&self) -> &Rcvar {
        &self.vars
    }

    /// Whether some value is read in place.
    pub(super) fn reads_in_place(&self) -> bool {
        self.reads_request_in_place() || !self.bound.is_empty()
    }

    /// Whether some field of `request` is read in place.
    pub(super) fn reads_request_in_place(&self) -> bool {
        self.object.is_some() || self.old_object.is_some()
    }

    /// The JSON a name of the root is bound to, if any.
    pub(super) fn bound(&self, name: &str) -> Option<&'d Json> {
        self.bound
            .iter()
            .find(|(bound, _)| bound == name)
            .map(|(_, value)| value.get())
    }

    /// The names of the root bound to JSON.
    pub(super) fn bindings(&self) -> impl Iterator<Item = (&str, &'d Json)> + '_ {
        self.bound
            .iter()
            .map(|(name, value)| (name.as_ref(), value.get()))
    }

    /// Sets a field of the root (a name, not a path) to a value found by a
    /// search: JSON stays read in place.
    pub fn bind(&mut self, name: impl Into<Cow<'static, str>>, value: &Found<'d>) {
        match value {
            Found::Json(json) => self.bind_bound(name.into(), Bound::Json(json)),
            Found::Var(var) => self.set_field(&name.into(), var.clone()),
        }
    }

    /// The object read in place at `request.<field>`, if any.
    pub(super) fn in_place(&self, field: &str) -> Option<&'d Json> {
        match field {
            "object" => self.object,
            "oldObject" => self.old_object,
            _ => None,
        }
    }

    fn in_place_slot(&mut self, field: &str) -> Option<&mut Option<&'d Json>> {
        match field {
            "object" => Some(&mut self.object),
            "oldObject" => Some(&mut self.old_object),
            _ => None,
        }
    }

    /// Reads `request.<field>` (`object` or `oldObject`) from `object`, in
    /// place of what the tree holds there.
    pub fn set_in_place(&mut self, field: &str, object: &'d Json) {
        set_var_path(
            &mut self.vars,
            &format!("request.{field}"),
            Rcvar::new(Variable::Null),
        );
        if let Some(slot) = self.in_place_slot(field) {
            *slot = Some(object);
        }
    }

    /// Binds `images` to the `images` variable of `target`, made only if an
    /// expression reads it.
    pub fn bind_images(&mut self, target: &'d Target) {
        self.bind_bound(Cow::Borrowed("images"), Bound::Images(target));
    }

    fn bind_bound(&mut self, name: Cow<'static, str>, value: Bound<'d>) {
        self.bound.retain(|(bound, _)| *bound != name);
        self.bound.push((name, value));
    }

    /// Sets `value` at a dotted path (`request.object.metadata.name`), creating
    /// maps. Setting an object read in place, or a field inside it, makes it a
    /// part of the JMESPath tree again (converted, for a field inside it).
    pub fn set_path(&mut self, path: &str, value: Rcvar) {
        let (first, inside) = match path.split_once('.') {
            Some((first, _)) => (first, true),
            None => (path, false),
        };
        if let Some(at) = self.bound.iter().position(|(name, _)| name == first) {
            let (name, value) = self.bound.remove(at);
            if inside {
                set_var_path(&mut self.vars, &name, to_var(value.get()));
            }
        }
        if let Some(rest) = path.strip_prefix("request") {
            if rest.is_empty() {
                self.object = None;
                self.old_object = None;
            } else if let Some(rest) = rest.strip_prefix('.') {
                let (field, inside) = match rest.split_once('.') {
                    Some((field, _)) => (field, true),
                    None => (rest, false),
                };
                if let Some(slot) = self.in_place_slot(field) {
                    if let Some(object) = slot.take() {
                        if inside {
                            set_var_path(
                                &mut self.vars,
                                &format!("request.{field}"),
                                to_var(object),
                            );
                        }
                    }
                }
            }
        }
        set_var_path(&mut self.vars, path, value);
    }

    /// Sets a field of the root (a name, not a path).
    pub fn set_field(&mut self, name: &str, value: Rcvar) {
        self.bound.retain(|(bound, _)| bound != name);
        if name == "request" {
            self.object = None;
            self.old_object = None;
        }
        if !self.vars.is_object() {
            self.vars = Rcvar::new(Variable::Object(Default::default()));
        }
        if let Variable::Object(root) = std::sync::Arc::make_mut(&mut self.vars) {
            root.insert(name.to_string(), value);
        }
    }

    /// Adds each value (keys may be dotted paths) to the document.
    pub fn apply_values(&mut self, values: &Map<String, Json>) {
        for (key, value) in values {
            self.set_path(key, to_var(value));
        }
    }

    /// The whole document as JSON (what tests compare).
    #[cfg(test)]
    pub fn to_json(&self) -> Json {
        super::interp::Val::root(self).to_json(self)
    }

    /// Whether the value at a path of field names (`["request", "oldObject"]`)
    /// is null or absent (nothing is converted).
    pub fn is_null_at(&self, path: &[&str]) -> bool {
        match self.at(path) {
            None => true,
            Some(At::Json(value)) => value.is_null(),
            Some(At::Var(value)) => value.is_null(),
        }
    }

    /// The string at a path of field names, if it is one.
    pub fn string_at(&self, path: &[&str]) -> Option<&str> {
        match self.at(path)? {
            At::Json(value) => value.as_str(),
            At::Var(value) => value.as_string().map(String::as_str),
        }
    }

    fn at(&self, path: &[&str]) -> Option<At<'_>> {
        let (&first, below) = path.split_first()?;
        let in_place = match (self.bound(first), below.split_first()) {
            (Some(value), _) => Some((value, below)),
            (None, Some((&field, rest))) if first == "request" => {
                self.in_place(field).map(|object| (object, rest))
            }
            _ => None,
        };
        if let Some((mut value, rest)) = in_place {
            for part in rest {
                value = value.get(part)?;
            }
            return Some(At::Json(value));
        }
        let mut value: &Variable = &self.vars;
        for part in path {
            value = value.as_object()?.get(*part)?;
        }
        Some(At::Var(value))
    }
}

/// A value found in a document.
enum At<'a> {
    Var(&'a Variable),
    Json(&'a Json),
}

impl From<Rcvar> for Document<'_> {
    fn from(vars: Rcvar) -> Self {
        Document::new(vars)
    }
}

/// Sets `value` at a dotted path of a JMESPath tree, creating maps.
fn set_var_path(root: &mut Rcvar, path: &str, value: Rcvar) {
    let mut node = root;
    let mut parts = path.split('.').peekable();
    while let Some(part) = parts.next() {
        let var = std::sync::Arc::make_mut(node);
        if !var.is_object() {
            *var = Variable::Object(Default::default());
        }
        let Variable::Object(map) = var else {
            unreachable!("made an object just above")
        };
        if parts.peek().is_none() {
            map.insert(part.to_string(), value);
            return;
        }
        node = map
            .entry(part.to_string())
            .or_insert_with(|| Rcvar::new(Variable::Object(Default::default())));
    }
}
