use vigie_report::Format;

#[test]
fn format_names_round_trip() {
    for format in Format::ALL {
        assert_eq!(format.to_string().parse::<Format>(), Ok(format));
    }
    assert_eq!("SARIF".parse::<Format>(), Ok(Format::Sarif));
    let error = "xml".parse::<Format>().unwrap_err().to_string();
    assert!(
        error.contains("pretty, json, sarif, junit or html"),
        "{error}"
    );
}

#[test]
fn every_format_lists_the_excepted_finding_with_its_reason() {
    let report = crate::fixture::report();
    for format in Format::ALL {
        let text = crate::fixture::render(&report, format);
        assert!(
            text.contains("the API client reads its own token; see OPS-142"),
            "{format} drops the excepted finding or its reason"
        );
        assert!(
            text.contains("automountServiceAccountToken is not false"),
            "{format} drops the excepted finding"
        );
    }
}
