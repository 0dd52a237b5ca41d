//! Parameter annotations (`@range`, `@default`, `@color`, `@checkbox`) read from comments in cbuffer bodies.
//!
//! SPIR-V keeps neither comments nor the declared spelling of `bool` members (they become `uint`), so both
//! come from the user's HLSL here. Association rules:
//! * a comment that starts on the line of a declaration's `;` belongs to that declaration;
//! * other comments between declarations belong to the next declaration;
//! * a comment inside a declaration belongs to the declarator (`a` or `b` in `float a, b;`) it sits in.

use std::collections::HashMap;

/// What the source says about one cbuffer member.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MemberAnnotations {
    /// The type as written, e.g. "float3" or "bool" (SPIR-V reports `bool` members as `uint`).
    pub declared_type: String,
    pub range: Option<(f64, f64)>,
    /// Raw `@default` values in source order; booleans are 1/0.
    pub default: Option<Vec<f64>>,
    pub color: bool,
    pub checkbox: bool,
}

/// Annotations of every cbuffer the source declares, by cbuffer name then member name.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SourceAnnotations {
    buffers: HashMap<String, HashMap<String, MemberAnnotations>>,
}

impl SourceAnnotations {
    pub fn member(&self, buffer: &str, member: &str) -> Option<&MemberAnnotations> {
        self.buffers.get(buffer)?.get(member)
    }

    pub fn has_buffer(&self, buffer: &str) -> bool {
        self.buffers.contains_key(buffer)
    }
}

/// Reads the annotations of every `cbuffer` in `source`; a malformed annotation is an error naming the member.
pub fn parse(source: &str) -> Result<SourceAnnotations, String> {
    let tokens = lex(source);
    let mut out = SourceAnnotations::default();
    let mut i = 0;
    while i < tokens.len() {
        if tokens[i].kind != Kind::Ident || tokens[i].text != "cbuffer" {
            i += 1;
            continue;
        }
        let Some(name_at) = next_code(&tokens, i + 1) else { break };
        if tokens[name_at].kind != Kind::Ident {
            i = name_at;
            continue;
        }
        let name = tokens[name_at].text.clone();
        // Skip `: register(b0, space1)` and anything else up to the body.
        let mut open = name_at + 1;
        while open < tokens.len() && !tokens[open].is_punct("{") && !tokens[open].is_punct(";") {
            open += 1;
        }
        if open >= tokens.len() || !tokens[open].is_punct("{") {
            i = open;
            continue;
        }
        let close = matching_brace(&tokens, open);
        let members = parse_body(&tokens[open + 1..close])?;
        out.buffers.entry(name).or_default().extend(members);
        i = close + 1;
    }
    Ok(out)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Ident,
    Number,
    Punct,
    Comment,
}

#[derive(Debug, Clone)]
struct Token {
    kind: Kind,
    /// For comments, the text without the `//`, `/*` and `*/` markers.
    text: String,
    /// 1-based line where the token starts.
    line: u32,
}

impl Token {
    fn is_punct(&self, p: &str) -> bool {
        self.kind == Kind::Punct && self.text == p
    }
}

