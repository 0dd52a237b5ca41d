//! Checks that run before any C++ front end sees the source, and `#include` resolution.
//!
//! The front ends crash or hang on some inputs (deep nesting, huge sources), so the cheap checks reject
//! them here with a diagnostic. Includes are resolved here too, from allow-listed directories only, and
//! handed to the backend as a name → text map: the backend itself never opens a file.

use std::collections::BTreeMap;
use std::path::{Component, Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::prelude::{prelude_for, Prelude};
use super::types::{CompileRequest, Diagnostic, Language, PreludeMode, Stage};
use super::{d3d9, shadertoy};

pub const MAX_SOURCE_BYTES: usize = 1024 * 1024;
/// Deeper nesting than any real shader; glslang overflows its stack on ~20,000 levels.
pub const MAX_NESTING_DEPTH: usize = 256;
const MAX_INCLUDE_DEPTH: usize = 16;
const MAX_INCLUDE_FILES: usize = 64;

/// A source ready for a backend: prelude + user text, with every include already read.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PreparedSource {
    pub request: CompileRequest,
    /// The prelude followed by the user's source, as the front end sees it.
    pub full_source: String,
    pub prelude_lines: u32,
    /// Include name as written in the directive → file text.
    pub includes: BTreeMap<String, String>,
    /// Where reflection reads parameter annotations when not from the user's text (a GLSL effect's
    /// uniforms as an HLSL cbuffer).
    #[serde(default)]
    pub annotation_source: Option<String>,
}

/// Decodes source bytes, pointing at the first invalid byte when they are not UTF-8.
pub fn decode_source(name: &str, bytes: &[u8]) -> Result<String, Diagnostic> {
    match std::str::from_utf8(bytes) {
        Ok(text) => Ok(text.to_owned()),
        Err(err) => {
            let valid = &bytes[..err.valid_up_to()];
            let line = valid.iter().filter(|&&b| b == b'\n').count() as u32 + 1;
            let line_start = valid.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
            let column = String::from_utf8_lossy(&valid[line_start..]).chars().count() as u32 + 1;
            let lossy = String::from_utf8_lossy(bytes);
            let bad = bytes[err.valid_up_to()];
            Err(Diagnostic::error(
                name,
                format!("source is not valid UTF-8: byte 0x{bad:02x} at line {line}, column {column}"),
            )
            .at(&lossy, line, Some(column)))
        }
    }
}

/// Runs the cheap checks and resolves includes; every problem found is returned, in source order.
pub fn prepare(request: &CompileRequest, library_dirs: &[PathBuf]) -> Result<PreparedSource, Vec<Diagnostic>> {
    let name = request.name.as_str();
    let source = request.source.as_str();
    check_text(name, source).map_err(|d| vec![d])?;
    if strip_comments(source).trim().is_empty() {
        return Err(vec![Diagnostic::error(
            name,
            "shader source is empty: expected an entry point such as `float4 main(float2 uv : TEXCOORD) : SV_Target`",
        )]);
    }
    if request.options.language == Language::Glsl {
        let glsl = shadertoy::prepare(name, source)?;
        return Ok(PreparedSource {
            request: request.clone(),
            full_source: glsl.full_source,
            prelude_lines: glsl.prelude_lines,
            includes: BTreeMap::new(),
            annotation_source: Some(glsl.annotation_view),
        });
    }
    let mistakes = super::source_checks::check(name, source);
    if !mistakes.is_empty() {
        return Err(mistakes);
    }
    let mut search_dirs: Vec<PathBuf> = request.options.include_dirs.clone();
    search_dirs.extend(library_dirs.iter().cloned());
    let mut includes = BTreeMap::new();
    resolve_includes(name, source, &search_dirs, &mut includes, 0)?;

    // A D3D9-style pixel shader is rewritten line for line into the runtime's form (see `d3d9`).
    let adapted = match (request.options.stage, request.options.prelude) {
        (Stage::Pixel, PreludeMode::Auto | PreludeMode::Always) => d3d9::adapt(source),
        _ => None,
    };
    let source = adapted.as_ref().map_or(source, |a| a.source.as_str());
    let Prelude { text: mut prelude } = prelude_for(source, request.options.stage, request.options.prelude);
    if let Some(adapted) = &adapted {
        prelude.push_str(&adapted.prelude);
    }
    let prelude_lines = prelude.lines().count() as u32;
    let full_source = format!("{prelude}{source}");
    Ok(PreparedSource { request: request.clone(), full_source, prelude_lines, includes, annotation_source: None })
}

