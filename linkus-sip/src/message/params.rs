//! `;name=value` parameter lists of URIs and header fields.

use std::fmt;

use super::text;

/// One parameter; the value is kept as written (escaped, or quoted with its quotes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Param {
    /// Name as written (compare case-insensitively).
    pub name: String,
    /// Value as written, `None` for a flag parameter such as `lr`.
    pub value: Option<String>,
}

/// An ordered list of parameters with case-insensitive lookup.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Params(Vec<Param>);

impl Params {
    /// Appends a parameter.
    pub fn push(&mut self, name: &str, value: Option<&str>) {
        self.0.push(Param {
            name: name.to_owned(),
            value: value.map(str::to_owned),
        });
    }

    /// Sets a parameter, replacing an existing one of the same name.
    pub fn set(&mut self, name: &str, value: Option<&str>) {
        match self.0.iter_mut().find(|p| text::eq_ic(&p.name, name)) {
            Some(p) => p.value = value.map(str::to_owned),
            None => self.push(name, value),
        }
    }

    /// Removes every parameter of that name; returns whether one was there.
    pub fn remove(&mut self, name: &str) -> bool {
        let before = self.0.len();
        self.0.retain(|p| !text::eq_ic(&p.name, name));
        before != self.0.len()
    }

    /// `None` when absent, `Some(None)` for a flag, `Some(Some(v))` otherwise.
    pub fn get(&self, name: &str) -> Option<Option<&str>> {
        self.0
            .iter()
            .find(|p| text::eq_ic(&p.name, name))
            .map(|p| p.value.as_deref())
    }

    /// The value with surrounding quotes and quoted-pairs removed.
    pub fn get_unquoted(&self, name: &str) -> Option<std::borrow::Cow<'_, str>> {
        let v = self.get(name)??;
        Some(match text::take_quoted(v) {
            Some((inner, "")) => text::unquote(inner),
            _ => std::borrow::Cow::Borrowed(v),
        })
    }

    /// True when a parameter of that name is present.
    pub fn contains(&self, name: &str) -> bool {
        self.0.iter().any(|p| text::eq_ic(&p.name, name))
    }

    /// All parameters in order.
    pub fn iter(&self) -> std::slice::Iter<'_, Param> {
        self.0.iter()
    }

    /// Number of parameters.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// True when there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl<'a> IntoIterator for &'a Params {
    type Item = &'a Param;
    type IntoIter = std::slice::Iter<'a, Param>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

impl fmt::Display for Params {
    /// Writes `;name=value` for each parameter.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for p in &self.0 {
            f.write_str(";")?;
            f.write_str(&p.name)?;
            if let Some(v) = &p.value {
                f.write_str("=")?;
                f.write_str(v)?;
            }
        }
        Ok(())
    }
}

/// Parses header parameters `*( SEMI generic-param )` from `s`, which must
/// be empty or start with `;`. `generic-param = token [ EQUAL gen-value ]`,
/// `gen-value = token / host / quoted-string`; LWS is allowed around `;` and
/// `=`. Returns `None` on any syntax error (empty parameter, bad value,
/// unterminated quote, trailing garbage).
pub(crate) fn parse_header_params(s: &str) -> Option<Params> {
    let mut params = Params::default();
    let mut rest = text::trim_ws(s);
    while !rest.is_empty() {
        rest = text::trim_ws(rest.strip_prefix(';')?);
        let name_end = rest
            .bytes()
            .position(|b| !text::is_token_byte(b))
            .unwrap_or(rest.len());
        let name = &rest[..name_end];
        if name.is_empty() {
            return None;
        }
        rest = text::trim_ws(&rest[name_end..]);
        let mut value = None;
        if let Some(after_eq) = rest.strip_prefix('=') {
            let v = text::trim_ws(after_eq);
            if v.starts_with('"') {
                let (inner, after) = text::take_quoted(v)?;
                let quoted_len = inner.len() + 2;
                value = Some(&v[..quoted_len]);
                rest = text::trim_ws(after);
            } else {
                let end = v
                    .bytes()
                    .position(|b| !(text::is_token_byte(b) || b == b':' || b == b'[' || b == b']'))
                    .unwrap_or(v.len());
                if end == 0 {
                    return None;
                }
                value = Some(&v[..end]);
                rest = text::trim_ws(&v[end..]);
            }
        }
        if !(rest.is_empty() || rest.starts_with(';')) {
            return None;
        }
        params.push(name, value);
    }
    Some(params)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_params_with_lws() {
        let p = parse_header_params(" ;   tag    = 1918181833n").unwrap();
        assert_eq!(p.get("TAG"), Some(Some("1918181833n")));
        let p = parse_header_params(r#";text="a \"b\"";cause=16;lr"#).unwrap();
        assert_eq!(p.get_unquoted("text").unwrap(), r#"a "b""#);
        assert_eq!(p.get("lr"), Some(None));
        assert_eq!(p.to_string(), r#";text="a \"b\"";cause=16;lr"#);
    }

    #[test]
    fn rejects_empty_and_garbage() {
        assert!(parse_header_params(";;;;").is_none());
        assert!(parse_header_params(";a=").is_none());
        assert!(parse_header_params(";a b").is_none());
        assert!(parse_header_params(r#";a="open"#).is_none());
        assert!(parse_header_params("x").is_none());
    }
}