/// Splits HLSL into identifiers, numbers, punctuation and comments; drops preprocessor lines and strings.
fn lex(source: &str) -> Vec<Token> {
    let chars: Vec<char> = source.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    let mut line = 1u32;
    // Preprocessor directives only start a line (after whitespace).
    let mut line_start = true;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        if c == '\n' {
            line += 1;
            line_start = true;
            i += 1;
        } else if c.is_whitespace() {
            i += 1;
        } else if c == '/' && next == Some('/') {
            let start = i + 2;
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
            out.push(Token { kind: Kind::Comment, text: chars[start..i].iter().collect(), line });
        } else if c == '/' && next == Some('*') {
            let start_line = line;
            let start = i + 2;
            i = start;
            while i < chars.len() && !(chars[i] == '*' && chars.get(i + 1) == Some(&'/')) {
                if chars[i] == '\n' {
                    line += 1;
                }
                i += 1;
            }
            let text = chars[start..i.min(chars.len())].iter().collect();
            i = (i + 2).min(chars.len());
            out.push(Token { kind: Kind::Comment, text, line: start_line });
            // A block comment does not end the run of whitespace that may precede a directive.
            continue;
        } else if c == '#' && line_start {
            // Skip the directive, following `\` continuations, but keep its trailing comment out of it.
            while i < chars.len() && chars[i] != '\n' {
                if chars[i] == '\\' && chars.get(i + 1) == Some(&'\n') {
                    line += 1;
                    i += 1;
                } else if chars[i] == '/' && matches!(chars.get(i + 1), Some('/') | Some('*')) {
                    break;
                }
                i += 1;
            }
        } else if c == '"' {
            i += 1;
            while i < chars.len() && chars[i] != '"' && chars[i] != '\n' {
                if chars[i] == '\\' {
                    i += 1;
                }
                i += 1;
            }
            i += 1;
        } else if c.is_alphabetic() || c == '_' {
            let start = i;
            while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
            out.push(Token { kind: Kind::Ident, text: chars[start..i].iter().collect(), line });
        } else if c.is_ascii_digit() || (c == '.' && next.is_some_and(|n| n.is_ascii_digit())) {
            let start = i;
            while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '.') {
                i += 1;
            }
            out.push(Token { kind: Kind::Number, text: chars[start..i].iter().collect(), line });
        } else {
            out.push(Token { kind: Kind::Punct, text: c.to_string(), line });
            i += 1;
        }
        if c != '\n' && !c.is_whitespace() {
            line_start = false;
        }
    }
    out
}

fn next_code(tokens: &[Token], from: usize) -> Option<usize> {
    (from..tokens.len()).find(|&j| tokens[j].kind != Kind::Comment)
}

/// Index of the `}` closing the `{` at `open`, or the end of the tokens for an unterminated body.
fn matching_brace(tokens: &[Token], open: usize) -> usize {
    let mut depth = 0usize;
    for (j, t) in tokens.iter().enumerate().skip(open) {
        if t.is_punct("{") {
            depth += 1;
        } else if t.is_punct("}") {
            depth -= 1;
            if depth == 0 {
                return j;
            }
        }
    }
    tokens.len()
}

/// A declarator found in a cbuffer body, with the comments that describe it.
struct Declared {
    name: String,
    ty: String,
    comments: Vec<String>,
}

fn parse_body(body: &[Token]) -> Result<Vec<(String, MemberAnnotations)>, String> {
    let mut declared: Vec<Declared> = Vec::new();
    let mut code: Vec<&Token> = Vec::new();
    // Comments inside the current declaration, with the number of code tokens before each.
    let mut inner: Vec<(usize, String)> = Vec::new();
    let mut pending: Vec<String> = Vec::new();
    // Indices into `declared` of the last finished declaration, and the line of its `;`.
    let mut last: Option<(std::ops::Range<usize>, u32)> = None;
    let mut depth = 0i32;

    for tok in body {
        match tok.kind {
            Kind::Comment if code.is_empty() => match &last {
                Some((range, semi_line)) if *semi_line == tok.line => {
                    for d in &mut declared[range.clone()] {
                        d.comments.push(tok.text.clone());
                    }
                }
                _ => pending.push(tok.text.clone()),
            },
            Kind::Comment => inner.push((code.len(), tok.text.clone())),
            Kind::Punct if tok.text == ";" && depth == 0 => {
                let start = declared.len();
                for (name, ty, segment) in declarators(&code) {
                    let mut comments = pending.clone();
                    comments.extend(inner.iter().filter(|(at, _)| segment.contains(at)).map(|(_, text)| text.clone()));
                    declared.push(Declared { name, ty, comments });
                }
                last = Some((start..declared.len(), tok.line));
                pending.clear();
                inner.clear();
                code.clear();
            }
            _ => {
                match tok.text.as_str() {
                    "(" | "[" | "{" if tok.kind == Kind::Punct => depth += 1,
                    ")" | "]" | "}" if tok.kind == Kind::Punct => depth -= 1,
                    _ => {}
                }
                code.push(tok);
            }
        }
    }

    declared
        .into_iter()
        .map(|d| {
            let mut ann = MemberAnnotations { declared_type: d.ty, ..MemberAnnotations::default() };
            for comment in &d.comments {
                apply_comment(&d.name, comment, &mut ann)?;
            }
            Ok((d.name, ann))
        })
        .collect()
}

