//! The compile-time check that every free name is a declared variable (or a
//! type name): a typo in a policy is found when it is loaded, not when the
//! first resource happens to reach that branch.

use std::collections::BTreeSet;

use cel::common::ast::{EntryExpr, Expr, IdedExpr};

use crate::CompileError;

/// Identifiers that name types, usable as values (`type(x) == int`).
const TYPE_NAMES: &[&str] = &[
    "bool",
    "bytes",
    "double",
    "dyn",
    "int",
    "list",
    "map",
    "null_type",
    "string",
    "type",
    "uint",
    "optional_type",
    "net.IP",
    "net.CIDR",
];

/// Roots of namespaced functions (`math.greatest(...)`), which parse as a
/// method call on an identifier.
pub(crate) const NAMESPACES: &[&str] = &[
    "math",
    "strings",
    "base64",
    "optional",
    "sets",
    "lists",
    "cel",
    "net",
    "ip",
    "jsonpatch",
    "format",
];

/// Fails on the first free identifier that is neither declared nor a type.
pub(crate) fn declared(
    root: &IdedExpr,
    variables: &BTreeSet<String>,
    container: Option<&str>,
) -> Result<(), CompileError> {
    let mut bound = Vec::new();
    walk(root, variables, container, &mut bound)
}

fn walk<'a>(
    e: &'a IdedExpr,
    vars: &BTreeSet<String>,
    container: Option<&str>,
    bound: &mut Vec<&'a str>,
) -> Result<(), CompileError> {
    match &e.expr {
        Expr::Ident(_) | Expr::Select(_) => {
            if let Some(name) = dotted(e) {
                return check_name(&name, vars, container, bound);
            }
            if let Expr::Select(s) = &e.expr {
                walk(&s.operand, vars, container, bound)?;
            }
            Ok(())
        }
        Expr::Call(c) => {
            if let Some(t) = &c.target {
                let namespace = dotted(t).filter(|n| {
                    let root = n.split('.').next().unwrap_or(n);
                    (NAMESPACES.contains(&root) || crate::kyverno_libs::NAMESPACES.contains(&root))
                        && !vars.contains(root)
                        && !bound.contains(&root)
                });
                if namespace.is_none() {
                    walk(t, vars, container, bound)?;
                }
            }
            // Macros the engine leaves as calls bind their leading bare
            // identifiers for the arguments after them.
            let binders = match c.func_name.as_str() {
                "all" | "exists" | "exists_one" | "existsOne" | "map" | "filter"
                | "transformList" | "transformMap" | "transformMapEntry" | "sortBy" => {
                    c.args.len().saturating_sub(1).min(2)
                }
                "bind" => 1,
                _ => 0,
            };
            let depth = bound.len();
            let mut result = Ok(());
            for (i, a) in c.args.iter().enumerate() {
                match (&a.expr, i < binders) {
                    (Expr::Ident(name), true) => bound.push(name),
                    _ => {
                        result = walk(a, vars, container, bound);
                        if result.is_err() {
                            break;
                        }
                    }
                }
            }
            bound.truncate(depth);
            result
        }
        Expr::Comprehension(c) => {
            walk(&c.iter_range, vars, container, bound)?;
            walk(&c.accu_init, vars, container, bound)?;
            let depth = bound.len();
            bound.push(&c.accu_var);
            bound.push(&c.iter_var);
            if let Some(v2) = &c.iter_var2 {
                bound.push(v2);
            }
            let inner = [&c.loop_cond, &c.loop_step]
                .into_iter()
                .try_for_each(|x| walk(x, vars, container, bound));
            bound.truncate(depth);
            inner?;
            bound.push(&c.accu_var);
            let r = walk(&c.result, vars, container, bound);
            bound.truncate(depth);
            r
        }
        Expr::List(l) => l
            .elements
            .iter()
            .try_for_each(|x| walk(x, vars, container, bound)),
        Expr::Map(m) => m.entries.iter().try_for_each(|en| match &en.expr {
            EntryExpr::MapEntry(me) => {
                walk(&me.key, vars, container, bound)?;
                walk(&me.value, vars, container, bound)
            }
            EntryExpr::StructField(f) => walk(&f.value, vars, container, bound),
        }),
        Expr::Struct(s) => s.entries.iter().try_for_each(|en| match &en.expr {
            EntryExpr::StructField(f) => walk(&f.value, vars, container, bound),
            EntryExpr::MapEntry(me) => {
                walk(&me.key, vars, container, bound)?;
                walk(&me.value, vars, container, bound)
            }
        }),
        Expr::Literal(_) | Expr::Unspecified => Ok(()),
    }
}

/// `a.b.c` for a chain of field selections on an identifier (not `has()` tests).
fn dotted(e: &IdedExpr) -> Option<String> {
    match &e.expr {
        Expr::Ident(n) => Some(n.clone()),
        Expr::Select(s) if !s.test => dotted(&s.operand).map(|p| format!("{p}.{}", s.field)),
        Expr::Select(s) => dotted(&s.operand),
        _ => None,
    }
}

