//! Parsing `generate` rules: a resource built from `data`, copied from one source
//! (`clone`) or from every source of some kinds (`cloneList`), once or per element
//! of a `foreach` list.

use serde_json::Value as Json;

use crate::conditions::Conditions;
use crate::matching::LabelSelector;
use crate::policy::{
    check_expression, check_variables, parse_conditions_opt, parse_context, parse_selector,
    problem, strings, strip_braces, ContextEntry, Parse, RuleAction,
};

/// What a generate rule creates.
#[derive(Clone, Debug)]
pub struct Generation {
    /// `apiVersion` of the generated resource (may hold variables; empty for `cloneList`).
    pub api_version: String,
    /// `kind` of the generated resource (empty for `cloneList`).
    pub kind: String,
    /// `name` of the generated resource (may hold variables).
    pub name: String,
    /// `namespace` of the generated resource (may hold variables; empty when cluster-scoped).
    pub namespace: String,
    /// `synchronize`: the generated resource follows later changes of its trigger
    /// or source. The CLI only creates, so it changes no result; kept for reports.
    pub synchronize: bool,
    /// Where the content comes from.
    pub source: GenerateSource,
}

/// Where a generated resource's content comes from.
#[derive(Clone, Debug)]
pub enum GenerateSource {
    /// `data`: the content, variables substituted.
    Data(Json),
    /// `clone`: a copy of one existing resource of the rule's kind.
    Clone {
        /// The source's namespace (may hold variables).
        namespace: String,
        /// The source's name (may hold variables).
        name: String,
    },
    /// `cloneList`: a copy of every resource of `kinds` in `namespace` that the
    /// selector selects, each keeping its name.
    CloneList {
        /// The sources' namespace (may hold variables).
        namespace: String,
        /// Kinds as `v1/Secret` or `Secret`.
        kinds: Vec<String>,
        /// Which sources; every one when absent.
        selector: Option<LabelSelector>,
    },
    /// The CEL `generate` expressions of a GeneratingPolicy.
    Cel(std::sync::Arc<crate::cel::generation::CelGeneration>),
    /// `foreach`: a resource per element of each entry's list.
    Foreach(Vec<GenerateForeach>),
}

/// One `generate.foreach` entry.
#[derive(Clone, Debug)]
pub struct GenerateForeach {
    /// JMESPath giving the list to iterate over.
    pub list: String,
    /// Context entries loaded per element (they may read `element`).
    pub context: Vec<ContextEntry>,
    /// Conditions an element must meet to generate.
    pub preconditions: Option<Conditions>,
    /// What each element generates (variables may read `element`).
    pub generation: Generation,
}

fn text(m: &serde_json::Map<String, Json>, key: &str, path: &str) -> Parse<String> {
    match m.get(key) {
        None | Some(Json::Null) => Ok(String::new()),
        Some(Json::String(s)) => {
            check_variables(&Json::String(s.clone()), &format!("{path}.{key}"))?;
            Ok(s.clone())
        }
        Some(_) => problem(&format!("{path}.{key}"), "expected a string"),
    }
}

/// Parses a rule's `generate` block.
pub(crate) fn parse_generate(v: &Json, path: &str) -> Parse<RuleAction> {
    let Some(m) = v.as_object() else {
        return problem(path, "expected a map");
    };
    if let Some(cel) = m.get("cel") {
        return crate::cel::generation::action(cel, &format!("{path}.cel"));
    }
    let synchronize = m
        .get("synchronize")
        .and_then(Json::as_bool)
        .unwrap_or(false);
    if let Some(list) = m.get("foreach").filter(|f| !f.is_null()) {
        let p = format!("{path}.foreach");
        let Json::Array(items) = list else {
            return problem(&p, "expected a list");
        };
        let entries = items
            .iter()
            .enumerate()
            .map(|(i, item)| parse_foreach(item, &format!("{p}[{i}]"), synchronize))
            .collect::<Parse<Vec<_>>>()?;
        return Ok(RuleAction::Generate(Generation {
            api_version: String::new(),
            kind: String::new(),
            name: String::new(),
            namespace: String::new(),
            synchronize,
            source: GenerateSource::Foreach(entries),
        }));
    }
    parse_generation(m, path, synchronize).map(RuleAction::Generate)
}

/// One `generate.foreach` entry: a resource per element of `list`.
fn parse_foreach(v: &Json, path: &str, synchronize: bool) -> Parse<GenerateForeach> {
    let Some(m) = v.as_object() else {
        return problem(path, "expected a map");
    };
    let list = m.get("list").and_then(Json::as_str).ok_or((
        format!("{path}.list"),
        "foreach needs a list expression".to_string(),
    ))?;
    let list = strip_braces(list).to_string();
    check_expression(&list, &format!("{path}.list"))?;
    Ok(GenerateForeach {
        list,
        context: parse_context(m.get("context"), &format!("{path}.context"))?,
        preconditions: parse_conditions_opt(
            m.get("preconditions"),
            &format!("{path}.preconditions"),
        )?,
        generation: parse_generation(m, path, synchronize)?,
    })
}

/// What one generate block (or `foreach` entry) creates.
fn parse_generation(
    m: &serde_json::Map<String, Json>,
    path: &str,
    synchronize: bool,
) -> Parse<Generation> {
    let source = if let Some(data) = m.get("data").filter(|d| !d.is_null()) {
        check_variables(data, &format!("{path}.data"))?;
        GenerateSource::Data(data.clone())
    } else if let Some(c) = m
        .get("clone")
        .filter(|c| c.as_object().is_some_and(|c| !c.is_empty()))
    {
        let p = format!("{path}.clone");
        let c = c.as_object().expect("filtered on being a map");
        let name = text(c, "name", &p)?;
        if name.is_empty() {
            return problem(&format!("{p}.name"), "clone needs the name of its source");
        }
        GenerateSource::Clone {
            namespace: text(c, "namespace", &p)?,
            name,
        }
    } else if let Some(c) = m
        .get("cloneList")
        .filter(|c| c.as_object().is_some_and(|c| !c.is_empty()))
    {
        let p = format!("{path}.cloneList");
        let c = c.as_object().expect("filtered on being a map");
        let kinds = strings(c.get("kinds"), &format!("{p}.kinds"))?;
        if kinds.is_empty() {
            return problem(&format!("{p}.kinds"), "cloneList needs at least one kind");
        }
        GenerateSource::CloneList {
            namespace: text(c, "namespace", &p)?,
            kinds,
            selector: parse_selector(c.get("selector"), &format!("{p}.selector"))?,
        }
    } else {
        return problem(path, "generate needs one of data, clone or cloneList");
    };
    let generation = Generation {
        api_version: text(m, "apiVersion", path)?,
        kind: text(m, "kind", path)?,
        name: text(m, "name", path)?,
        namespace: text(m, "namespace", path)?,
        synchronize,
        source,
    };
    if !matches!(generation.source, GenerateSource::CloneList { .. }) {
        for (key, value) in [("kind", &generation.kind), ("name", &generation.name)] {
            if value.is_empty() {
                return problem(
                    &format!("{path}.{key}"),
                    format!("generate needs the {key} of the resource it creates"),
                );
            }
        }
    }
    Ok(generation)
}
