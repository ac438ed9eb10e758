use vigie_report::Format;

#[test]
fn format_names_round_trip() {
    for format in Format::ALL {
        assert_eq!(format.to_string().parse::<Format>(), Ok(format));
    }
    assert_eq!("SARIF".parse::<Format>(), Ok(Format::Sarif));
    let error = "xml".parse::<Format>().unwrap_err();
    assert!(
        error.contains("pretty, json, sarif, junit or html"),
        "{error}"
    );
}