fn check_name(
    name: &str,
    vars: &BTreeSet<String>,
    container: Option<&str>,
    bound: &[&str],
) -> Result<(), CompileError> {
    let name = name.strip_prefix('.').unwrap_or(name);
    let root = name.split('.').next().unwrap_or(name);
    if root.starts_with('@') || bound.contains(&root) || TYPE_NAMES.contains(&name) {
        return Ok(());
    }
    if name.starts_with("google.protobuf.") {
        return Ok(());
    }
    // Any prefix of the dotted name may be the variable, resolved in the
    // container and each of its parents.
    let mut prefixes = vec![String::new()];
    if let Some(c) = container.filter(|c| !c.is_empty()) {
        let parts: Vec<&str> = c.split('.').collect();
        for i in (1..=parts.len()).rev() {
            prefixes.push(format!("{}.", parts[..i].join(".")));
        }
    }
    let segments: Vec<&str> = name.split('.').collect();
    for prefix in &prefixes {
        for i in 1..=segments.len() {
            let candidate = format!("{prefix}{}", segments[..i].join("."));
            if vars.contains(&candidate) {
                return Ok(());
            }
        }
    }
    Err(CompileError::UndeclaredVariable {
        name: name.to_string(),
        declared: vars.iter().cloned().collect::<Vec<_>>().join(", "),
    })
}

/// Refuses text whose brackets nest deeper than `limit`, before parsing:
/// the parser would use one stack frame (or several) per level. Quoted text
/// is skipped; a bracket inside a string does not count.
///
/// Operator characters (`+ - * / % ! < > = & | ? : .`) are counted too: a
/// chain of operators (`1+1+...`, `!!!x`, `a.b.c...`) nests the tree without
/// brackets, so their number bounds the depth the same way.
pub(crate) fn nesting(text: &str, limit: usize, max_operators: usize) -> Result<(), CompileError> {
    let bytes = text.as_bytes();
    let mut depth = 0usize;
    let mut operators = 0usize;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'(' | b'[' | b'{' => {
                depth += 1;
                if depth > limit {
                    return Err(CompileError::TooDeep {
                        offset: i,
                        depth,
                        limit,
                    });
                }
            }
            b')' | b']' | b'}' => depth = depth.saturating_sub(1),
            b'+' | b'-' | b'*' | b'/' | b'%' | b'!' | b'<' | b'>' | b'=' | b'&' | b'|' | b'?'
            | b':' | b'.' => {
                operators += 1;
                if operators > max_operators {
                    return Err(CompileError::TooManyOperators {
                        offset: i,
                        limit: max_operators,
                    });
                }
            }
            q @ (b'"' | b'\'') => {
                // Skip to the closing quote (triple quotes close on the same
                // character, which this also finds), honouring escapes.
                i += 1;
                while i < bytes.len() && bytes[i] != q {
                    if bytes[i] == b'\\' {
                        i += 1;
                    }
                    i += 1;
                }
            }
            _ => {}
        }
        i += 1;
    }
    Ok(())
}

/// The depth of the expression tree, computed without recursion (the tree
/// is checked before anything walks it recursively).
pub(crate) fn depth(root: &IdedExpr) -> usize {
    let mut deepest = 0;
    visit(root, |_, d| deepest = deepest.max(d));
    deepest
}

/// The largest node id in the tree (new nodes are numbered above it).
pub(crate) fn max_id(root: &IdedExpr) -> u64 {
    let mut max = 0;
    visit(root, |e, _| max = max.max(e.id));
    max
}

/// Calls `f` on every node with its depth (the root is at 1), without
/// recursion.
pub(crate) fn visit<'a>(root: &'a IdedExpr, mut f: impl FnMut(&'a IdedExpr, usize)) {
    let mut stack: Vec<(&IdedExpr, usize)> = vec![(root, 1)];
    while let Some((e, d)) = stack.pop() {
        f(e, d);
        let mut children: Vec<&IdedExpr> = Vec::new();
        match &e.expr {
            Expr::Call(c) => {
                children.extend(c.target.as_deref());
                children.extend(c.args.iter());
            }
            Expr::Comprehension(c) => {
                children.extend([
                    &c.iter_range,
                    &c.accu_init,
                    &c.loop_cond,
                    &c.loop_step,
                    &c.result,
                ]);
            }
            Expr::List(l) => children.extend(l.elements.iter()),
            Expr::Map(m) => m
                .entries
                .iter()
                .for_each(|en| entry_children(&en.expr, &mut children)),
            Expr::Struct(s) => s
                .entries
                .iter()
                .for_each(|en| entry_children(&en.expr, &mut children)),
            Expr::Select(s) => children.push(&s.operand),
            Expr::Ident(_) | Expr::Literal(_) | Expr::Unspecified => {}
        }
        stack.extend(children.into_iter().map(|c| (c, d + 1)));
    }
}

fn entry_children<'a>(e: &'a EntryExpr, out: &mut Vec<&'a IdedExpr>) {
    match e {
        EntryExpr::MapEntry(me) => out.extend([&me.key, &me.value]),
        EntryExpr::StructField(f) => out.push(&f.value),
    }
}
