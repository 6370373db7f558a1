//! Tests of the YAML writer: every document re-parses to the value serialised, and
//! the layout and quoting are pinned by exact-output tests.

use std::collections::BTreeMap;

use gitopsc::emit::yaml;
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use serde::Serialize;
use serde_json::{json, Map, Number, Value};

#[path = "common/awkward.rs"]
mod awkward;
use awkward::AWKWARD;

fn awkward() -> impl Strategy<Value = String> {
    prop::sample::select(AWKWARD).prop_map(str::to_owned)
}

/// Awkward strings, random unicode, and random strings built from YAML's syntax characters.
fn string() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => awkward(),
        2 => any::<String>(),
        2 => "[a-z0-9 :#'\"\\-?{}\\[\\],&*!|>%@`.\n\t]{0,12}",
        1 => (awkward(), awkward()).prop_map(|(a, b)| a + &b),
    ]
}

fn float() -> impl Strategy<Value = f64> {
    prop_oneof![
        prop::sample::select(vec![0.0, -0.0, 1.0, -2.0, 0.1, 1e16, 1e300, 1e-7, 2.5e-300]),
        any::<f64>().prop_filter("finite", |f| f.is_finite()),
    ]
}

fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        float().prop_map(|f| Number::from_f64(f).map_or(Value::Null, Value::Number)),
        string().prop_map(Value::String),
    ]
}

