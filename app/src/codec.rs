//! How server functions' results cross the wire: JSON, as with Leptos' default, but read
//! back from text. A resource's value, carried in the page for hydration, is read from
//! text too; with both on the same reader the browser's wasm holds one JSON decoder per
//! type instead of two (Leptos' default reads results from bytes).
use leptos::server_fn::codec::{JsonEncoding, Post};
use leptos::server_fn::{Bytes, ContentType, Decodes, Encodes, Format, FormatType};
use serde::de::{DeserializeOwned, Error as _};
use serde::Serialize;

/// JSON text, read with `serde_json::from_str`.
pub struct JsonText;

/// `output = Json` for `#[server]`: a `POST` whose response is [`JsonText`].
pub type Json = Post<JsonText>;

impl ContentType for JsonText {
    const CONTENT_TYPE: &'static str = "application/json";
}

impl FormatType for JsonText {
    const FORMAT_TYPE: Format = Format::Text;
}

/// Written as Leptos' own JSON encoding writes it.
impl<T: Serialize> Encodes<T> for JsonText {
    type Error = serde_json::Error;

    fn encode(output: &T) -> Result<Bytes, Self::Error> {
        <JsonEncoding as Encodes<T>>::encode(output)
    }
}

impl<T: DeserializeOwned> Decodes<T> for JsonText {
    type Error = serde_json::Error;

    fn decode(bytes: Bytes) -> Result<T, Self::Error> {
        let text = std::str::from_utf8(&bytes).map_err(serde_json::Error::custom)?;
        serde_json::from_str(text)
    }
}

#[cfg(test)]
mod tests {
    /// A server function left on Leptos' default output would quietly bring a second JSON
    /// decoder for its result type back into every page that calls it.
    #[test]
    fn every_server_function_sends_its_result_as_json_text() {
        let dir = std::path::PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/src/api"));
        let mut seen = 0;
        let mut dirs = vec![dir.clone()];
        while let Some(next) = dirs.pop() {
            for entry in std::fs::read_dir(&next).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    dirs.push(path);
                    continue;
                }
                let source = std::fs::read_to_string(&path).unwrap();
                for attribute in source.split("\n#[server(").skip(1) {
                    let args = &attribute[..attribute.find(")]").unwrap()];
                    assert!(
                        args.contains("output = crate::codec::Json"),
                        "{}: #[server({args})] needs `output = crate::codec::Json`",
                        path.display()
                    );
                    seen += 1;
                }
            }
        }
        assert!(
            seen >= 22,
            "found only {seen} server functions under {}",
            dir.display()
        );
    }
}