const MODIFIERS: &[&str] = &[
    "row_major",
    "column_major",
    "static",
    "const",
    "uniform",
    "precise",
    "volatile",
    "extern",
    "nointerpolation",
    "linear",
    "centroid",
    "noperspective",
    "sample",
    "snorm",
    "unorm",
];

/// The declarators of one declaration (without its `;`): name, declared type, and the span of code-token
/// positions whose comments belong to it (a comment right before a comma stays with the left declarator).
fn declarators(code: &[&Token]) -> Vec<(String, String, std::ops::RangeInclusive<usize>)> {
    // Split at top-level commas; `<...>` only counts as nesting before an initializer starts.
    let mut segments: Vec<std::ops::Range<usize>> = Vec::new();
    let mut start = 0;
    let mut depth = 0i32;
    let mut angle = 0i32;
    let mut in_init = false;
    for (j, t) in code.iter().enumerate() {
        if t.kind != Kind::Punct {
            continue;
        }
        match t.text.as_str() {
            "(" | "[" | "{" => depth += 1,
            ")" | "]" | "}" => depth -= 1,
            "<" if !in_init => angle += 1,
            ">" if !in_init => angle -= 1,
            "=" if depth == 0 => in_init = true,
            "," if depth == 0 && angle <= 0 => {
                segments.push(start..j);
                start = j + 1;
                in_init = false;
            }
            _ => {}
        }
    }
    segments.push(start..code.len());

    let mut out = Vec::new();
    let mut ty = String::new();
    for (k, seg) in segments.iter().enumerate() {
        let head_end = (seg.start..seg.end)
            .find(|&j| code[j].kind == Kind::Punct && matches!(code[j].text.as_str(), "[" | ":" | "="))
            .unwrap_or(seg.end);
        let head = &code[seg.start..head_end];
        let name_at = if k == 0 {
            head.iter().rposition(|t| t.kind == Kind::Ident)
        } else {
            head.iter().position(|t| t.kind == Kind::Ident)
        };
        let Some(name_at) = name_at else { continue };
        if k == 0 {
            ty = head[..name_at]
                .iter()
                .skip_while(|t| t.kind == Kind::Ident && MODIFIERS.contains(&t.text.as_str()))
                .map(|t| t.text.as_str())
                .collect::<Vec<_>>()
                .join("");
            if ty.is_empty() {
                // Only a bare identifier: not a declaration.
                return Vec::new();
            }
        }
        let first = if k == 0 { 0 } else { seg.start };
        out.push((head[name_at].text.clone(), ty.clone(), first..=seg.end));
    }
    out
}

