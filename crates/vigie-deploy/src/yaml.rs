//! Objects as a YAML stream for `kubectl apply -f -`.

use serde_json::Value;
use yaml_rust2::yaml::Hash;
use yaml_rust2::{Yaml, YamlEmitter};

/// The objects as YAML documents, each starting with `---`.
pub fn to_yaml(objects: &[Value]) -> String {
    let mut out = String::new();
    for object in objects {
        let mut emitter = YamlEmitter::new(&mut out);
        // Policy files in the ConfigMap stay readable as block literals.
        emitter.multiline_strings(true);
        // `---` then the document; writing to a String cannot fail.
        emitter
            .dump(&to_yaml_value(object))
            .expect("writing to a String");
        out.push('\n');
    }
    out
}

fn to_yaml_value(value: &Value) -> Yaml {
    match value {
        Value::Null => Yaml::Null,
        Value::Bool(b) => Yaml::Boolean(*b),
        Value::Number(n) => match n.as_i64() {
            Some(i) => Yaml::Integer(i),
            None => Yaml::Real(n.to_string()),
        },
        Value::String(s) => Yaml::String(s.clone()),
        Value::Array(items) => Yaml::Array(items.iter().map(to_yaml_value).collect()),
        Value::Object(map) => {
            let mut hash = Hash::new();
            for (k, v) in map {
                hash.insert(Yaml::String(k.clone()), to_yaml_value(v));
            }
            Yaml::Hash(hash)
        }
    }
}
