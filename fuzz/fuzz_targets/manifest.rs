//! Untrusted manifest text through the whole scan path: YAML parsing, object
//! building, List unpacking, and every Pod Security check. Nothing may panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vigie_controls::pss::{self, Level, Version};
use vigie_resource::{parse_documents, pod_template, Origin, Resource, SourceFile};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let file = std::sync::Arc::new(SourceFile {
        path: "fuzz.yaml".into(),
        rendered_by: None,
    });
    let checks = pss::checks_for(Level::Restricted, Version::LATEST);
    for document in parse_documents(text).into_iter().flatten() {
        let _ = document.root.display_value();
        let _ = document.root.to_json();
        let origin = Origin {
            file: file.clone(),
            document: document.index,
            item: None,
        };
        if let Ok(resource) = Resource::from_node(document.root, origin) {
            if let Some(template) = pod_template(&resource) {
                for failure in pss::evaluate(template, &checks, Version::LATEST) {
                    assert!(!failure.violations.is_empty());
                }
            }
        }
    }
});
