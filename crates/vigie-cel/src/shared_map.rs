//! Maps with string keys shared by reference count: the maps of a
//! Kubernetes object, and of the values its variables compute.
//!
//! The engine copies a map whenever it owns one it only borrows: to bind
//! each element of a list to a comprehension's variable, to join lists with
//! `+`, to wrap a field in an optional. Its own map type copies every entry
//! (and every map nested in them) each time; measured on the Pod Security
//! CEL policies, those copies were a fifth of the instructions, and copying
//! variables' values out of the evaluation another fifth
//! (bench/policy/README.md). A [`SharedMap`] copies a pointer instead.
//!
//! The engine's map compares equal only to its own type (`equals` is called
//! on the left operand): [`equal`] compares either way round, and compiled
//! programs evaluate `==` and `!=` between two computed operands through it
//! ([`rewrite_equality`]).

use std::sync::{Arc, OnceLock};

use cel::common::ast::{CallExpr, Expr, IdedExpr};
use cel::common::traits::{self, Container, Indexer, Iterable, Sizer, Zeroer};
use cel::common::types::{
    CelBool, CelDouble, CelInt, CelList, CelString, CelUInt, Kind, Type, DYN_TYPE, MAP_TYPE,
};
use cel::common::value::{CowVal, StaticVal, Val};
use cel::{ExecutionError, Value};

use crate::cost::{SizeBound, SizeTree};

/// Maps with at most this many keys are searched in order rather than by
/// bisection ([`SharedMap::find`]).
const SCAN_LEN: usize = 8;

/// A map whose keys are all strings, shared by reference count.
#[derive(Debug, Clone)]
pub(crate) struct SharedMap(Arc<Entries>);

/// The entries of a [`SharedMap`], sorted by key, and the map's size
/// bounds (see [`crate::shared::Bound`]).
#[derive(Debug)]
struct Entries {
    entries: Vec<(CelString<'static>, Box<dyn Val>)>,
    deep: SizeBound,
    tree: OnceLock<SizeTree>,
}

impl SharedMap {
    /// A map of `entries` (keys unique), whose longest list and string
    /// (itself and its keys included) are `deep`.
    pub(crate) fn new(
        mut entries: Vec<(CelString<'static>, Box<dyn Val>)>,
        deep: SizeBound,
    ) -> SharedMap {
        entries.sort_unstable_by(|a, b| a.0.inner().cmp(b.0.inner()));
        SharedMap(Arc::new(Entries {
            entries,
            deep,
            tree: OnceLock::new(),
        }))
    }

    /// The longest list and string anywhere in the map.
    pub(crate) fn deep(&self) -> SizeBound {
        self.0.deep
    }

    /// The map's size tree, measured on first need and kept.
    pub(crate) fn size(&self) -> &SizeTree {
        self.0.tree.get_or_init(|| {
            SizeTree::map_of(
                self.0
                    .entries
                    .iter()
                    .map(|(k, v)| (Some(k.inner()), crate::shared::measure(v.as_ref(), 1))),
            )
        })
    }

    /// The entries, sorted by key.
    pub(crate) fn entries(&self) -> impl Iterator<Item = (&str, &dyn Val)> {
        self.0.entries.iter().map(|(k, v)| (k.inner(), v.as_ref()))
    }

    /// The number of entries.
    pub(crate) fn len(&self) -> usize {
        self.0.entries.len()
    }

    /// The value of `key`, if the map has it.
    pub(crate) fn find(&self, key: &str) -> Option<&(dyn Val + 'static)> {
        let entries = &self.0.entries;
        // The maps of Kubernetes objects mostly hold a few keys, of
        // different lengths: comparing lengths first, in order, compares
        // bytes about once, where a binary search compares them at each
        // step (measured on the Pod Security CEL policies: half the
        // instructions per lookup, 68 against 136). The order
        // of the entries stays the sorted one.
        if entries.len() <= SCAN_LEN {
            return entries
                .iter()
                .find(|(k, _)| k.inner().len() == key.len() && k.inner() == key)
                .map(|(_, v)| v.as_ref());
        }
        entries
            .binary_search_by(|(k, _)| k.inner().cmp(key))
            .ok()
            .map(|i| entries[i].1.as_ref())
    }
}

/// Whether `key` can be looked up in a map (the engine's rule): a string,
/// int, uint, bool or double. Only strings are found in a [`SharedMap`].
fn is_lookup_key(key: &dyn Val) -> bool {
    key.downcast_ref::<CelString>().is_some()
        || key.downcast_ref::<CelInt>().is_some()
        || key.downcast_ref::<CelUInt>().is_some()
        || key.downcast_ref::<CelBool>().is_some()
        || key.downcast_ref::<CelDouble>().is_some()
}

/// The engine's error for a key that is not in a map, with the same text.
fn no_such_key(key: &dyn Val) -> ExecutionError {
    if let Some(s) = key.downcast_ref::<CelString>() {
        // A `has()` test of a missing field discards the error: a field
        // name of Kubernetes objects gets one made once.
        return crate::keys::no_such_key(s.inner());
    }
    let text = if let Some(i) = key.downcast_ref::<CelInt>() {
        i.inner().to_string()
    } else if let Some(u) = key.downcast_ref::<CelUInt>() {
        u.inner().to_string()
    } else if let Some(d) = key.downcast_ref::<CelDouble>() {
        d.inner().to_string()
    } else if let Some(b) = key.downcast_ref::<CelBool>() {
        b.inner().to_string()
    } else {
        String::new()
    };
    ExecutionError::NoSuchKey(Arc::new(text))
}

impl Val for SharedMap {
    fn get_type(&self) -> &Type {
        &MAP_TYPE
    }

