//! Writing a config in its one canonical form: sorted keys, 2-space indent, edges sorted, trailing newline,
//! so export → load → export gives the same bytes.

use serde_json::Value;

use super::model::{EdgeConfig, GraphConfig, RawConfig, RawEdge, RawNode};
use super::{ConfigError, FORMAT, VERSION};

impl GraphConfig {
    /// The canonical text: sorted keys, 2-space indent, nodes as given, edges sorted, trailing newline.
    pub fn to_json(&self) -> Result<String, ConfigError> {
        let value = self.to_value().map_err(|e| ConfigError::new("", format!("cannot serialize the config: {e}")))?;
        Ok(canonical_json(&value))
    }

    pub(super) fn to_value(&self) -> Result<Value, serde_json::Error> {
        let mut nodes = Vec::with_capacity(self.nodes.len());
        for node in &self.nodes {
            nodes.push(RawNode {
                id: node.id.clone(),
                kind: node.node.role(),
                ty: node.node.type_name().to_owned(),
                params: node.node.params_value()?,
            });
        }
        let mut edges: Vec<&EdgeConfig> = self.edges.iter().collect();
        edges.sort_by(|a, b| (&a.from, &a.to).cmp(&(&b.from, &b.to)));
        let edges = edges
            .into_iter()
            .map(|e| RawEdge { from: e.from.to_string(), to: e.to.to_string(), delivery: e.delivery.into() })
            .collect();
        serde_json::to_value(RawConfig {
            format: FORMAT.to_owned(),
            version: VERSION,
            runtime: self.runtime.clone(),
            nodes,
            edges,
            shaders: self.shaders.clone(),
        })
    }
}

/// JSON with object keys sorted at every level, 2-space indent, arrays of plain values on one line, and a
/// trailing newline: the same value always gives the same bytes, whatever map type serde_json was built with.
pub fn canonical_json(value: &Value) -> String {
    let mut out = String::new();
    write_canonical(&mut out, value, 0);
    out.push('\n');
    out
}

