//! Character classes and small lexing helpers of the RFC 3261 §25 grammar.
//!
//! Everything works on `&str` slices of an already UTF-8-checked head, and
//! never panics: every index is produced by `find`/`char_indices` on the same
//! string, or guarded by a length check.

/// `token` characters: alphanum / "-" / "." / "!" / "%" / "*" / "_" / "+" / "`" / "'" / "~".
const TOKEN: u8 = 1;
/// `unreserved` = alphanum / mark ("-" / "_" / "." / "!" / "~" / "*" / "'" / "(" / ")").
const UNRESERVED: u8 = 2;
/// `user-unreserved`: "&" / "=" / "+" / "$" / "," / ";" / "?" / "/".
const USER_UNRESERVED: u8 = 4;
/// `param-unreserved`: "[" / "]" / "/" / ":" / "&" / "+" / "$".
const PARAM_UNRESERVED: u8 = 8;
/// `hnv-unreserved`: "[" / "]" / "/" / "?" / ":" / "+" / "$".
const HNV_UNRESERVED: u8 = 16;
/// `word` characters of Call-ID (token plus "(" ")" "<" ">" ":" "\" DQUOTE "/" "[" "]" "?" "{" "}").
const WORD: u8 = 32;
/// Password characters besides unreserved and escapes: "&" / "=" / "+" / "$" / ",".
const PASSWORD: u8 = 64;
/// Hostname label characters besides `-`: alphanum / "_" (see `uri::is_hostname`).
const LABEL: u8 = 128;

const fn build_table() -> [u8; 256] {
    let mut t = [0u8; 256];
    let mut c = 0usize;
    while c < 256 {
        let b = c as u8;
        if b.is_ascii_alphanumeric() {
            t[c] |= TOKEN | UNRESERVED | WORD | LABEL;
        }
        c += 1;
    }
    let tok = b"-.!%*_+`'~";
    let mut i = 0;
    while i < tok.len() {
        t[tok[i] as usize] |= TOKEN | WORD;
        i += 1;
    }
    let mark = b"-_.!~*'()";
    i = 0;
    while i < mark.len() {
        t[mark[i] as usize] |= UNRESERVED;
        i += 1;
    }
    let uu = b"&=+$,;?/";
    i = 0;
    while i < uu.len() {
        t[uu[i] as usize] |= USER_UNRESERVED;
        i += 1;
    }
    let pu = b"[]/:&+$";
    i = 0;
    while i < pu.len() {
        t[pu[i] as usize] |= PARAM_UNRESERVED;
        i += 1;
    }
    let hu = b"[]/?:+$";
    i = 0;
    while i < hu.len() {
        t[hu[i] as usize] |= HNV_UNRESERVED;
        i += 1;
    }
    let w = b"()<>:\\\"/[]?{}";
    i = 0;
    while i < w.len() {
        t[w[i] as usize] |= WORD;
        i += 1;
    }
    let pw = b"&=+$,";
    i = 0;
    while i < pw.len() {
        t[pw[i] as usize] |= PASSWORD;
        i += 1;
    }
    t[b'_' as usize] |= LABEL;
    t
}

static TABLE: [u8; 256] = build_table();

#[inline]
pub(crate) fn is_token_byte(b: u8) -> bool {
    TABLE[b as usize] & TOKEN != 0
}

/// Alphanumeric or `_`.
#[inline]
pub(crate) fn is_label_byte(b: u8) -> bool {
    TABLE[b as usize] & LABEL != 0
}

#[inline]
pub(crate) fn is_word_byte(b: u8) -> bool {
    TABLE[b as usize] & WORD != 0
}

/// True when `s` is a non-empty `token`.
#[inline]
pub(crate) fn is_token(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(is_token_byte)
}

/// True when `s` is a non-empty run of `word` characters.
#[inline]
pub(crate) fn is_word(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(is_word_byte)
}

/// Characters allowed (besides `%HH` escapes) in a URI component.
#[derive(Clone, Copy)]
pub(crate) enum Component {
    User,
    Password,
    Param,
    HeaderNameOrValue,
}

impl Component {
    #[inline]
    pub(crate) fn allows(self, b: u8) -> bool {
        let t = TABLE[b as usize];
        match self {
            Component::User => t & (UNRESERVED | USER_UNRESERVED) != 0,
            Component::Password => t & (UNRESERVED | PASSWORD) != 0,
            Component::Param => t & (UNRESERVED | PARAM_UNRESERVED) != 0,
            Component::HeaderNameOrValue => t & (UNRESERVED | HNV_UNRESERVED) != 0,
        }
    }
}

