//! Kyverno's generator library for GeneratingPolicy:
//! `generator.Apply(namespace, [objects])` asks for `objects` to be created
//! in `namespace`. vigie evaluates it without side effects: the call gives
//! the pair `[namespace, objects]`, which the policy engine turns into the
//! resources it reports (`generator` is bound to an empty map).

use cel::common::types::{CelList, LIST_TYPE, MAP_TYPE, STRING_TYPE};
use cel::common::value::{CowVal, Val};
use cel::{DeclarationError, Env, ExecutionError};

pub(super) fn register(env: &mut Env) -> Result<(), DeclarationError> {
    env.add_member_overload(
        "Apply",
        "map_generator_apply_string_list",
        MAP_TYPE,
        vec![STRING_TYPE, LIST_TYPE],
        apply,
    )
}

fn apply<'b, 'v>(args: Vec<CowVal<'b, 'v>>) -> Result<CowVal<'b, 'v>, ExecutionError> {
    let [_generator, namespace, objects] = args.as_slice() else {
        return Err(ExecutionError::function_error(
            "generator.Apply",
            "expects a namespace and a list of objects",
        ));
    };
    let pair: Vec<Box<dyn Val>> = vec![
        namespace.as_ref().clone_as_boxed(),
        objects.as_ref().clone_as_boxed(),
    ];
    Ok(CowVal::Owned(Box::new(CelList::from(pair))))
}

#[cfg(test)]
mod tests {
    use crate::{to_json, Activation, Env, Program};
    use serde_json::json;

    #[test]
    fn apply_gives_the_namespace_and_objects() {
        let env = Env::new().variable("generator");
        let mut act = Activation::new();
        act.bind_json("generator", &json!({}));
        let p = Program::compile("generator.Apply('team', [{'kind': 'ConfigMap'}])", &env)
            .expect("compiles");
        let v = to_json(&p.eval(&act).expect("evaluates")).expect("has a JSON form");
        assert_eq!(v, json!(["team", [{"kind": "ConfigMap"}]]));
    }
}
