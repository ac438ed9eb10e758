//! Kyverno's CEL libraries that need nothing but their arguments: hash
//! (`sha1`, `sha256`, `md5`), json (`json.unmarshal`, `json.marshal`),
//! yaml (`yaml.parse`), math (`math.round(value, digits)`), time
//! (`time.now`, `time.truncate`, `time.toCron`), transform
//! (`listObjToMap`), random (`random(pattern)`) and x509 (`x509.decode`).
//! The last two are JMESPath functions of Kyverno's too: vigie-policy's
//! JMESPath calls [`random::generate`] and [`x509::decode`].
//!
//! Kyverno declares each function both bare (`sha256(s)`) and, from its
//! version 1.18, under the library's name (`hash.sha256(s)`); both are
//! registered where Kyverno has both. `json` and `yaml` are variables in
//! Kyverno, of a type whose methods these are: `json.unmarshal(s)` reads
//! the same as a namespaced function, which is how they are registered
//! here, so that no variable needs binding.

mod codec;
mod hash;
mod math;
pub mod random;
mod time;
mod transform;
pub mod x509;

use cel::{DeclarationError, Env};

/// Roots of the namespaced functions of these libraries (`hash.sha256`),
/// for the check that every free identifier is declared.
pub(crate) const NAMESPACES: &[&str] = &[
    "hash",
    "json",
    "yaml",
    "time",
    "transform",
    "random",
    "x509",
];

/// Registers the libraries' functions on `env`.
pub(crate) fn register(env: &mut Env) -> Result<(), DeclarationError> {
    hash::register(env)?;
    codec::register(env)?;
    math::register(env)?;
    time::register(env)?;
    transform::register(env)?;
    random::register(env)?;
    x509::register(env)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::{Activation, Env, Program, Value};

    /// The value of `expr`, or its error's text.
    pub(super) fn eval(expr: &str) -> Result<Value, String> {
        let program = Program::compile(expr, &Env::new()).map_err(|e| e.to_string())?;
        program.eval(&Activation::new()).map_err(|e| e.to_string())
    }

    /// The JSON form of `expr`'s value (panics on an error).
    pub(super) fn json(expr: &str) -> serde_json::Value {
        let v = eval(expr).unwrap_or_else(|e| panic!("{expr}: {e}"));
        crate::to_json(&v).unwrap_or_else(|e| panic!("{expr}: {e}"))
    }
}