/// True when `s` consists of characters allowed in `comp` and well-formed
/// `%HH` escapes. Empty strings are accepted (callers check emptiness).
pub(crate) fn is_escaped_component(s: &str, comp: Component) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            match (b.get(i + 1), b.get(i + 2)) {
                (Some(h), Some(l)) if h.is_ascii_hexdigit() && l.is_ascii_hexdigit() => i += 3,
                _ => return false,
            }
        } else if comp.allows(b[i]) {
            i += 1;
        } else {
            return false;
        }
    }
    true
}

/// Decodes `%HH` escapes. Bytes that do not form an escape are kept as they
/// are (RFC 4475 §3.1.1.5: `%` that is not an escape in a token).
pub(crate) fn unescape(s: &str) -> std::borrow::Cow<'_, [u8]> {
    let b = s.as_bytes();
    if !b.contains(&b'%') {
        return std::borrow::Cow::Borrowed(b);
    }
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            if let (Some(h), Some(l)) = (b.get(i + 1), b.get(i + 2)) {
                if let (Some(h), Some(l)) = (hex_val(*h), hex_val(*l)) {
                    out.push(h << 4 | l);
                    i += 3;
                    continue;
                }
            }
        }
        out.push(b[i]);
        i += 1;
    }
    std::borrow::Cow::Owned(out)
}

#[inline]
fn hex_val(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// `s.find(c)` for an ASCII `c`: the `memchr` crate's search, cheaper than
/// the standard library's on the short strings of a URI.
#[inline]
pub(crate) fn find_byte(s: &str, c: u8) -> Option<usize> {
    memchr::memchr(c, s.as_bytes())
}

/// `s.split(c)` for an ASCII `c`, by [`find_byte`].
#[inline]
pub(crate) fn split_byte(s: &str, c: u8) -> impl Iterator<Item = &str> {
    let mut rest = Some(s);
    std::iter::from_fn(move || {
        let r = rest?;
        match find_byte(r, c) {
            Some(i) => {
                rest = Some(&r[i + 1..]);
                Some(&r[..i])
            }
            None => {
                rest = None;
                Some(r)
            }
        }
    })
}

/// Trims SP and HTAB (the only whitespace left once header folding is undone).
#[inline]
pub(crate) fn trim_ws(s: &str) -> &str {
    &s[trim_ws_range(s.as_bytes(), 0..s.len())]
}

/// The range of `b[range]` that [`trim_ws`] keeps, as indices into `b`.
/// Byte-wise: SP and HTAB are ASCII, so both ends stay on char boundaries.
#[inline]
pub(crate) fn trim_ws_range(b: &[u8], range: std::ops::Range<usize>) -> std::ops::Range<usize> {
    let is_ws = |c: &u8| *c == b' ' || *c == b'\t';
    let s = &b[range.clone()];
    let start = s.iter().position(|c| !is_ws(c)).unwrap_or(s.len());
    let end = s.iter().rposition(|c| !is_ws(c)).map_or(start, |i| i + 1);
    range.start + start..range.start + end
}

/// True when `s` starts with SP or HTAB (a folded continuation line).
#[inline]
pub(crate) fn starts_with_ws(s: &str) -> bool {
    matches!(s.as_bytes().first(), Some(b' ' | b'\t'))
}

/// Splits a header value on commas that are outside quoted strings and
/// outside `<...>`. Returns the trimmed elements; an empty element is kept
/// (as `""`) so that callers can reject `a,,b`.
pub(crate) fn split_commas(value: &str) -> CommaSplit<'_> {
    CommaSplit { rest: Some(value) }
}

/// Iterator of [`split_commas`].
pub(crate) struct CommaSplit<'a> {
    rest: Option<&'a str>,
}

impl<'a> Iterator for CommaSplit<'a> {
    type Item = &'a str;
    fn next(&mut self) -> Option<&'a str> {
        let s = self.rest?;
        let b = s.as_bytes();
        let mut in_quote = false;
        let mut in_angle = false;
        let mut i = 0;
        while i < b.len() {
            match b[i] {
                b'\\' if in_quote => i += 1,
                b'"' if !in_angle => in_quote = !in_quote,
                b'<' if !in_quote => in_angle = true,
                b'>' if !in_quote => in_angle = false,
                b',' if !in_quote && !in_angle => {
                    self.rest = Some(&s[i + 1..]);
                    return Some(trim_ws(&s[..i]));
                }
                _ => {}
            }
            i += 1;
        }
        self.rest = None;
        Some(trim_ws(s))
    }
}

