//! Evaluation of parsed JMESPath the way Kyverno's JMESPath does it: a
//! sub-expression whose left side is null is null (the right side, a function
//! call for example, is not evaluated), as the JMESPath specification says.
//!
//! The document's objects are read in place ([`Document`]): values are walked
//! as the JSON or the JMESPath values they are, and arrays built on the way
//! (projections, flattening, multi-select lists) hold them unconverted. A value
//! is converted only where JMESPath's own types are needed: for a function, a
//! comparison, a multi-select hash, a slice, and the result.

use std::collections::HashMap;
use std::rc::Rc;

use jmespath::ast::Ast;
use jmespath::{Context, JmespathError, Rcvar, Variable};
use serde_json::Value as Json;

use super::document::{Document, Found, IN_PLACE};
use super::{limits, to_json, to_var};

/// A value met during evaluation.
#[derive(Clone, Debug)]
pub(super) enum Val<'d> {
    /// A JMESPath value.
    Var(Rcvar),
    /// A part of an object read in place.
    Json(&'d Json),
    /// The root of a document that reads objects in place.
    Root,
    /// The `request` map of such a document.
    Request,
    /// An array made during evaluation, its items not converted (shared, as
    /// JMESPath's own arrays are, so that `[@, @]` costs no copy).
    List(Rc<Vec<Val<'d>>>),
}

static NULL: Json = Json::Null;

fn null<'d>() -> Val<'d> {
    Val::Json(&NULL)
}

impl<'d> Val<'d> {
    /// The value at the root of `doc`.
    pub(super) fn root(doc: &Document<'d>) -> Val<'d> {
        if doc.reads_in_place() {
            Val::Root
        } else {
            Val::Var(doc.vars().clone())
        }
    }

    /// What a search found, for its caller: what was read in place stays so.
    pub(super) fn found(&self, doc: &Document<'d>) -> Found<'d> {
        match self {
            Val::Json(j) => Found::Json(j),
            Val::Var(v) => Found::Var(v.clone()),
            Val::Root | Val::Request | Val::List(_) => Found::Var(self.to_var(doc)),
        }
    }

    /// The items of an array, each as [`Val::found`]; a value that is not an
    /// array is its own one item.
    pub(super) fn found_items(&self, doc: &Document<'d>) -> Vec<Found<'d>> {
        match self.items() {
            Some(items) => items.iter().map(|item| item.found(doc)).collect(),
            None => vec![self.found(doc)],
        }
    }

    pub(super) fn is_null(&self) -> bool {
        match self {
            Val::Var(v) => v.is_null(),
            Val::Json(j) => j.is_null(),
            Val::Root | Val::Request | Val::List(_) => false,
        }
    }

    /// JMESPath's truthiness: false, null, and empty strings, arrays and objects
    /// are false.
    fn is_truthy(&self) -> bool {
        match self {
            Val::Var(v) => v.is_truthy(),
            Val::Json(j) => match j {
                Json::Null => false,
                Json::Bool(b) => *b,
                Json::Number(_) => true,
                Json::String(s) => !s.is_empty(),
                Json::Array(items) => !items.is_empty(),
                Json::Object(map) => !map.is_empty(),
            },
            Val::Root | Val::Request => true,
            Val::List(items) => !items.is_empty(),
        }
    }

    fn field(&self, name: &str, doc: &Document<'d>) -> Val<'d> {
        match self {
            Val::Var(v) => var_field(v, name),
            Val::Json(Json::Object(map)) => map.get(name).map_or_else(null, Val::Json),
            Val::Root if name == "request" && doc.reads_request_in_place() => Val::Request,
            Val::Root => match doc.bound(name) {
                Some(value) => Val::Json(value),
                None => var_field(doc.vars(), name),
            },
            Val::Request => match doc.in_place(name) {
                Some(object) => Val::Json(object),
                None => match doc.vars().as_object().and_then(|m| m.get("request")) {
                    Some(request) => var_field(request, name),
                    None => null(),
                },
            },
            Val::Json(_) | Val::List(_) => null(),
        }
    }

    fn index(&self, idx: i32) -> Val<'d> {
        let at = |len: usize| {
            let i = if idx < 0 {
                len as i64 + i64::from(idx)
            } else {
                i64::from(idx)
            };
            usize::try_from(i).ok()
        };
        let found = match self {
            Val::Var(v) => match &**v {
                Variable::Array(items) => at(items.len())
                    .and_then(|i| items.get(i))
                    .map(|v| Val::Var(v.clone())),
                _ => None,
            },
            Val::Json(Json::Array(items)) => {
                at(items.len()).and_then(|i| items.get(i)).map(Val::Json)
            }
            Val::List(items) => at(items.len()).and_then(|i| items.get(i)).cloned(),
            _ => None,
        };
        found.unwrap_or_else(null)
    }

    /// The items of an array; `None` for anything else.
    fn items(&self) -> Option<Vec<Val<'d>>> {
        match self {
            Val::Var(v) => v
                .as_array()
                .map(|items| items.iter().cloned().map(Val::Var).collect()),
            Val::Json(Json::Array(items)) => Some(items.iter().map(Val::Json).collect()),
            Val::List(items) => Some(items.to_vec()),
            _ => None,
        }
    }

    /// The number of items of an array; `None` for anything else.
    fn len(&self) -> Option<usize> {
        match self {
            Val::Var(v) => v.as_array().map(Vec::len),
            Val::Json(Json::Array(items)) => Some(items.len()),
            Val::List(items) => Some(items.len()),
            _ => None,
        }
    }

    /// The value as JSON (the expanded value: callers check its size first).
    pub(super) fn to_json(&self, doc: &Document<'d>) -> Json {
        match self {
            Val::Var(v) => to_json(v),
            Val::Json(j) => (*j).clone(),
            Val::List(items) => Json::Array(items.iter().map(|v| v.to_json(doc)).collect()),
            Val::Root | Val::Request => to_json(&self.to_var(doc)),
        }
    }

    /// The value as a JMESPath value. What is shared stays shared: a list or an
    /// object met twice is converted once.
    pub(super) fn to_var(&self, doc: &Document<'d>) -> Rcvar {
        self.to_var_shared(doc, &mut HashMap::new())
    }

    fn to_var_shared(&self, doc: &Document<'d>, done: &mut HashMap<usize, Rcvar>) -> Rcvar {
        match self {
            Val::Var(v) => v.clone(),
            Val::Json(j @ (Json::Array(_) | Json::Object(_))) => {
                let key = std::ptr::from_ref::<Json>(j) as usize;
                done.entry(key).or_insert_with(|| to_var(j)).clone()
            }
            Val::Json(j) => to_var(j),
            Val::List(items) => {
                // A list held once is met once: only shared ones are remembered.
                let key = Rc::as_ptr(items) as usize;
                if let Some(var) = done.get(&key) {
                    return var.clone();
                }
                let var = Rcvar::new(Variable::Array(
                    items.iter().map(|v| v.to_var_shared(doc, done)).collect(),
                ));
                if Rc::strong_count(items) > 1 {
                    done.insert(key, var.clone());
                }
                var
            }
            Val::Root => {
                let mut map = doc.vars().as_object().cloned().unwrap_or_default();
                if doc.reads_request_in_place() {
                    map.insert("request".into(), Val::Request.to_var_shared(doc, done));
                }
                for (name, value) in doc.bindings() {
                    map.insert(name.into(), Val::Json(value).to_var_shared(doc, done));
                }
                Rcvar::new(Variable::Object(map))
            }
            Val::Request => {
                let mut map = doc
                    .vars()
                    .as_object()
                    .and_then(|m| m.get("request"))
                    .and_then(|r| r.as_object())
                    .cloned()
                    .unwrap_or_default();
                for field in IN_PLACE {
                    if let Some(object) = doc.in_place(field) {
                        map.insert(field.into(), Val::Json(object).to_var_shared(doc, done));
                    }
                }
                Rcvar::new(Variable::Object(map))
            }
        }
    }

    /// Whether the expanded size of the value stays within `limit`: elements
    /// count one each, strings and keys their length in bytes, an object read
    /// in place as its conversion would. Costs at most `limit` steps whatever
    /// the value (shared parts are counted each time they appear, which is
    /// what printing or converting the value would cost).
    pub(super) fn size_within(&self, doc: &Document<'d>, limit: u64) -> bool {
        enum Node<'a, 'd> {
            Var(&'a Variable),
            Json(&'a Json),
            List(&'a [Val<'d>]),
            Root,
            Request,
        }
        fn node_of<'a, 'd>(value: &'a Val<'d>) -> Node<'a, 'd> {
            match value {
                Val::Var(v) => Node::Var(v),
                Val::Json(j) => Node::Json(j),
                Val::List(items) => Node::List(items),
                Val::Root => Node::Root,
                Val::Request => Node::Request,
            }
        }
        let mut total: u64 = 0;
        let mut stack = vec![node_of(self)];
        while let Some(node) = stack.pop() {
            total += 1;
            match node {
                Node::Var(v) => match v {
                    Variable::String(s) => total += s.len() as u64,
                    Variable::Array(items) => stack.extend(items.iter().map(|i| Node::Var(i))),
                    Variable::Object(map) => {
                        for (k, item) in map {
                            total += k.len() as u64;
                            stack.push(Node::Var(item));
                        }
                    }
                    _ => {}
                },
                Node::Json(j) => match j {
                    Json::String(s) => total += s.len() as u64,
                    Json::Array(items) => stack.extend(items.iter().map(Node::Json)),
                    Json::Object(map) => {
                        for (k, item) in map {
                            total += k.len() as u64;
                            stack.push(Node::Json(item));
                        }
                    }
                    _ => {}
                },
                Node::List(items) => stack.extend(items.iter().map(node_of)),
                root_or_request @ (Node::Root | Node::Request) => {
                    // The tree's own part (for the root, its `request` map
                    // with it), then the objects read in place.
                    let vars: &Variable = doc.vars();
                    let part = match root_or_request {
                        Node::Root => Some(vars),
                        _ => vars
                            .as_object()
                            .and_then(|m| m.get("request"))
                            .map(|r| &**r),
                    };
                    stack.extend(part.map(Node::Var));
                    for field in IN_PLACE {
                        if let Some(object) = doc.in_place(field) {
                            total += field.len() as u64;
                            stack.push(Node::Json(object));
                        }
                    }
                    if matches!(root_or_request, Node::Root) {
                        for (name, value) in doc.bindings() {
                            total += name.len() as u64;
                            stack.push(Node::Json(value));
                        }
                    }
                }
            }
            if total > limit {
                return false;
            }
        }
        true
    }
}

fn var_field<'d>(value: &Rcvar, name: &str) -> Val<'d> {
    match &**value {
        Variable::Object(map) => map.get(name).cloned().map_or_else(null, Val::Var),
        _ => null(),
    }
}

/// The error that stops an evaluation out of steps; the caller names the limit.
fn out_of_steps(ctx: &Context<'_>) -> JmespathError {
    JmespathError::new(
        ctx.expression,
        ctx.offset,
        jmespath::ErrorReason::Parse("evaluation limit reached".into()),
    )
}

pub(super) fn eval<'d>(
    ast: &Ast,
    data: &Val<'d>,
    doc: &Document<'d>,
    ctx: &mut Context<'_>,
) -> Result<Val<'d>, JmespathError> {
    if !limits::spend(1) {
        return Err(out_of_steps(ctx));
    }
    Ok(match ast {
        Ast::Identity { .. } => data.clone(),
        Ast::Field { name, .. } => data.field(name, doc),
        Ast::Subexpr { lhs, rhs, .. } => {
            let left = eval(lhs, data, doc, ctx)?;
            if left.is_null() {
                return Ok(left);
            }
            eval(rhs, &left, doc, ctx)?
        }
        Ast::Index { idx, .. } => data.index(*idx),
        Ast::Literal { value, .. } => Val::Var(value.clone()),
        Ast::MultiList { elements, .. } => {
            if data.is_null() {
                return Ok(null());
            }
            let items = elements
                .iter()
                .map(|e| eval(e, data, doc, ctx))
                .collect::<Result<Vec<_>, _>>()?;
            Val::List(Rc::new(items))
        }
        Ast::MultiHash { elements, .. } => {
            if data.is_null() {
                return Ok(null());
            }
            let mut map = std::collections::BTreeMap::new();
            for kv in elements {
                map.insert(kv.key.clone(), eval(&kv.value, data, doc, ctx)?.to_var(doc));
            }
            Val::Var(Rcvar::new(Variable::Object(map)))
        }
        Ast::Projection { lhs, rhs, .. } => {
            let left = eval(lhs, data, doc, ctx)?;
            let Some(items) = left.items() else {
                return Ok(null());
            };
            if !limits::spend(items.len() as u64) {
                return Err(out_of_steps(ctx));
            }
            let mut out = Vec::with_capacity(items.len());
            for item in &items {
                let v = eval(rhs, item, doc, ctx)?;
                if !v.is_null() {
                    out.push(v);
                }
            }
            Val::List(Rc::new(out))
        }
        Ast::ObjectValues { node, .. } => match eval(node, data, doc, ctx)? {
            Val::Json(Json::Object(map)) => {
                Val::List(Rc::new(map.values().map(Val::Json).collect()))
            }
            v @ (Val::Var(_) | Val::Root | Val::Request) => match &*v.to_var(doc) {
                Variable::Object(map) => {
                    Val::List(Rc::new(map.values().cloned().map(Val::Var).collect()))
                }
                _ => null(),
            },
            Val::Json(_) | Val::List(_) => null(),
        },
        Ast::Flatten { node, .. } => {
            let v = eval(node, data, doc, ctx)?;
            let Some(items) = v.items() else {
                return Ok(null());
            };
            let mut out = Vec::with_capacity(items.len());
            for item in items {
                if !limits::spend(item.len().unwrap_or(1) as u64) {
                    return Err(out_of_steps(ctx));
                }
                match item.items() {
                    Some(inner) => out.extend(inner),
                    None => out.push(item),
                }
            }
            Val::List(Rc::new(out))
        }
        Ast::Comparison {
            comparator,
            lhs,
            rhs,
            ..
        } => {
            let (l, r) = (eval(lhs, data, doc, ctx)?, eval(rhs, data, doc, ctx)?);
            match l.to_var(doc).compare(comparator, &r.to_var(doc)) {
                Some(b) => Val::Var(Rcvar::new(Variable::Bool(b))),
                None => null(),
            }
        }
        Ast::Condition {
            predicate, then, ..
        } => {
            if eval(predicate, data, doc, ctx)?.is_truthy() {
                eval(then, data, doc, ctx)?
            } else {
                null()
            }
        }
        Ast::Not { node, .. } => Val::Var(Rcvar::new(Variable::Bool(
            !eval(node, data, doc, ctx)?.is_truthy(),
        ))),
        Ast::And { lhs, rhs, .. } => {
            let l = eval(lhs, data, doc, ctx)?;
            if l.is_truthy() {
                eval(rhs, data, doc, ctx)?
            } else {
                l
            }
        }
        Ast::Or { lhs, rhs, .. } => {
            let l = eval(lhs, data, doc, ctx)?;
            if l.is_truthy() {
                l
            } else {
                eval(rhs, data, doc, ctx)?
            }
        }
        Ast::Slice {
            start, stop, step, ..
        } => match data.to_var(doc).slice(*start, *stop, *step) {
            Some(items) => Val::Var(Rcvar::new(Variable::Array(items))),
            None => null(),
        },
        Ast::Expref { ast, .. } => Val::Var(Rcvar::new(Variable::Expref((**ast).clone()))),
        Ast::Function { name, args, offset } => {
            let mut values = Vec::with_capacity(args.len());
            for a in args {
                values.push(eval(a, data, doc, ctx)?);
            }
            ctx.offset = *offset;
            // A function may print, join or copy its arguments whole: their
            // expanded size is what it would cost.
            if let Some(big) = values
                .iter()
                .position(|v| !v.size_within(doc, limits::MAX_VALUE_SIZE))
            {
                return Err(JmespathError::new(
                    ctx.expression,
                    *offset,
                    jmespath::ErrorReason::Parse(format!(
                        "argument {} of {name}() is larger than the limit of {} (elements and string bytes)",
                        big + 1,
                        limits::MAX_VALUE_SIZE
                    )),
                ));
            }
            let values: Vec<Rcvar> = values.iter().map(|v| v.to_var(doc)).collect();
            let runtime = ctx.runtime;
            match runtime.get_function(name) {
                Some(f) => Val::Var(f.evaluate(&values, ctx)?),
                None => {
                    return Err(JmespathError::new(
                        ctx.expression,
                        *offset,
                        jmespath::ErrorReason::Runtime(jmespath::RuntimeError::UnknownFunction(
                            name.clone(),
                        )),
                    ))
                }
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shared_values_are_measured_expanded_and_measuring_stops_at_the_limit() {
        let doc = Document::new(Rcvar::new(Variable::Null));
        let mut v = Rcvar::new(Variable::String("x".into()));
        // 2^60 elements once expanded, 60 nodes in memory.
        for _ in 0..60 {
            v = Rcvar::new(Variable::Array(vec![v.clone(), v]));
        }
        assert!(!Val::Var(v).size_within(&doc, 1000));
        let mut list = Val::Json(&NULL);
        for _ in 0..60 {
            list = Val::List(Rc::new(vec![list.clone(), list]));
        }
        assert!(!list.size_within(&doc, 1000));
        let small = Rcvar::new(Variable::Array(vec![Rcvar::new(Variable::Null)]));
        assert!(Val::Var(small.clone()).size_within(&doc, 2));
        assert!(!Val::Var(small).size_within(&doc, 1));
    }
}
