//! Turns a front end's text output into `Diagnostic`s in the user's own line numbers.
//!
//! glslang (through shaderc) writes `name:LINE: error: 'token' : message` and, for parse failures,
//! `name(LINE): error at column C, HLSL parsing failed.`; DXC writes `name:LINE:COL: error: message`.
//! Both are mapped the same way: prelude lines subtracted, the source line attached, and a column filled
//! in from the quoted token when the front end gave none.

use std::collections::BTreeMap;

use super::preprocess::PreparedSource;
use super::types::{Diagnostic, Severity};

/// Where line numbers in front-end messages point.
pub struct LineMap<'a> {
    pub main_name: &'a str,
    pub user_source: &'a str,
    pub prelude_lines: u32,
    pub includes: &'a BTreeMap<String, String>,
}

impl<'a> LineMap<'a> {
    pub fn new(prepared: &'a PreparedSource) -> LineMap<'a> {
        LineMap {
            main_name: &prepared.request.name,
            user_source: &prepared.request.source,
            prelude_lines: prepared.prelude_lines,
            includes: &prepared.includes,
        }
    }

    /// Builds a diagnostic for `file`:`line` as the front end counted it.
    fn diagnostic(
        &self,
        severity: Severity,
        file: &str,
        line: Option<u32>,
        column: Option<u32>,
        message: String,
    ) -> Diagnostic {
        let mut diagnostic =
            Diagnostic { severity, file: self.main_name.to_owned(), line: None, column, message, source_line: None };
        let Some(raw_line) = line else { return diagnostic };
        if let Some(text) = self
            .includes
            .get(file)
            .or_else(|| self.includes.iter().find(|(name, _)| file.ends_with(name.as_str())).map(|(_, t)| t))
        {
            diagnostic.file = file.to_owned();
            return diagnostic.at(text, raw_line, column);
        }
        if raw_line <= self.prelude_lines {
            diagnostic.message = format!(
                "{} (in the runtime prelude: a name you declared may clash with `input`, `tex2D` or the frame values)",
                diagnostic.message
            );
            diagnostic.column = None;
            return diagnostic;
        }
        diagnostic.at(self.user_source, raw_line - self.prelude_lines, column)
    }
}

/// Parses glslang/shaderc output (errors and warnings alike).
pub fn parse_glslang(output: &str, map: &LineMap<'_>) -> Vec<Diagnostic> {
    let mut diagnostics: Vec<Diagnostic> = Vec::new();
    // "name(LINE): error at column C, HLSL parsing failed." carries the only column glslang gives.
    let mut parse_failure: Option<(u32, u32)> = None;
    for raw in output.lines() {
        let line = raw.trim();
        if line.is_empty() || line.ends_with("compilation errors.  No code generated.") || is_error_count(line) {
            continue;
        }
        if let Some(found) = parse_column_line(line) {
            parse_failure = Some(found);
            continue;
        }
        if let Some((file, line_no, severity, message)) = split_glslang_line(line) {
            diagnostics.push(map.diagnostic(severity, file, Some(line_no), None, clean_glslang_message(message)));
        } else {
            diagnostics.push(map.diagnostic(Severity::Error, map.main_name, None, None, line.to_owned()));
        }
    }
    finish(&mut diagnostics, parse_failure, map);
    diagnostics
}

fn is_error_count(line: &str) -> bool {
    // "3 errors generated." / "ERROR: 3 compilation errors."
    line.split_whitespace().next().is_some_and(|w| w.chars().all(|c| c.is_ascii_digit()))
        && (line.contains("error") || line.contains("warning"))
}

/// `name(12): error at column 8, HLSL parsing failed.` → (12, 8)
fn parse_column_line(line: &str) -> Option<(u32, u32)> {
    let (head, tail) = line.split_once("): error at column ")?;
    let line_no = head.rsplit_once('(')?.1.parse().ok()?;
    let column = tail.split(|c: char| !c.is_ascii_digit()).next()?.parse().ok()?;
    Some((line_no, column))
}

/// `name:12: error: 'x' : message` → (name, 12, error, "'x' : message")
fn split_glslang_line(line: &str) -> Option<(&str, u32, Severity, &str)> {
    for (marker, severity) in
        [(": error: ", Severity::Error), (": warning: ", Severity::Warning), (": note: ", Severity::Note)]
    {
        if let Some((head, message)) = line.split_once(marker) {
            let (file, line_no) = head.rsplit_once(':')?;
            let line_no = line_no.trim().parse().ok()?;
            return Some((file, line_no, severity, message.trim()));
        }
    }
    None
}

/// glslang's `'foo' : unknown variable ` → `'foo': unknown variable`; an empty `'' : ` is dropped.
fn clean_glslang_message(message: &str) -> String {
    let message = message.trim();
    if let Some(rest) = message.strip_prefix("'' : ") {
        return match rest.trim().strip_prefix("function does not return a value: ") {
            Some(function) => {
                format!("function '{}' does not return a value on every path", function.trim_start_matches('@'))
            }
            None => rest.trim().to_owned(),
        };
    }
    // glslang spells types with their storage qualifier: "' const float'", "' temp texture2D'".
    let message = message.replace("' const ", "'").replace("' temp ", "'").replace("' uniform ", "'");
    match message.split_once(" : ") {
        Some((token, rest)) if token.starts_with('\'') => format!("{token}: {}", rest.trim()),
        _ => message,
    }
}

/// Parses DXC output: `name:LINE:COL: error: message`, followed by the source line and a caret we drop.
pub fn parse_dxc(output: &str, map: &LineMap<'_>) -> Vec<Diagnostic> {
    let mut diagnostics = Vec::new();
    for raw in output.lines() {
        let line = raw.trim_end();
        let Some((location, severity, message)) =
            [(": error: ", Severity::Error), (": warning: ", Severity::Warning), (": note: ", Severity::Note)]
                .iter()
                .find_map(|(marker, severity)| line.split_once(marker).map(|(head, msg)| (head, *severity, msg)))
        else {
            continue;
        };
        let mut parts = location.rsplitn(3, ':');
        let column = parts.next().and_then(|c| c.parse().ok());
        let line_no = parts.next().and_then(|l| l.parse().ok());
        let file = parts.next().unwrap_or(map.main_name);
        if line_no.is_none() {
            diagnostics.push(map.diagnostic(severity, map.main_name, None, None, line.to_owned()));
            continue;
        }
        diagnostics.push(map.diagnostic(severity, file, line_no, column, message.trim().to_owned()));
    }
    if diagnostics.is_empty() && !output.trim().is_empty() {
        diagnostics.push(map.diagnostic(Severity::Error, map.main_name, None, None, output.trim().to_owned()));
    }
    finish(&mut diagnostics, None, map);
    diagnostics
}

/// Fills missing columns, moves "missing ';'" to where the semicolon belongs, and drops cascades.
fn finish(diagnostics: &mut Vec<Diagnostic>, parse_failure: Option<(u32, u32)>, map: &LineMap<'_>) {
    let failure =
        parse_failure.and_then(|(raw_line, column)| raw_line.checked_sub(map.prelude_lines).map(|l| (l, column)));
    for diagnostic in diagnostics.iter_mut() {
        if diagnostic.column.is_some() {
            continue;
        }
        if let Some(column) = quoted_token_column(diagnostic) {
            diagnostic.column = Some(column);
        } else if let Some((line, column)) = failure {
            if diagnostic.line == Some(line) && diagnostic.file == map.main_name {
                diagnostic.column = Some(column);
            }
        }
    }
    // glslang follows one parse error with "'expression' : Expected", "'declaration' : Expected", … on
    // the same line; they add nothing a person or an agent can act on.
    // A function "not returning" after an earlier error is that error's echo.
    let errors = diagnostics.iter().filter(|d| d.severity == Severity::Error).count();
    if errors > 1 {
        diagnostics.retain(|d| !d.message.contains("does not return a value"));
    }
    // An unknown name poisons every other check on its line (types, conversions, returns).
    let unknown_lines: Vec<(String, Option<u32>)> = diagnostics
        .iter()
        .filter(|d| d.message.contains("unknown variable"))
        .map(|d| (d.file.clone(), d.line))
        .collect();
    diagnostics
        .retain(|d| d.message.contains("unknown variable") || !unknown_lines.contains(&(d.file.clone(), d.line)));
    let mut seen_lines = Vec::new();
    diagnostics.retain(|d| {
        let follows_another = seen_lines.contains(&(d.file.clone(), d.line));
        let cascade = follows_another
            && ((d.message.ends_with(": Expected") && !d.message.starts_with("';'"))
                || d.message.starts_with("Could not perform"));
        seen_lines.push((d.file.clone(), d.line));
        !cascade
    });
    for diagnostic in diagnostics.iter_mut() {
        move_missing_semicolon(diagnostic, map);
    }
}

/// Column of the message's quoted token within its source line, when it occurs there as a whole word.
fn quoted_token_column(diagnostic: &Diagnostic) -> Option<u32> {
    let text = diagnostic.source_line.as_deref()?;
    let token = diagnostic.message.strip_prefix('\'')?.split('\'').next()?;
    // Punctuation tokens ("';' : Expected") name what is missing, not where; the parse column is better.
    let punctuation = !token.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_');
    if token.is_empty()
        || (punctuation && diagnostic.message.ends_with(": Expected"))
        || matches!(token, "expression" | "declaration" | "initializer" | "statement" | "function")
    {
        return None;
    }
    let word = |c: char| c.is_ascii_alphanumeric() || c == '_';
    let mut start = 0;
    while let Some(found) = text[start..].find(token) {
        let at = start + found;
        let before_ok = text[..at].chars().next_back().is_none_or(|c| !word(c) || !token.starts_with(word));
        let after_ok = text[at + token.len()..].chars().next().is_none_or(|c| !word(c) || !token.ends_with(word));
        if before_ok && after_ok {
            return Some(text[..at].chars().count() as u32 + 1);
        }
        start = at + token.len();
    }
    None
}

/// glslang notices a missing `;` at the next token, often on the following line; the fix belongs at the
/// end of the previous statement, so point there.
fn move_missing_semicolon(diagnostic: &mut Diagnostic, map: &LineMap<'_>) {
    if !diagnostic.message.starts_with("';'") || diagnostic.file != map.main_name {
        return;
    }
    let (Some(line), Some(column)) = (diagnostic.line, diagnostic.column) else { return };
    let lines: Vec<&str> = map.user_source.lines().collect();
    let Some(index) = (line as usize).checked_sub(1) else { return };
    let Some(current) = lines.get(index) else { return };
    // glslang's column lands on or just past the line's first token when the `;` before it is missing.
    let indent = current.len() - current.trim_start().len();
    let first_token_len =
        current.trim_start().chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').count().max(1);
    if column as usize > indent + first_token_len + 1 {
        return;
    }
    let Some((previous_index, previous)) = lines[..index].iter().enumerate().rev().find(|(_, l)| !l.trim().is_empty())
    else {
        return;
    };
    let code = previous.split("//").next().unwrap_or(previous).trim_end();
    if code.ends_with(';') || code.ends_with('{') || code.ends_with('}') {
        return;
    }
    diagnostic.message = "expected ';' at the end of this line".to_owned();
    let end_column = code.chars().count() as u32 + 1;
    *diagnostic = diagnostic.clone().at(map.user_source, previous_index as u32 + 1, Some(end_column));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map<'a>(source: &'a str, includes: &'a BTreeMap<String, String>) -> LineMap<'a> {
        LineMap { main_name: "fx.hlsl", user_source: source, prelude_lines: 3, includes }
    }

    #[test]
    fn glslang_lines_are_shifted_past_the_prelude() {
        let includes = BTreeMap::new();
        let source = "float4 main() : SV_Target {\n  return foo;\n}\n";
        let out = "fx.hlsl:5: error: 'foo' : unknown variable \n1 error generated.\n";
        let d = parse_glslang(out, &map(source, &includes));
        assert_eq!(d.len(), 1);
        assert_eq!((d[0].line, d[0].column), (Some(2), Some(10)));
        assert_eq!(d[0].message, "'foo': unknown variable");
        assert_eq!(d[0].source_line.as_deref(), Some("  return foo;"));
    }

    #[test]
    fn missing_semicolon_points_at_the_previous_line_end() {
        let includes = BTreeMap::new();
        let source = "float4 main() : SV_Target {\n  float a = 1\n  return a;\n}\n";
        let out = "fx.hlsl:6: error: ';' : Expected \nfx.hlsl:6: error: 'declaration' : Expected \nfx.hlsl(6): error at column 3, HLSL parsing failed.\n";
        let d = parse_glslang(out, &map(source, &includes));
        assert_eq!((d[0].line, d[0].column), (Some(2), Some(14)), "{:?}", d);
        assert_eq!(d.len(), 1, "cascade kept: {d:?}");
    }

    #[test]
    fn include_lines_are_not_shifted() {
        let mut includes = BTreeMap::new();
        includes.insert("lib.hlsl".to_owned(), "float f() {\n  return x;\n}\n".to_owned());
        let d = parse_glslang("lib.hlsl:2: error: 'x' : unknown variable\n", &map("", &includes));
        assert_eq!((d[0].file.as_str(), d[0].line, d[0].column), ("lib.hlsl", Some(2), Some(10)));
    }

    #[test]
    fn dxc_format_keeps_its_columns() {
        let includes = BTreeMap::new();
        let source = "float4 main() : SV_Target {\n  return foo;\n}\n";
        let out = "fx.hlsl:5:10: error: use of undeclared identifier 'foo'\n  return foo;\n         ^\n";
        let d = parse_dxc(out, &map(source, &includes));
        assert_eq!(d.len(), 1);
        assert_eq!((d[0].line, d[0].column), (Some(2), Some(10)));
    }

    #[test]
    fn display_reads_like_a_compiler() {
        let d = Diagnostic::error("fx.hlsl", "'foo': unknown variable").at("a\n  return foo;", 2, Some(10));
        assert_eq!(d.to_string(), "fx.hlsl:2:10: error: 'foo': unknown variable\n      return foo;\n             ^");
    }
}