/// Applies every `@annotation` in one comment; unknown `@words` are left alone (comments may mention them).
fn apply_comment(member: &str, comment: &str, ann: &mut MemberAnnotations) -> Result<(), String> {
    let chars: Vec<char> = comment.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let at_word_start = i == 0 || !(chars[i - 1].is_alphanumeric() || chars[i - 1] == '_');
        if chars[i] != '@' || !at_word_start {
            i += 1;
            continue;
        }
        let start = i + 1;
        let mut end = start;
        while end < chars.len() && (chars[end].is_alphanumeric() || chars[end] == '_') {
            end += 1;
        }
        let word: String = chars[start..end].iter().collect();
        // Optional `( ... )` right after the word, spaces allowed.
        let mut j = end;
        while j < chars.len() && chars[j] == ' ' {
            j += 1;
        }
        let mut args: Option<String> = None;
        let mut after = end;
        if j < chars.len() && chars[j] == '(' {
            match chars[j + 1..].iter().position(|&c| c == ')') {
                Some(len) => {
                    args = Some(chars[j + 1..j + 1 + len].iter().collect());
                    after = j + 1 + len + 1;
                }
                None => {
                    let rest: String = chars[j + 1..].iter().collect();
                    return Err(format!("parameter '{member}': @{word} is missing its ')' in '({}'", rest.trim()));
                }
            }
        }
        match word.as_str() {
            "range" => {
                let text = args.unwrap_or_default();
                let values = numbers(&text, false);
                match values.as_deref() {
                    Some(&[min, max]) if min <= max => ann.range = Some((min, max)),
                    Some(&[min, max]) => {
                        return Err(format!("parameter '{member}': @range minimum {min} is above maximum {max}"))
                    }
                    _ => {
                        return Err(format!("parameter '{member}': @range expects two numbers, got '{}'", text.trim()))
                    }
                }
            }
            "default" => {
                let text = args.unwrap_or_default();
                match numbers(&text, true) {
                    Some(values) if !values.is_empty() => ann.default = Some(values),
                    _ => {
                        return Err(format!(
                            "parameter '{member}': @default expects numbers separated by commas, got '{}'",
                            text.trim()
                        ))
                    }
                }
            }
            "color" | "checkbox" => {
                if args.as_deref().is_some_and(|a| !a.trim().is_empty()) {
                    return Err(format!("parameter '{member}': @{word} takes no arguments"));
                }
                if word == "color" {
                    ann.color = true;
                } else {
                    ann.checkbox = true;
                }
            }
            _ => {}
        }
        i = after.max(start);
    }
    Ok(())
}

