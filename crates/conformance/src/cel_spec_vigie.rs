//! The cel-spec engine adapter for vigie-cel: test values in, results out.

use std::collections::HashMap;
use std::sync::Arc;

use vigie_cel::{Activation, CelType, Env, Overload, Program, Value};

use crate::cel_spec::{Case, Engine, Outcome, Pv};

/// vigie-cel, as the cel-spec runner drives it.
pub struct VigieCel;

impl VigieCel {
    fn env(case: &Case) -> Result<Env, String> {
        let mut env = Env::new();
        for (name, t) in &case.typed {
            env = env.typed_variable(name.clone(), CelType::parse(t).map_err(|e| e.to_string())?);
        }
        for (name, member, params, result) in &case.functions {
            let overload = Overload {
                member: *member,
                params: params
                    .iter()
                    .map(|p| CelType::parse(p))
                    .collect::<Result<_, _>>()
                    .map_err(|e| e.to_string())?,
                result: CelType::parse(result).map_err(|e| e.to_string())?,
            };
            env = env.function(name.clone(), overload);
        }
        Ok(env)
    }
}

impl Engine for VigieCel {
    fn deduce(&self, case: &Case) -> Result<String, String> {
        let mut env = Self::env(case)?;
        for d in &case.declared {
            if !case.typed.iter().any(|(n, _)| n == d) {
                env = env.variable(d.clone());
            }
        }
        if !case.container.is_empty() {
            env = env.container(case.container.clone());
        }
        Program::compile(&case.expr, &env)
            .map(|p| p.result_type().to_string())
            .map_err(|e| format!("compile error: {e}"))
    }

    fn run(&self, case: &Case) -> Outcome {
        let mut env = match Self::env(case) {
            Ok(e) => e,
            Err(e) => return Outcome::CompileError(e),
        };
        for d in &case.declared {
            if !case.typed.iter().any(|(n, _)| n == d) {
                env = env.variable(d.clone());
            }
        }
        if !case.container.is_empty() {
            env = env.container(case.container.clone());
        }
        if case.disable_check {
            env = env.unchecked();
        }
        let program = match Program::compile(&case.expr, &env) {
            Ok(p) => p,
            Err(e) => return Outcome::CompileError(e.to_string()),
        };
        let mut act = Activation::new();
        for (name, v) in &case.bindings {
            let Some(value) = to_cel(v) else {
                return Outcome::EvalError(format!("cannot bind {v:?}"));
            };
            if let Err(e) = act.bind(name.clone(), value) {
                return Outcome::EvalError(e.to_string());
            }
        }
        match program.eval(&act) {
            Ok(v) => Outcome::Value(from_cel(&v)),
            Err(e) => Outcome::EvalError(e.to_string()),
        }
    }
}

fn to_cel(v: &Pv) -> Option<Value> {
    use vigie_cel::cel_objects::{Key, Map};
    Some(match v {
        Pv::Null => Value::Null,
        Pv::Bool(b) => Value::Bool(*b),
        Pv::Int(i) => Value::Int(*i),
        Pv::Uint(u) => Value::UInt(*u),
        Pv::Double(d) => Value::Float(*d),
        Pv::String(s) => Value::String(Arc::new(s.clone())),
        Pv::Bytes(b) => Value::Bytes(Arc::new(b.clone())),
        Pv::List(l) => Value::List(Arc::new(l.iter().map(to_cel).collect::<Option<_>>()?)),
        Pv::Map(entries) => {
            let mut m = HashMap::new();
            for (k, v) in entries {
                let k = match k {
                    Pv::Int(i) => Key::Int(*i),
                    Pv::Uint(u) => Key::Uint(*u),
                    Pv::Bool(b) => Key::Bool(*b),
                    Pv::String(s) => Key::String(Arc::new(s.clone())),
                    _ => return None,
                };
                m.insert(k, to_cel(v)?);
            }
            Value::Map(Map { map: Arc::new(m) })
        }
        Pv::Duration(s, n) => Value::Duration(
            chrono::Duration::seconds(*s) + chrono::Duration::nanoseconds(i64::from(*n)),
        ),
        Pv::Timestamp(s, n) => {
            Value::Timestamp(chrono::DateTime::from_timestamp(*s, *n as u32)?.fixed_offset())
        }
        Pv::Type(_) => return None,
    })
}

fn from_cel(v: &Value) -> Pv {
    use vigie_cel::cel_objects::Key;
    match v {
        Value::Null => Pv::Null,
        Value::Bool(b) => Pv::Bool(*b),
        Value::Int(i) => Pv::Int(*i),
        Value::UInt(u) => Pv::Uint(*u),
        Value::Float(d) => Pv::Double(*d),
        Value::String(s) => Pv::String(s.to_string()),
        Value::Bytes(b) => Pv::Bytes(b.to_vec()),
        Value::List(l) => Pv::List(l.iter().map(from_cel).collect()),
        Value::Map(m) => Pv::Map(
            m.map
                .iter()
                .map(|(k, v)| {
                    let k = match k {
                        Key::Int(i) => Pv::Int(*i),
                        Key::Uint(u) => Pv::Uint(*u),
                        Key::Bool(b) => Pv::Bool(*b),
                        Key::String(s) => Pv::String(s.to_string()),
                    };
                    (k, from_cel(v))
                })
                .collect(),
        ),
        Value::Duration(d) => {
            let secs = d.num_seconds();
            let nanos = (*d - chrono::Duration::seconds(secs))
                .num_nanoseconds()
                .unwrap_or(0) as i32;
            Pv::Duration(secs, nanos)
        }
        Value::Timestamp(t) => Pv::Timestamp(t.timestamp(), t.timestamp_subsec_nanos() as i32),
        other => match vigie_cel::type_name(other) {
            Some(t) => Pv::Type(t.to_string()),
            None => Pv::Type(format!("{other:?}")),
        },
    }
}