fn value() -> impl Strategy<Value = Value> {
    leaf().prop_recursive(5, 64, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((string(), inner), 0..6)
                .prop_map(|entries| Value::Object(entries.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]

    #[test]
    fn every_document_reparses_to_the_value(v in value()) {
        let text = yaml::to_string(&v).unwrap();
        prop_assert!(text.ends_with('\n'));
        // yamllint rejects blank lines at the end of a file.
        prop_assert!(!text.ends_with("\n\n"), "{}", text);
        let back: Value = serde_yaml::from_str(&text)
            .map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?;
        prop_assert_eq!(&back, &v, "{}", text);
        // Map equality ignores order, the JSON text does not.
        prop_assert_eq!(back.to_string(), v.to_string());
    }
}

#[test]
fn a_nested_document_has_the_pinned_layout() {
    let doc = json!({
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "x", "labels": {}},
        "data": {
            "on": "yes",
            "list": [1, 2.0, true, null, [], {"a": "b", "c": ["d"]}, ["e", "f"]],
        },
    });
    let expected = "\
apiVersion: v1
kind: ConfigMap
metadata:
  name: x
  labels: {}
data:
  'on': 'yes'
  list:
    - 1
    - 2.0
    - true
    - null
    - []
    - a: b
      c:
        - d
    - - e
      - f
";
    assert_eq!(yaml::to_string(&doc).unwrap(), expected);
}

#[test]
fn a_workflow_keeps_its_top_level_on_key_plain() {
    let doc = json!({
        "on": {"push": {"branches": ["main"]}},
        "jobs": {"build": {"steps": [{"run": "echo ${{ github.sha }}"}]}},
    });
    let expected = "\
on:
  push:
    branches:
      - main
jobs:
  build:
    steps:
      - run: echo ${{ github.sha }}
";
    assert_eq!(yaml::to_string(&doc).unwrap(), expected);
}

#[test]
fn block_scalars_use_each_chomping_indicator() {
    let doc = json!({
        "clip": "a\n\nb\n",
        "strip": "a\nb",
        "keep": "a\nb\n\n",
        "indented": "  a\nb\n",
        "list": ["x\ny"],
    });
    let expected = "\
clip: |
  a

  b
strip: |-
  a
  b
keep: |+
  a
  b

indented: |2
    a
  b
list:
  - |-
    x
    y
";
    assert_eq!(yaml::to_string(&doc).unwrap(), expected);
}

#[test]
fn strings_block_scalars_cannot_carry_are_double_quoted() {
    assert_eq!(yaml::to_string("a \nb").unwrap(), "\"a \\nb\"\n");
    assert_eq!(yaml::to_string("a\r\nb").unwrap(), "\"a\\r\\nb\"\n");
    assert_eq!(yaml::to_string("\n\n").unwrap(), "\"\\n\\n\"\n");
    assert_eq!(yaml::to_string("a\tb").unwrap(), "\"a\\tb\"\n");
    assert_eq!(
        yaml::to_string("\u{85}\u{feff}").unwrap(),
        "\"\\N\\uFEFF\"\n"
    );
    // yamllint allows at most two blank lines in a row and none at the end of a file.
    assert_eq!(
        yaml::to_string("a\n\n\n\nb").unwrap(),
        "\"a\\n\\n\\n\\nb\"\n"
    );
    assert_eq!(yaml::to_string("a\n\n\n\n").unwrap(), "\"a\\n\\n\\n\\n\"\n");
    assert_eq!(yaml::to_string("a\n\n").unwrap(), "\"a\\n\\n\"\n");
    let doc = json!({"keep": "a\n\n", "last": 1});
    assert_eq!(yaml::to_string(&doc).unwrap(), "keep: |+\n  a\n\nlast: 1\n");
}

#[test]
fn scalars_are_quoted_only_when_needed() {
    let cases: &[(&str, &str)] = &[
        ("plain", "plain"),
        ("", "''"),
        ("on", "'on'"),
        ("No", "'No'"),
        ("~", "'~'"),
        ("0123", "'0123'"),
        ("0x1F", "'0x1F'"),
        ("1e3", "'1e3'"),
        ("12:30:00", "'12:30:00'"),
        ("2001-12-14", "'2001-12-14'"),
        ("1.2.3", "'1.2.3'"),
        ("v1.2.3", "v1.2.3"),
        ("- x", "'- x'"),
        ("a: b", "'a: b'"),
        ("a #b", "'a #b'"),
        ("a#b", "a#b"),
        ("it's", "it's"),
        ("'q'", "'''q'''"),
        (" x", "' x'"),
        ("x:", "'x:'"),
        ("${{ github.sha }}", "${{ github.sha }}"),
        ("$(params.x)", "$(params.x)"),
        ("ghcr.io/o/a:1.2", "ghcr.io/o/a:1.2"),
        ("\u{1f680} \u{5e9}\u{5dc}", "\u{1f680} \u{5e9}\u{5dc}"),
    ];
    for (input, expected) in cases {
        assert_eq!(
            yaml::to_string(input).unwrap(),
            format!("{expected}\n"),
            "{input:?}"
        );
    }
}

#[test]
fn numbers_keep_their_type() {
    let doc = json!([0, -5, 18446744073709551615u64, 1.0, -0.5, 1e300, 1e-7]);
    let expected = "- 0\n- -5\n- 18446744073709551615\n- 1.0\n- -0.5\n- 1.0e+300\n- 1.0e-7\n";
    assert_eq!(yaml::to_string(&doc).unwrap(), expected);
    let specials = [f64::NAN, f64::INFINITY, f64::NEG_INFINITY];
    assert_eq!(
        yaml::to_string(&specials).unwrap(),
        "- .nan\n- .inf\n- -.inf\n"
    );
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Container {
    name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    image_pull_policy: Option<String>,
    command: Option<Vec<String>>,
    kind: Kind,
}

#[derive(Serialize)]
enum Kind {
    Plain,
    Sized(u32),
    Ports(u16, u16),
    Probe { path: String },
}

#[test]
fn structs_options_and_enums_are_written() {
    let containers: Vec<Container> = [Kind::Plain, Kind::Sized(3), Kind::Ports(80, 443)]
        .into_iter()
        .chain([Kind::Probe {
            path: "/healthz".into(),
        }])
        .map(|kind| Container {
            name: "app".into(),
            image_pull_policy: None,
            command: None,
            kind,
        })
        .collect();
    let expected = "\
- name: app
  command: null
  kind: Plain
- name: app
  command: null
  kind:
    Sized: 3
- name: app
  command: null
  kind:
    Ports:
      - 80
      - 443
- name: app
  command: null
  kind:
    Probe:
      path: /healthz
";
    assert_eq!(yaml::to_string(&containers).unwrap(), expected);
}

#[test]
fn non_string_keys_are_plain_scalars_and_collections_are_errors() {
    let ints: BTreeMap<i32, bool> = [(1, true), (-2, false)].into_iter().collect();
    assert_eq!(yaml::to_string(&ints).unwrap(), "-2: false\n1: true\n");
    let bad: BTreeMap<Vec<u8>, u8> = [(vec![1], 1)].into_iter().collect();
    let mut out = String::from("kept\n");
    let err = yaml::write(&mut out, &bad).unwrap_err();
    assert!(err.to_string().contains("map key"), "{err}");
    assert_eq!(out, "kept\n");
}

#[test]
fn over_long_keys_use_the_explicit_form() {
    let key = "k".repeat(1200);
    let doc = json!({ key.clone(): [1] });
    let text = yaml::to_string(&doc).unwrap();
    assert_eq!(text, format!("? {key}\n:\n  - 1\n"));
    assert_eq!(serde_yaml::from_str::<Value>(&text).unwrap(), doc);
}

#[test]
fn output_is_the_same_on_two_runs() {
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let docs: Vec<Value> = (0..200)
        .map(|_| value().new_tree(&mut runner).unwrap().current())
        .collect();
    let first: Vec<String> = docs.iter().map(|d| yaml::to_string(d).unwrap()).collect();
    let mut second = String::new();
    for doc in &docs {
        yaml::write(&mut second, doc).unwrap();
    }
    assert_eq!(first.concat(), second);
}

#[test]
fn comments_follow_their_scalar_and_vanish_from_json() {
    use gitopsc::emit::{with_comment, DocBody};
    let doc = serde_json::json!({"uses": with_comment("actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1", "v7.0.1")});
    let text = yaml::to_string(&doc).unwrap();
    assert_eq!(
        text,
        "uses: actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1 # v7.0.1\n"
    );
    let back: serde_json::Value = serde_yaml::from_str(&text).unwrap();
    assert_eq!(
        back["uses"],
        "actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1"
    );
    assert_eq!(
        doc.to_json()["uses"],
        "actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1"
    );
}