fn write_canonical(out: &mut String, value: &Value, depth: usize) {
    let indent = |out: &mut String, depth: usize| out.extend(std::iter::repeat_n("  ", depth));
    match value {
        Value::Array(items) if items.is_empty() => out.push_str("[]"),
        Value::Array(items) if items.iter().all(|v| !v.is_array() && !v.is_object()) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                out.push_str(&item.to_string());
            }
            out.push(']');
        }
        Value::Array(items) => {
            out.push_str("[\n");
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(",\n");
                }
                indent(out, depth + 1);
                write_canonical(out, item, depth + 1);
            }
            out.push('\n');
            indent(out, depth);
            out.push(']');
        }
        Value::Object(map) if map.is_empty() => out.push_str("{}"),
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            out.push_str("{\n");
            for (i, key) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push_str(",\n");
                }
                indent(out, depth + 1);
                out.push_str(&Value::from(key.as_str()).to_string());
                out.push_str(": ");
                if let Some(item) = map.get(key) {
                    write_canonical(out, item, depth + 1);
                }
            }
            out.push('\n');
            indent(out, depth);
            out.push('}');
        }
        scalar => out.push_str(&scalar.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use serde_json::Value;

    use super::canonical_json;
    use crate::config::fixtures::{parse, sample};
    use crate::config::validate::json_kind;
    use crate::config::GraphConfig;

    #[test]
    fn canonical_text_round_trips_byte_for_byte() {
        let first = parse(&sample()).unwrap().to_json().unwrap();
        let second = GraphConfig::parse(&first).unwrap().to_json().unwrap();
        assert_eq!(first, second);
        assert!(first.ends_with("}\n"));
        assert!(first.starts_with("{\n  \"edges\": [\n    {\n      \"delivery\""), "{first}");
        // Edges are written sorted, whatever order they were given in.
        let edges: Vec<&str> = first.lines().filter(|l| l.contains("\"from\"")).collect();
        assert_eq!(
            edges,
            [
                "      \"from\": \"copy.video\",",
                "      \"from\": \"copy.video\",",
                "      \"from\": \"pattern.video\","
            ]
        );
    }

    #[test]
    fn canonical_json_sorts_keys_and_inlines_plain_arrays() {
        let text = canonical_json(&serde_json::json!({"b": [1.0, 0.6], "a": {"z": [], "y": [{"k": null}]}}));
        assert_eq!(text, "{\n  \"a\": {\n    \"y\": [\n      {\n        \"k\": null\n      }\n    ],\n    \"z\": []\n  },\n  \"b\": [1.0, 0.6]\n}\n");
    }

    fn repository_file(path: &str) -> PathBuf {
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").join(path)
    }

    /// Checks `value` against the parts of the committed JSON Schema that say which fields exist and what
    /// they hold: `required`, `additionalProperties: false`, `type`, `const`, through `$ref`, `properties`,
    /// `items` and `oneOf` (exactly one branch must fit). Full validation is the Python test's (the `jsonschema` package).
    fn documented_fields(schema: &Value, root: &Value, value: &Value, at: &str, problems: &mut Vec<String>) {
        if let Some(reference) = schema.get("$ref").and_then(Value::as_str) {
            let target = reference.strip_prefix("#/").map(|p| p.split('/').fold(root, |node, key| &node[key]));
            match target {
                Some(target) => documented_fields(target, root, value, at, problems),
                None => problems.push(format!("{at}: unresolvable $ref {reference}")),
            }
            return;
        }
        if let Some(types) = schema.get("type") {
            let names: Vec<&str> = types
                .as_str()
                .into_iter()
                .chain(types.as_array().into_iter().flatten().filter_map(Value::as_str))
                .collect();
            let fits = |name: &str| match name {
                "integer" => value.is_i64() || value.is_u64(),
                "number" => value.is_number(),
                other => json_kind(value).ends_with(other),
            };
            if !names.iter().any(|n| fits(n)) {
                problems.push(format!("{at}: {} is not {}", json_kind(value), names.join(" or ")));
            }
        }
        if let Some(expected) = schema.get("const") {
            if value != expected {
                problems.push(format!("{at}: {value} is not {expected}"));
            }
        }
        if let Some(branches) = schema.get("oneOf").and_then(Value::as_array) {
            let fits = |branch: &Value| {
                let mut found = Vec::new();
                documented_fields(branch, root, value, at, &mut found);
                found.is_empty()
            };
            let matching = branches.iter().filter(|b| fits(b)).count();
            if matching != 1 {
                problems.push(format!("{at}: {matching} of the oneOf branches fit"));
            }
        }
        if let Some(object) = value.as_object() {
            for required in
                schema.get("required").and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_str)
            {
                if !object.contains_key(required) {
                    problems.push(format!("{at}.{required}: required by the schema but missing"));
                }
            }
        }
        if let (Some(object), Some(properties)) =
            (value.as_object(), schema.get("properties").and_then(Value::as_object))
        {
            for (key, item) in object {
                match (properties.get(key), schema.get("additionalProperties")) {
                    (Some(property), _) => documented_fields(property, root, item, &format!("{at}.{key}"), problems),
                    (None, Some(Value::Bool(false))) => problems.push(format!("{at}.{key}: not in the schema")),
                    (None, _) => {}
                }
            }
        } else if let (Some(object), Some(each)) =
            (value.as_object(), schema.get("additionalProperties").filter(|s| s.is_object()))
        {
            for (key, item) in object {
                documented_fields(each, root, item, &format!("{at}.{key}"), problems);
            }
        }
        if let (Some(items), Some(each)) = (value.as_array(), schema.get("items")) {
            for (i, item) in items.iter().enumerate() {
                documented_fields(each, root, item, &format!("{at}[{i}]"), problems);
            }
        }
    }

    #[test]
    fn committed_examples_parse_are_canonical_and_have_the_documented_fields() {
        let schema: Value = serde_json::from_str(
            &std::fs::read_to_string(repository_file("schemas/graph.streamlib.v1.schema.json")).unwrap(),
        )
        .unwrap();
        let mut examples: Vec<PathBuf> = std::fs::read_dir(repository_file("examples"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.to_string_lossy().ends_with(".streamlib.json"))
            .collect();
        examples.sort();
        assert!(!examples.is_empty());
        for path in examples {
            let text = std::fs::read_to_string(&path).unwrap();
            let config = GraphConfig::parse(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            assert_eq!(config.to_json().unwrap(), text, "{} is not in canonical form", path.display());
            let mut problems = Vec::new();
            documented_fields(&schema, &schema, &serde_json::from_str(&text).unwrap(), "$", &mut problems);
            assert!(problems.is_empty(), "{}: {problems:#?}", path.display());
        }
        // Every node type the catalog declares is documented, with the params it writes.
        for info in crate::nodes::CATALOG {
            let params = crate::nodes::catalog::sample(info).params_value().unwrap();
            let node = serde_json::json!({"id": "n", "kind": info.role.as_str(), "type": info.name, "params": params});
            let mut problems = Vec::new();
            documented_fields(&schema["$defs"]["node"], &schema, &node, info.name, &mut problems);
            assert!(problems.is_empty(), "the schema does not document {}: {problems:#?}", info.class);
        }
        // The walker does notice what the schema does not document.
        let mut problems = Vec::new();
        let mut broken = sample();
        broken["nodes"][0]["params"]["depth"] = 1.into();
        broken["edges"][0].as_object_mut().unwrap().remove("delivery");
        documented_fields(&schema, &schema, &broken, "$", &mut problems);
        assert!(
            problems.iter().any(|p| p == "$.edges[0].delivery: required by the schema but missing"),
            "{problems:#?}"
        );
        assert!(problems.iter().any(|p| p == "$.nodes[0]: 0 of the oneOf branches fit"), "{problems:#?}");
    }
}