/// Comma-separated finite numbers (an `f`/`h` suffix allowed, as HLSL literals have); `true`/`false` when
/// `bools`. None when any item is not a number.
fn numbers(text: &str, bools: bool) -> Option<Vec<f64>> {
    if text.trim().is_empty() {
        return Some(Vec::new());
    }
    text.split(',')
        .map(|item| {
            let item = item.trim();
            match item {
                "true" if bools => return Some(1.0),
                "false" if bools => return Some(0.0),
                _ => {}
            }
            let digits = item.strip_suffix(['f', 'F', 'h', 'H']).unwrap_or(item);
            // Rust would accept "inf"/"nan"; a shader default never means those.
            if !digits.chars().any(|c| c.is_ascii_digit()) {
                return None;
            }
            digits.parse::<f64>().ok().filter(|v| v.is_finite())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn member<'a>(a: &'a SourceAnnotations, buffer: &str, name: &str) -> &'a MemberAnnotations {
        a.member(buffer, name).unwrap_or_else(|| panic!("no member {buffer}.{name} in {a:?}"))
    }

    #[test]
    fn two_members_on_one_line_each_take_the_comment_after_them() {
        let src = "cbuffer Params { float strength; /* @range(0, 1) @default(0.5) */ float3 tint; /* @color @default(1,0,0) */ };";
        let a = parse(src).unwrap();
        let s = member(&a, "Params", "strength");
        assert_eq!(s.declared_type, "float");
        assert_eq!(s.range, Some((0.0, 1.0)));
        assert_eq!(s.default, Some(vec![0.5]));
        assert!(!s.color);
        let t = member(&a, "Params", "tint");
        assert_eq!(t.declared_type, "float3");
        assert!(t.color);
        assert_eq!(t.range, None);
        assert_eq!(t.default, Some(vec![1.0, 0.0, 0.0]));
    }

    #[test]
    fn own_line_comments_go_to_the_next_member() {
        let src = "cbuffer P : register(b1)\n{\n    // Radius in pixels.\n    // @range(1, 32) @default(4)\n    float radius;\n\n    /* @checkbox\n       @default(true) */\n    bool enabled;\n    float plain;\n};\n";
        let a = parse(src).unwrap();
        let r = member(&a, "P", "radius");
        assert_eq!((r.range, r.default.clone()), (Some((1.0, 32.0)), Some(vec![4.0])));
        let e = member(&a, "P", "enabled");
        assert_eq!(e.declared_type, "bool");
        assert!(e.checkbox);
        assert_eq!(e.default, Some(vec![1.0]));
        let p = member(&a, "P", "plain");
        assert_eq!(p, &MemberAnnotations { declared_type: "float".into(), ..Default::default() });
    }

    #[test]
    fn a_comment_below_a_member_belongs_to_the_next_one() {
        let src = "cbuffer P {\n float a;\n // @range(2, 3)\n float b;\n};";
        let a = parse(src).unwrap();
        assert_eq!(member(&a, "P", "a").range, None);
        assert_eq!(member(&a, "P", "b").range, Some((2.0, 3.0)));
    }

    #[test]
    fn multi_declarators_arrays_and_modifiers() {
        let src = "cbuffer P {\n  float a, b; // @range(-1, 1)\n  float c /* @default(2) */, d /* @default(3) */;\n  float weights[4]; // @default(0.25)\n  row_major float4x4 xf : packoffset(c4);\n  int2 size = int2(1, 2), other;\n};";
        let a = parse(src).unwrap();
        assert_eq!(member(&a, "P", "a").range, Some((-1.0, 1.0)));
        assert_eq!(member(&a, "P", "b").range, Some((-1.0, 1.0)));
        assert_eq!(member(&a, "P", "c").default, Some(vec![2.0]));
        assert_eq!(member(&a, "P", "d").default, Some(vec![3.0]));
        let w = member(&a, "P", "weights");
        assert_eq!((w.declared_type.as_str(), w.default.clone()), ("float", Some(vec![0.25])));
        assert_eq!(member(&a, "P", "xf").declared_type, "float4x4");
        assert_eq!(member(&a, "P", "size").declared_type, "int2");
        assert_eq!(member(&a, "P", "other").declared_type, "int2");
    }

    #[test]
    fn malformed_annotations_are_errors_naming_the_member() {
        let err = parse("cbuffer P { float radius; // @range(1)\n};").unwrap_err();
        assert_eq!(err, "parameter 'radius': @range expects two numbers, got '1'");
        let err = parse("cbuffer P { float radius; // @range(a,b)\n};").unwrap_err();
        assert_eq!(err, "parameter 'radius': @range expects two numbers, got 'a,b'");
        let err = parse("cbuffer P { float3 t; /* @default(1, x) */ };").unwrap_err();
        assert!(err.contains("parameter 't': @default"), "{err}");
        let err = parse("cbuffer P { float r; // @range(0, 1\n};").unwrap_err();
        assert!(err.contains("parameter 'r'") && err.contains("')'"), "{err}");
        let err = parse("cbuffer P { float r; // @range(2, 1)\n};").unwrap_err();
        assert!(err.contains("above maximum"), "{err}");
        assert!(parse("cbuffer P { float r; // @range\n};").is_err());
    }

    #[test]
    fn unrelated_text_and_other_code_are_ignored() {
        let src = "#define N 4 // @range(oops)\n// cbuffer Fake { float x; // @range(1) };\nstruct S { float q; };\ncbuffer P {\n#if N > 2\n  float x; // see me@example.com, @unknown(1), 0.5f @default(0.5f)\n#endif\n};\nfloat4 main() : SV_Target { return 0; }";
        let a = parse(src).unwrap();
        assert!(!a.has_buffer("Fake"));
        assert!(a.member("P", "q").is_none());
        assert_eq!(member(&a, "P", "x").default, Some(vec![0.5]));
    }

    #[test]
    fn unterminated_input_does_not_panic() {
        for src in [
            "cbuffer",
            "cbuffer P",
            "cbuffer P {",
            "cbuffer P { float",
            "cbuffer P { float x; /* @range(0,",
            "cbuffer P { float x; // @",
        ] {
            let _ = parse(src);
        }
        assert!(parse("cbuffer P { float x; // @").unwrap().has_buffer("P"));
    }
}