/// Size and nesting limits and bracket balance, on one file's text.
fn check_text(name: &str, source: &str) -> Result<(), Diagnostic> {
    if source.len() > MAX_SOURCE_BYTES {
        return Err(Diagnostic::error(
            name,
            format!("source is {} bytes, over the {} byte limit for one shader", source.len(), MAX_SOURCE_BYTES),
        ));
    }
    if source.contains('\0') {
        let line = source[..source.find('\0').unwrap_or(0)].matches('\n').count() as u32 + 1;
        return Err(Diagnostic::error(name, "source contains a NUL character").at(source, line, None));
    }
    check_brackets(name, source)
}

/// Walks brackets outside comments and string literals; reports too-deep nesting, a closer that does
/// not match, or an opener never closed (pointing at the opener, where the fix usually is).
fn check_brackets(name: &str, source: &str) -> Result<(), Diagnostic> {
    let mut stack: Vec<(char, u32, u32)> = Vec::new();
    let (mut line, mut column) = (1u32, 0u32);
    let mut chars = source.chars().peekable();
    let mut in_block_comment = false;
    while let Some(c) = chars.next() {
        column += 1;
        if c == '\n' {
            line += 1;
            column = 0;
            continue;
        }
        if in_block_comment {
            if c == '*' && chars.peek() == Some(&'/') {
                chars.next();
                column += 1;
                in_block_comment = false;
            }
            continue;
        }
        match c {
            '/' if chars.peek() == Some(&'/') => {
                for next in chars.by_ref() {
                    if next == '\n' {
                        line += 1;
                        column = 0;
                        break;
                    }
                }
            }
            '/' if chars.peek() == Some(&'*') => {
                chars.next();
                column += 1;
                in_block_comment = true;
            }
            '"' => {
                for next in chars.by_ref() {
                    column += 1;
                    if next == '"' || next == '\n' {
                        if next == '\n' {
                            line += 1;
                            column = 0;
                        }
                        break;
                    }
                }
            }
            '(' | '[' | '{' => {
                stack.push((c, line, column));
                if stack.len() > MAX_NESTING_DEPTH {
                    return Err(Diagnostic::error(
                        name,
                        format!("brackets nested deeper than {MAX_NESTING_DEPTH} levels; simplify the expression"),
                    )
                    .at(source, line, Some(column)));
                }
            }
            ')' | ']' | '}' => {
                let expected = match c {
                    ')' => '(',
                    ']' => '[',
                    _ => '{',
                };
                match stack.pop() {
                    Some((open, _, _)) if open == expected => {}
                    Some((open, open_line, open_column)) => {
                        return Err(Diagnostic::error(
                            name,
                            format!("'{c}' does not match '{open}' opened at line {open_line}, column {open_column}"),
                        )
                        .at(source, line, Some(column)));
                    }
                    None => {
                        return Err(Diagnostic::error(name, format!("unexpected '{c}' with no matching '{expected}'"))
                            .at(source, line, Some(column)));
                    }
                }
            }
            _ => {}
        }
    }
    if let Some(&(open, open_line, open_column)) = stack.last() {
        let close = match open {
            '(' => ')',
            '[' => ']',
            _ => '}',
        };
        return Err(Diagnostic::error(
            name,
            format!("'{open}' is never closed: expected '{close}' before the end of the source"),
        )
        .at(source, open_line, Some(open_column)));
    }
    Ok(())
}

