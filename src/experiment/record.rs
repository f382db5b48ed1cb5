//! A lossless text encoding of what a run was reduced to, so a sharded
//! search can hand a round's results from one process to another and every
//! process continues with the very numbers the owner measured.
//!
//! A record is a line of tokens separated by single spaces: whole numbers in
//! decimal, `f64`s as their IEEE bit pattern in 16 hex digits (so NaN, -0
//! and the last bit survive), strings as `s` followed by the hex of their
//! UTF-8 bytes (so no byte of a name can break the line). The tokens carry
//! no types or names: a [`Record`]'s `decode` reads them back in the order
//! its `encode` wrote them, and every read names the field it expected, so
//! a corrupt record is a located [`DecodeError`], never a panic.

/// A value a round can exchange.
pub trait Record: Sized {
    fn encode(&self, e: &mut Encoder);
    fn decode(d: &mut Decoder<'_>) -> Result<Self, DecodeError>;
}

/// Collects a record's tokens.
#[derive(Default)]
pub struct Encoder {
    line: String,
}

impl Encoder {
    fn token(&mut self, t: &str) {
        if !self.line.is_empty() {
            self.line.push(' ');
        }
        self.line.push_str(t);
    }

    pub fn u64(&mut self, x: u64) {
        self.token(&x.to_string());
    }

    pub fn u32(&mut self, x: u32) {
        self.u64(u64::from(x));
    }

    pub fn len(&mut self, n: usize) {
        self.u64(n as u64);
    }

    pub fn bool(&mut self, b: bool) {
        self.u64(u64::from(b));
    }

    pub fn f64(&mut self, x: f64) {
        self.token(&format!("{:016x}", x.to_bits()));
    }

    pub fn str(&mut self, s: &str) {
        let mut t = String::with_capacity(1 + 2 * s.len());
        t.push('s');
        for b in s.bytes() {
            t.push_str(&format!("{b:02x}"));
        }
        self.token(&t);
    }

    /// The encoded line.
    pub fn finish(self) -> String {
        self.line
    }
}

/// The encoded line of `r`.
pub fn encode<T: Record>(r: &T) -> String {
    let mut e = Encoder::default();
    r.encode(&mut e);
    e.finish()
}

/// Decodes a whole line into a `T`; tokens left over are an error.
pub fn decode<T: Record>(line: &str) -> Result<T, DecodeError> {
    let mut d = Decoder {
        tokens: line.split(' ').filter(|t| !t.is_empty()).collect(),
        next: 0,
    };
    let r = T::decode(&mut d)?;
    if d.next < d.tokens.len() {
        return Err(DecodeError {
            token: d.next + 1,
            field: "end of the record".to_string(),
            expected: "no more tokens",
            found: d.tokens[d.next].chars().take(40).collect(),
        });
    }
    Ok(r)
}

/// Reads a record's tokens back in order.
pub struct Decoder<'a> {
    tokens: Vec<&'a str>,
    next: usize,
}

/// A record that does not decode: which token (from 1), the field it was
/// to hold, what was expected and what was found.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("token {token} (field `{field}`): expected {expected}, found {found:?}")]
pub struct DecodeError {
    pub token: usize,
    pub field: String,
    pub expected: &'static str,
    pub found: String,
}

impl<'a> Decoder<'a> {
    fn take(&mut self, field: &str, expected: &'static str) -> Result<&'a str, DecodeError> {
        let t = self.tokens.get(self.next).copied().ok_or(DecodeError {
            token: self.next + 1,
            field: field.to_string(),
            expected,
            found: "the end of the record".to_string(),
        })?;
        self.next += 1;
        Ok(t)
    }

    fn error(&self, field: &str, expected: &'static str, found: &str) -> DecodeError {
        DecodeError {
            token: self.next,
            field: field.to_string(),
            expected,
            found: found.chars().take(40).collect(),
        }
    }

    pub fn u64(&mut self, field: &str) -> Result<u64, DecodeError> {
        const WHAT: &str = "a whole number";
        let t = self.take(field, WHAT)?;
        // `parse` takes a leading `+`; the encoder never writes one.
        if t.starts_with('+') {
            return Err(self.error(field, WHAT, t));
        }
        t.parse().map_err(|_| self.error(field, WHAT, t))
    }

    pub fn u32(&mut self, field: &str) -> Result<u32, DecodeError> {
        const WHAT: &str = "a whole number below 2^32";
        let x = self.u64(field)?;
        u32::try_from(x).map_err(|_| self.error(field, WHAT, &x.to_string()))
    }

    pub fn bool(&mut self, field: &str) -> Result<bool, DecodeError> {
        match self.u64(field)? {
            0 => Ok(false),
            1 => Ok(true),
            x => Err(self.error(field, "0 or 1", &x.to_string())),
        }
    }

    /// A count of items that follow, each at least `tokens_each` tokens
    /// long: bounded by the tokens left, so a corrupt count cannot ask for
    /// a huge allocation.
    pub fn len(&mut self, field: &str, tokens_each: usize) -> Result<usize, DecodeError> {
        const WHAT: &str = "a count no larger than the tokens that follow";
        let n = self.u64(field)?;
        let left = (self.tokens.len() - self.next) as u64;
        if n.saturating_mul(tokens_each.max(1) as u64) > left {
            return Err(self.error(field, WHAT, &n.to_string()));
        }
        Ok(n as usize)
    }

    pub fn f64(&mut self, field: &str) -> Result<f64, DecodeError> {
        const WHAT: &str = "an f64 bit pattern of 16 hex digits";
        let t = self.take(field, WHAT)?;
        if t.len() != 16 || !t.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(self.error(field, WHAT, t));
        }
        u64::from_str_radix(t, 16)
            .map(f64::from_bits)
            .map_err(|_| self.error(field, WHAT, t))
    }