    fn cel_type() -> &'static Type {
        &MAP_TYPE
    }

    fn as_container(&self) -> Option<&dyn Container> {
        Some(self)
    }

    fn as_indexer<'b, 'w>(&'b self) -> Option<&'b (dyn Indexer + 'w)>
    where
        Self: 'w,
    {
        Some(self)
    }

    fn as_iterable<'b, 'w>(&'b self) -> Option<&'b (dyn Iterable + 'w)>
    where
        Self: 'w,
    {
        Some(self)
    }

    fn as_sizer(&self) -> Option<&dyn Sizer> {
        Some(self)
    }

    fn as_zeroer(&self) -> Option<&dyn Zeroer> {
        Some(self)
    }

    fn equals(&self, other: &dyn Val) -> bool {
        if let Some(o) = other.downcast_ref::<SharedMap>() {
            return Arc::ptr_eq(&self.0, &o.0)
                || (self.0.entries.len() == o.0.entries.len()
                    && self
                        .0
                        .entries
                        .iter()
                        .zip(o.0.entries.iter())
                        .all(|((ka, va), (kb, vb))| ka == kb && equal(va.as_ref(), vb.as_ref())));
        }
        // Another map (the engine's, a literal): the same keys, with equal
        // values. Its size says whether it has keys besides ours.
        if other.get_type().kind() != Kind::Map {
            return false;
        }
        let (Some(sizer), Some(indexer)) = (other.as_sizer(), other.as_indexer()) else {
            return false;
        };
        *sizer.size().inner() == self.0.entries.len() as i64
            && self.0.entries.iter().all(|(k, v)| {
                indexer
                    .get(k)
                    .is_ok_and(|ov| equal(v.as_ref(), ov.as_ref()))
            })
    }

    fn clone_as_boxed<'w>(&self) -> Box<dyn Val + 'w>
    where
        Self: 'w,
    {
        Box::new(self.clone())
    }

    fn as_any(&self) -> Option<&dyn std::any::Any> {
        Some(self)
    }
}

impl StaticVal for SharedMap {}

impl Container for SharedMap {
    fn contains(&self, key: &dyn Val) -> Result<bool, ExecutionError> {
        match key.downcast_ref::<CelString>() {
            Some(s) => Ok(self.find(s.inner()).is_some()),
            None if is_lookup_key(key) => Ok(false),
            None => Err(ExecutionError::UnsupportedKeyType(
                key.try_into().unwrap_or(Value::Null),
            )),
        }
    }
}

impl Indexer for SharedMap {
    fn get<'b, 'w>(&'b self, key: &dyn Val) -> Result<CowVal<'b, 'w>, ExecutionError>
    where
        Self: 'w,
    {
        let found = key
            .downcast_ref::<CelString>()
            .and_then(|s| self.find(s.inner()));
        match found {
            Some(v) => Ok(CowVal::Borrowed(v)),
            None if is_lookup_key(key) => Err(no_such_key(key)),
            None => Err(ExecutionError::UnexpectedType {
                got: key.get_type().name().to_owned(),
                want: "map key".to_owned(),
            }),
        }
    }

    fn steal<'w>(self: Box<Self>, key: &dyn Val) -> Result<Box<dyn Val + 'w>, ExecutionError>
    where
        Self: 'w,
    {
        // The entries are shared: the element is cloned (a pointer, for a
        // nested map), not moved out.
        self.get(key).map(CowVal::into_owned)
    }
}

/// The keys of a [`SharedMap`], in order.
struct Keys<'b> {
    entries: &'b [(CelString<'static>, Box<dyn Val>)],
    next: usize,
}

impl<'b, 'w> traits::Iterator<'b, 'w> for Keys<'b> {
    fn next(&mut self) -> Option<&'b (dyn Val + 'w)> {
        let (k, _) = self.entries.get(self.next)?;
        self.next += 1;
        Some(k)
    }
}

impl Iterable for SharedMap {
    fn iter<'b, 'w>(&'b self) -> Box<dyn traits::Iterator<'b, 'w> + 'b>
    where
        Self: 'w,
    {
        Box::new(Keys {
            entries: &self.0.entries,
            next: 0,
        })
    }
}

impl Sizer for SharedMap {
    fn size(&self) -> CelInt {
        (self.0.entries.len() as i64).into()
    }
}

impl Zeroer for SharedMap {
    fn is_zero_value(&self) -> bool {
        self.0.entries.is_empty()
    }
}

/// `a == b` as CEL defines it, whichever operand is a [`SharedMap`] (or a
/// list holding one): the engine's own values compare as the engine does.
pub(crate) fn equal(a: &dyn Val, b: &dyn Val) -> bool {
    if a.downcast_ref::<SharedMap>().is_some() {
        return a.equals(b);
    }
    if b.downcast_ref::<SharedMap>().is_some() {
        return b.equals(a);
    }
    if let (Some(x), Some(y)) = (a.downcast_ref::<CelList>(), b.downcast_ref::<CelList>()) {
        return x.inner().len() == y.inner().len()
            && x.inner()
                .iter()
                .zip(y.inner().iter())
                .all(|(p, q)| equal(p.as_ref(), q.as_ref()));
    }
    a.equals(b)
}

/// The function `==` between two computed operands is evaluated with: a
/// name no CEL text can spell.
const EQUALS: &str = "@vigie.equals";
/// As [`EQUALS`], for `!=`.
const NOT_EQUALS: &str = "@vigie.not_equals";

/// The function `x in y` is evaluated with, unless `y` is a list literal of
/// literals.
const IN_LIST: &str = "@vigie.in_list";

/// Whether `name` is one of the functions [`rewrite_equality`] calls,
/// which give a bool or an error.
pub(crate) fn is_bool_function(name: &str) -> bool {
    equality_function(name).is_some()
}

/// The operators [`rewrite_equality`] rewrites into calls.
pub(crate) enum Equality {
    /// `==`.
    Equals,
    /// `!=`.
    NotEquals,
    /// `in`.
    In,
}

/// The operator that the function `name` evaluates, if [`rewrite_equality`]
/// calls it.
pub(crate) fn equality_function(name: &str) -> Option<Equality> {
    match name {
        EQUALS => Some(Equality::Equals),
        NOT_EQUALS => Some(Equality::NotEquals),
        IN_LIST => Some(Equality::In),
        _ => None,
    }
}

/// Declares [`EQUALS`], [`NOT_EQUALS`] and [`IN_LIST`].
pub(crate) fn register(env: &mut cel::Env) -> Result<(), cel::DeclarationError> {
    env.add_overload(EQUALS, "vigie_equals", vec![DYN_TYPE, DYN_TYPE], |args| {
        pair(args, true)
    })?;
    env.add_overload(
        NOT_EQUALS,
        "vigie_not_equals",
        vec![DYN_TYPE, DYN_TYPE],
        |args| pair(args, false),
    )?;
    env.add_overload(IN_LIST, "vigie_in_list", vec![DYN_TYPE, DYN_TYPE], in_list)
}

/// `x in y`: for a list, whether an element equals `x` ([`equal`], the
/// element first, as the engine's list compares); for anything else (a
/// map's keys), the engine's own `in`, with its error for a value that
/// holds nothing.
fn in_list<'b, 'v>(args: Vec<CowVal<'b, 'v>>) -> Result<CowVal<'b, 'v>, ExecutionError> {
    let [x, list]: [CowVal<'b, 'v>; 2] = args
        .try_into()
        .map_err(|a: Vec<_>| ExecutionError::invalid_argument_count(2, a.len()))?;
    if let Some(items) = list.downcast_ref::<CelList>() {
        let found = items.inner().iter().any(|i| equal(i.as_ref(), x.as_ref()));
        return Ok(CowVal::owned(CelBool::from(found)));
    }
    let Some(container) = list.as_container() else {
        let types = [x.as_ref(), list.as_ref()].map(|v| v.get_type().name().to_owned());
        return Err(ExecutionError::no_such_overload(
            cel::common::ast::operators::IN,
            types.to_vec(),
        ));
    };
    let found = container.contains(x.as_ref())?;
    Ok(CowVal::owned(CelBool::from(found)))
}

fn pair<'b, 'v>(args: Vec<CowVal<'b, 'v>>, want: bool) -> Result<CowVal<'b, 'v>, ExecutionError> {
    let [a, b]: [CowVal<'b, 'v>; 2] = args
        .try_into()
        .map_err(|a: Vec<_>| ExecutionError::invalid_argument_count(2, a.len()))?;
    Ok(CowVal::owned(CelBool::from(
        equal(a.as_ref(), b.as_ref()) == want,
    )))
}

/// Rewrites `a == b` and `a != b` into calls of [`EQUALS`] and
/// [`NOT_EQUALS`] when neither operand is a literal, and `a in y` into a
/// call of [`IN_LIST`] when `a` is not a literal and `y` is not a list
/// literal of literals (a literal scalar is
/// never equal to a map or list, whichever side it is on, so the engine's
/// own operator gives the same answer there, faster).
/// Whether it rewrote any.
pub(crate) fn rewrite_equality(e: &mut IdedExpr) -> bool {
    let mut changed = false;
    crate::objects::for_each_child_mut(e, &mut |child| changed |= rewrite_equality(child));
    if let Expr::Call(CallExpr {
        func_name,
        target: None,
        args,
    }) = &mut e.expr
    {
        let literal = |x: &IdedExpr| matches!(x.expr, Expr::Literal(_));
        // `x in y`: the engine's list compares each element (an engine map,
        // perhaps built by the expression) with `x` (maybe a shared map),
        // element first, and only an engine map equals an engine map. Only
        // a list literal of literals (`x in ['a', 'b']`) keeps the engine's
        // `in`: a literal is never equal to a map or list.
        let literal_elements = |x: &IdedExpr| match &x.expr {
            Expr::List(l) => l.elements.iter().all(literal),
            _ => false,
        };
        if args.len() == 2
            && func_name == cel::common::ast::operators::IN
            && !literal(&args[0])
            && !literal_elements(&args[1])
        {
            *func_name = IN_LIST.to_string();
            return true;
        }
        if args.len() == 2 && !literal(&args[0]) && !literal(&args[1]) {
            let to = match func_name.as_str() {
                cel::common::ast::operators::EQUALS => EQUALS,
                cel::common::ast::operators::NOT_EQUALS => NOT_EQUALS,
                _ => return changed,
            };
            *func_name = to.to_string();
            return true;
        }
    }
    changed
}