/// Reads every `#include "x"` of `source` (recursively) into `includes`.
fn resolve_includes(
    file: &str,
    source: &str,
    search_dirs: &[PathBuf],
    includes: &mut BTreeMap<String, String>,
    depth: usize,
) -> Result<(), Vec<Diagnostic>> {
    let mut errors = Vec::new();
    for (index, text) in source.lines().enumerate() {
        let Some((requested, column)) = include_directive(text) else { continue };
        let line = index as u32 + 1;
        let at = |message: String| Diagnostic::error(file, message).at(source, line, Some(column));
        if depth >= MAX_INCLUDE_DEPTH {
            errors.push(at(format!(
                "includes nested deeper than {MAX_INCLUDE_DEPTH} levels (is '{requested}' including itself?)"
            )));
            continue;
        }
        if includes.contains_key(&requested) {
            continue;
        }
        if includes.len() >= MAX_INCLUDE_FILES {
            errors.push(at(format!("more than {MAX_INCLUDE_FILES} included files")));
            break;
        }
        let relative = match safe_relative_path(&requested) {
            Ok(path) => path,
            Err(why) => {
                errors.push(at(format!("#include \"{requested}\" refused: {why}")));
                continue;
            }
        };
        let found = search_dirs.iter().map(|dir| dir.join(&relative)).find(|path| path.is_file());
        let Some(path) = found else {
            let searched: Vec<String> = search_dirs.iter().map(|d| d.display().to_string()).collect();
            errors.push(at(format!(
                "cannot find include '{requested}' (searched: {})",
                if searched.is_empty() { "no include directories configured".to_owned() } else { searched.join(", ") }
            )));
            continue;
        };
        let text = match std::fs::read(&path) {
            Ok(bytes) => match decode_source(&requested, &bytes) {
                Ok(text) => text,
                Err(diagnostic) => {
                    errors.push(diagnostic);
                    continue;
                }
            },
            Err(err) => {
                errors.push(at(format!("cannot read include '{requested}': {err}")));
                continue;
            }
        };
        if let Err(diagnostic) = check_text(&requested, &text) {
            errors.push(diagnostic);
            continue;
        }
        includes.insert(requested.clone(), text.clone());
        if let Err(mut nested) = resolve_includes(&requested, &text, search_dirs, includes, depth + 1) {
            errors.append(&mut nested);
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

/// `#include "name"` or `#include <name>` → (name, 1-based column of the directive's `#`).
pub fn include_directive(line: &str) -> Option<(String, u32)> {
    let trimmed = line.trim_start();
    let column = (line.len() - trimmed.len()) as u32 + 1;
    let rest = trimmed.strip_prefix('#')?.trim_start().strip_prefix("include")?.trim_start();
    let (open, close) = match rest.chars().next()? {
        '"' => ('"', '"'),
        '<' => ('<', '>'),
        _ => return None,
    };
    let inner = rest.strip_prefix(open)?;
    let end = inner.find(close)?;
    Some((inner[..end].to_owned(), column))
}

/// Accepts only plain relative paths that stay below the directory they are joined to.
fn safe_relative_path(requested: &str) -> Result<PathBuf, &'static str> {
    if requested.is_empty() {
        return Err("empty file name");
    }
    if requested.contains('\\') || requested.contains(':') {
        return Err("only forward-slash relative paths are allowed");
    }
    let path = Path::new(requested);
    if path.is_absolute() {
        return Err("absolute paths are not allowed; includes resolve inside the shader library only");
    }
    let mut clean = PathBuf::new();
    for component in path.components() {
        match component {
            Component::Normal(part) => clean.push(part),
            Component::CurDir => {}
            Component::ParentDir => return Err("'..' would leave the shader library"),
            Component::RootDir | Component::Prefix(_) => return Err("absolute paths are not allowed"),
        }
    }
    Ok(clean)
}

pub(super) fn strip_comments(source: &str) -> String {
    let mut out = String::with_capacity(source.len());
    let mut rest = source;
    while !rest.is_empty() {
        if let Some(tail) = rest.strip_prefix("//") {
            rest = tail.find('\n').map_or("", |i| &tail[i..]);
        } else if let Some(tail) = rest.strip_prefix("/*") {
            rest = tail.find("*/").map_or("", |i| &tail[i + 2..]);
        } else {
            let c = rest.chars().next().unwrap_or(' ');
            out.push(c);
            rest = &rest[c.len_utf8()..];
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shader::types::CompileOptions;

    fn request(source: &str) -> CompileRequest {
        CompileRequest { name: "test.hlsl".into(), source: source.into(), options: CompileOptions::default() }
    }

    fn first_error(source: &str, dirs: &[PathBuf]) -> Diagnostic {
        prepare(&request(source), dirs).expect_err("should be refused").remove(0)
    }

    #[test]
    fn non_utf8_points_at_the_byte() {
        let d = decode_source("x.hlsl", b"float a;\nfloat \xff b;").unwrap_err();
        assert_eq!((d.line, d.column), (Some(2), Some(7)));
        assert!(d.message.contains("0xff"), "{}", d.message);
    }

    #[test]
    fn empty_and_comment_only_sources_are_refused() {
        assert!(first_error("   \n", &[]).message.contains("empty"));
        assert!(first_error("// nothing\n/* here */", &[]).message.contains("empty"));
    }

    #[test]
    fn oversized_source_is_refused_before_parsing() {
        let big = "// x\n".repeat(MAX_SOURCE_BYTES / 4);
        assert!(first_error(&big, &[]).message.contains("byte limit"));
    }

    #[test]
    fn deep_nesting_is_refused() {
        let src = format!(
            "float4 main() : SV_Target {{ float a = {}1{}; return a; }}",
            "(".repeat(20_000),
            ")".repeat(20_000)
        );
        let d = first_error(&src, &[]);
        assert!(d.message.contains("nested deeper"), "{}", d.message);
        assert_eq!(d.line, Some(1));
    }

    #[test]
    fn unclosed_brace_points_at_the_opener() {
        let d = first_error("float4 main() : SV_Target {\n  return 0;\n", &[]);
        assert_eq!((d.line, d.column), (Some(1), Some(27)));
        assert!(d.message.contains("never closed"));
    }

    #[test]
    fn stray_closer_is_reported_where_it_is() {
        let d = first_error("float4 main() : SV_Target { return 0; }\n}\n", &[]);
        assert_eq!((d.line, d.column), (Some(2), Some(1)));
    }

    #[test]
    fn brackets_in_comments_do_not_count() {
        assert!(prepare(&request("// (((\n/* { */ float4 main() : SV_Target { return 0; }"), &[]).is_ok());
    }

    #[test]
    fn include_escapes_are_refused_without_reading() {
        for bad in ["../etc/passwd", "/etc/passwd", "a/../../x.hlsl", "C:\\x.hlsl"] {
            let d = first_error(&format!("#include \"{bad}\"\nfloat4 main() : SV_Target {{ return 0; }}"), &[]);
            assert!(d.message.contains("refused"), "{bad}: {}", d.message);
            assert_eq!(d.line, Some(1));
        }
    }

    #[test]
    fn includes_resolve_inside_the_library_recursively() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.hlsl"), "#include \"b.hlsl\"\nfloat fa() { return fb(); }\n").unwrap();
        std::fs::write(dir.path().join("b.hlsl"), "float fb() { return 1; }\n").unwrap();
        let prepared =
            prepare(&request("#include \"a.hlsl\"\nfloat4 main() : SV_Target { return fa(); }"), &[dir.path().into()])
                .unwrap();
        assert_eq!(prepared.includes.keys().collect::<Vec<_>>(), ["a.hlsl", "b.hlsl"]);
    }

    #[test]
    fn missing_include_lists_where_it_looked() {
        let dir = tempfile::tempdir().unwrap();
        let d = first_error("#include \"nope.hlsl\"\n", &[dir.path().into()]);
        assert!(
            d.message.contains("cannot find include 'nope.hlsl'")
                && d.message.contains(&dir.path().display().to_string())
        );
    }

    #[test]
    fn prelude_lines_are_counted() {
        let prepared =
            prepare(&request("float4 main(float2 uv : TEXCOORD) : SV_Target { return tex2D(input, uv); }"), &[])
                .unwrap();
        assert!(prepared.prelude_lines >= 4);
        assert!(prepared.full_source.ends_with("tex2D(input, uv); }"));
    }
}
