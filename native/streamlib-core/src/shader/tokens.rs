//! HLSL source as the words that matter before compiling: identifiers and punctuation, with comments and
//! string literals skipped. Enough for the decisions made ahead of the compiler (the prelude, the stage);
//! the compiler itself parses for real.

/// Identifiers and single ASCII punctuation characters of `source`, in order. Walks bytes (identifiers are
/// ASCII), so UTF-8 elsewhere in the text is skipped over, never sliced through.
pub fn tokens(source: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let bytes = source.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let rest = &bytes[i..];
        if rest.starts_with(b"//") {
            i += rest.iter().position(|&b| b == b'\n').unwrap_or(rest.len());
        } else if rest.starts_with(b"/*") {
            i += rest[2..].windows(2).position(|w| w == b"*/").map_or(rest.len(), |end| end + 4);
        } else if bytes[i] == b'"' {
            i += string_length(rest);
        } else if bytes[i].is_ascii_alphabetic() || bytes[i] == b'_' {
            let start = i;
            while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_') {
                i += 1;
            }
            // Both ends sit next to ASCII bytes, so they are character boundaries.
            out.push(&source[start..i]);
        } else if bytes[i].is_ascii_punctuation() {
            out.push(&source[i..i + 1]);
            i += 1;
        } else {
            i += 1;
        }
    }
    out
}

/// Bytes of the string literal at the start of `rest` (which starts with `"`), closing quote included; an
/// unclosed one ends at the end of its line, as a compiler would report it.
fn string_length(rest: &[u8]) -> usize {
    let mut i = 1;
    while i < rest.len() {
        match rest[i] {
            b'\\' => i += 2,
            b'"' => return i + 1,
            b'\n' => return i,
            _ => i += 1,
        }
    }
    rest.len()
}

/// The code of a line: the text before a `//` comment.
pub fn code_of(line: &str) -> &str {
    line.split("//").next().unwrap_or(line)
}

/// Whether a `/* … */` comment is still open at the end of `line`, given whether one was open at its start.
pub fn block_comment_open_after(line: &str, mut open: bool) -> bool {
    let mut rest = line;
    loop {
        if open {
            match rest.find("*/") {
                Some(end) => {
                    open = false;
                    rest = &rest[end + 2..];
                }
                None => return true,
            }
        } else {
            match code_of(rest).find("/*") {
                Some(start) => {
                    open = true;
                    rest = &rest[start + 2..];
                }
                None => return false,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comments_and_strings_are_skipped() {
        let words = tokens("float a; // b\n/* c [d] */ #include \"e [f].hlsl\"\n\"g\\\"h\" i");
        assert_eq!(words, ["float", "a", ";", "#", "include", "i"]);
    }

    #[test]
    fn an_unclosed_string_ends_at_its_line() {
        assert_eq!(tokens("\"open\nx"), ["x"]);
    }

    #[test]
    fn non_ascii_text_is_skipped_not_sliced() {
        assert_eq!(tokens("é x 日本 y"), ["x", "y"]);
    }
}