/// Splits `s` at the first `sep` that is outside a quoted string, trimming both halves.
pub(crate) fn split_once_unquoted(s: &str, sep: u8) -> Option<(&str, &str)> {
    let b = s.as_bytes();
    let mut in_quote = false;
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'\\' if in_quote => i += 1,
            b'"' => in_quote = !in_quote,
            c if c == sep && !in_quote => return Some((trim_ws(&s[..i]), trim_ws(&s[i + 1..]))),
            _ => {}
        }
        i += 1;
    }
    None
}

/// If `s` starts with a quoted string, returns `(inner_raw, rest)` where
/// `inner_raw` still holds the quoted-pairs. `None` when unterminated or when
/// it holds characters a quoted string may not (CR, LF).
pub(crate) fn take_quoted(s: &str) -> Option<(&str, &str)> {
    let b = s.as_bytes();
    if b.first() != Some(&b'"') {
        return None;
    }
    let mut i = 1;
    while i < b.len() {
        match b[i] {
            b'\\' => {
                // quoted-pair = "\" (%x00-09 / %x0B-0C / %x0E-7F)
                match b.get(i + 1) {
                    Some(&c) if c <= 0x7f && c != b'\r' && c != b'\n' => i += 2,
                    _ => return None,
                }
            }
            b'"' => return Some((&s[1..i], &s[i + 1..])),
            b'\r' | b'\n' => return None,
            // qdtext excludes other controls except HTAB; UTF-8 is allowed.
            c if c < 0x20 && c != b'\t' => return None,
            0x7f => return None,
            _ => i += 1,
        }
    }
    None
}

/// Removes quoted-pair backslashes from the inside of a quoted string.
pub(crate) fn unquote(inner: &str) -> std::borrow::Cow<'_, str> {
    if !inner.contains('\\') {
        return std::borrow::Cow::Borrowed(inner);
    }
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            if let Some(n) = chars.next() {
                out.push(n);
            }
        } else {
            out.push(c);
        }
    }
    std::borrow::Cow::Owned(out)
}

/// Writes `s` as a quoted string, escaping `"`, `\` and the control
/// characters qdtext may not hold (as quoted-pairs; CR and LF cannot be
/// quoted and are left for the header's CR/LF check to refuse).
pub(crate) fn write_quoted(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        if c == '"' || c == '\\' || (c.is_ascii_control() && !matches!(c, '\t' | '\r' | '\n')) {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
}

/// Parses an unsigned decimal of at most `max` (no sign, no empty string).
pub(crate) fn parse_decimal(s: &str, max: u64) -> Option<u64> {
    if s.is_empty() || s.len() > 20 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let mut v: u64 = 0;
    for b in s.bytes() {
        v = v.checked_mul(10)?.checked_add(u64::from(b - b'0'))?;
    }
    (v <= max).then_some(v)
}

/// ASCII case-insensitive equality.
#[inline]
pub(crate) fn eq_ic(a: &str, b: &str) -> bool {
    a.eq_ignore_ascii_case(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comma_split_respects_quotes_and_angles() {
        let v: Vec<_> = split_commas(r#""a,b" <sip:x,y@h>;p=1 , <sip:z@h>"#).collect();
        assert_eq!(v, vec![r#""a,b" <sip:x,y@h>;p=1"#, "<sip:z@h>"]);
        let v: Vec<_> = split_commas("a,,b").collect();
        assert_eq!(v, vec!["a", "", "b"]);
    }

    #[test]
    fn quoted_strings() {
        assert_eq!(
            take_quoted(r#""J \"x\"" <sip:a>"#),
            Some((r#"J \"x\""#, " <sip:a>"))
        );
        assert_eq!(take_quoted(r#""unterminated <sip:a>"#), None);
        assert_eq!(unquote(r#"J \"x\""#), r#"J "x""#);
    }

    #[test]
    fn decimals() {
        assert_eq!(parse_decimal("0068", 255), Some(68));
        assert_eq!(parse_decimal("300", 255), None);
        assert_eq!(parse_decimal("-1", 255), None);
        assert_eq!(parse_decimal("36893488147419103232", u64::MAX), None);
    }

    #[test]
    fn escapes() {
        assert!(is_escaped_component(
            "sips%3Auser%40example.com",
            Component::User
        ));
        assert!(!is_escaped_component("bad%zz", Component::User));
        assert_eq!(&*unescape("%75se%72"), b"user");
        assert_eq!(&*unescape("%Z%45"), b"%ZE");
    }
}
