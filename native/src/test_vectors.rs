//! Helpers shared by the crypto modules' known-answer tests.

/// Bytes from hex text; whitespace is ignored so long vectors can wrap.
pub fn hex(s: &str) -> Vec<u8> {
    let s: String = s.split_whitespace().collect();
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}