    pub fn str(&mut self, field: &str) -> Result<String, DecodeError> {
        const WHAT: &str = "`s` and the hex of UTF-8 bytes";
        let t = self.take(field, WHAT)?;
        let hex = t
            .strip_prefix('s')
            .filter(|h| h.len() % 2 == 0 && h.bytes().all(|b| b.is_ascii_hexdigit()))
            .ok_or_else(|| self.error(field, WHAT, t))?;
        let bytes: Vec<u8> = (0..hex.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).expect("checked hex digits"))
            .collect();
        String::from_utf8(bytes).map_err(|_| self.error(field, WHAT, t))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, PartialEq)]
    struct Sample {
        n: u64,
        x: f64,
        name: String,
        list: Vec<u32>,
    }

    impl Record for Sample {
        fn encode(&self, e: &mut Encoder) {
            e.u64(self.n);
            e.f64(self.x);
            e.str(&self.name);
            e.len(self.list.len());
            for &v in &self.list {
                e.u32(v);
            }
        }
        fn decode(d: &mut Decoder<'_>) -> Result<Self, DecodeError> {
            let n = d.u64("n")?;
            let x = d.f64("x")?;
            let name = d.str("name")?;
            let len = d.len("list", 1)?;
            let list = (0..len)
                .map(|_| d.u32("list item"))
                .collect::<Result<_, _>>()?;
            Ok(Sample { n, x, name, list })
        }
    }

    #[test]
    fn records_round_trip_to_the_bit() {
        for x in [0.1 + 0.2, -0.0, f64::INFINITY, f64::MIN_POSITIVE / 3.0] {
            let s = Sample {
                n: u64::MAX,
                x,
                name: "key, \"a\" b\n".to_string(),
                list: vec![0, 7, u32::MAX],
            };
            let back: Sample = decode(&encode(&s)).unwrap();
            assert_eq!(back, s);
            assert_eq!(back.x.to_bits(), x.to_bits());
        }
        let nan = f64::from_bits(0x7ff8_0000_0000_0001);
        let mut e = Encoder::default();
        e.f64(nan);
        let line = e.finish();
        let mut d = Decoder {
            tokens: vec![&line],
            next: 0,
        };
        assert_eq!(d.f64("x").unwrap().to_bits(), nan.to_bits());
    }

    #[test]
    fn corrupt_records_are_located_errors() {
        let good = encode(&Sample {
            n: 1,
            x: 2.0,
            name: "k".to_string(),
            list: vec![3],
        });
        let cases = [
            ("", 1, "n"),
            ("x", 1, "n"),
            ("+1 4000000000000000 s6b 1 3", 1, "n"),
            ("1 40000000 s6b 1 3", 2, "x"),
            ("1 4000000000000000 6b 1 3", 3, "name"),
            ("1 4000000000000000 sff 1 3", 3, "name"),
            ("1 4000000000000000 s6b 99999999999 3", 4, "list"),
            ("1 4000000000000000 s6b 1 4294967296", 5, "list item"),
            ("1 4000000000000000 s6b 1", 4, "list"),
        ];
        for (line, token, field) in cases {
            let e = decode::<Sample>(line).unwrap_err();
            assert_eq!((e.token, e.field.as_str()), (token, field), "{line:?}: {e}");
        }
        let e = decode::<Sample>(&format!("{good} 9")).unwrap_err();
        assert_eq!(e.token, 6, "{e}");
    }
}
