//! Kyverno's hash library: `sha1`, `sha256` and `md5` of a string's UTF-8
//! bytes, as lowercase hexadecimal.

use cel::common::functions::Function;
use cel::common::types::{CelString, STRING_TYPE};
use cel::common::value::CowVal;
use cel::{DeclarationError, Env};
use md5::Md5;
use sha1::Sha1;
use sha2::{Digest, Sha256};

use crate::library::{one, owned, string_arg, R};

pub(super) fn register(env: &mut Env) -> Result<(), DeclarationError> {
    let functions: [(&str, Function); 3] = [
        ("sha1", hex_digest::<Sha1>),
        ("sha256", hex_digest::<Sha256>),
        ("md5", hex_digest::<Md5>),
    ];
    for (name, f) in functions {
        env.add_overload(
            name,
            &format!("kyverno_{name}_string"),
            vec![STRING_TYPE],
            f,
        )?;
        env.add_overload(
            &format!("hash.{name}"),
            &format!("kyverno_hash_{name}_string"),
            vec![STRING_TYPE],
            f,
        )?;
    }
    Ok(())
}

fn hex_digest<'b, 'v, D: Digest>(args: Vec<CowVal<'b, 'v>>) -> R<'b, 'v> {
    let text = string_arg(one(&args)?, "hash")?;
    let digest = D::digest(text.as_bytes());
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    owned(CelString::from(hex))
}

#[cfg(test)]
mod tests {
    use super::super::tests::{eval, json};
    use serde_json::json;

    #[test]
    fn digests_match_the_known_vectors() {
        // The digests of "abc" published with each algorithm's standard.
        assert_eq!(
            json("sha1('abc')"),
            json!("a9993e364706816aba3e25717850c26c9cd0d89d")
        );
        assert_eq!(
            json("hash.sha256('abc')"),
            json!("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        );
        assert_eq!(
            json("md5('abc')"),
            json!("900150983cd24fb0d6963f7d28e17f72")
        );
        assert_eq!(
            json("hash.md5('')"),
            json!("d41d8cd98f00b204e9800998ecf8427e")
        );
        assert_eq!(json("hash.sha1('abc') == sha1('abc')"), json!(true));
    }

    #[test]
    fn only_strings_are_hashed() {
        assert!(eval("sha256(1)").is_err());
        assert!(eval("hash.md5(b'abc')").is_err());
    }
}
