//! The API's OpenAPI 3.1 document, generated from the handlers' `#[utoipa::path]` attributes
//! and their types (`/api/v1/openapi.json`), and `/api/docs`, a reference page rendered from
//! that same document on the server: no script, nothing loaded from elsewhere.
use super::{conversions, referrals, users};
use axum::http::header;
use axum::response::{Html, IntoResponse, Response};
use serde_json::Value;
use std::fmt::Write;
use std::sync::OnceLock;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::OpenApi;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "hype API",
        description = "Report conversions, read and decide referrals, and give the product's \
                       users referral links. Authenticate with an API key created at \
                       /admin/api-keys: `Authorization: Bearer hype_…`. Errors are \
                       `application/problem+json` (RFC 9457). Lists are keyset pages: pass a \
                       page's `next_cursor` as `cursor`."
    ),
    paths(
        conversions::create,
        referrals::list,
        referrals::show,
        referrals::confirm,
        referrals::reject,
        referrals::unconfirm,
        users::upsert,
        users::create_link,
        users::balance,
        users::link,
    ),
    modifiers(&BearerAuth),
    tags(
        (name = "conversions", description = "What customers did in the product"),
        (name = "referrals", description = "Who referred whom, and the decisions on it"),
        (name = "users", description = "Referrers the product knows by its own id"),
        (name = "links", description = "Referral links and their counts"),
    )
)]
struct ApiDoc;

struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearerAuth",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("hype_…")
                    .build(),
            ),
        );
    }
}

/// The document as JSON, built once.
pub fn json() -> &'static str {
    static DOCUMENT: OnceLock<String> = OnceLock::new();
    DOCUMENT.get_or_init(|| ApiDoc::openapi().to_json().unwrap_or_default())
}

/// `GET /api/v1/openapi.json` (no key needed).
pub(super) async fn document() -> Response {
    ([(header::CONTENT_TYPE, "application/json")], json()).into_response()
}

/// `GET /api/docs`: the reference, rendered from the document.
pub(super) async fn page() -> Html<&'static str> {
    static PAGE: OnceLock<String> = OnceLock::new();
    Html(PAGE.get_or_init(|| {
        let document: Value = serde_json::from_str(json()).unwrap_or_default();
        render(&document)
    }))
}

fn esc(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// `text` with `code` spans for backquoted words.
fn prose(text: &str) -> String {
    esc(text)
        .split('`')
        .enumerate()
        .map(|(i, part)| {
            if i % 2 == 1 {
                format!("<code>{part}</code>")
            } else {
                part.to_owned()
            }
        })
        .collect()
}

/// A schema as a short type: `string`, `integer | null`, `Referral[]`, a link to a component.
fn type_of(schema: &Value) -> String {
    if let Some(reference) = schema.get("$ref").and_then(Value::as_str) {
        let name = reference.rsplit('/').next().unwrap_or(reference);
        return format!("<a href=\"#schema-{name}\">{name}</a>");
    }
    if let Some(options) = schema
        .get("oneOf")
        .or_else(|| schema.get("anyOf"))
        .and_then(Value::as_array)
    {
        return options.iter().map(type_of).collect::<Vec<_>>().join(" | ");
    }
    let base = match schema.get("type") {
        Some(Value::String(t)) => t.clone(),
        Some(Value::Array(types)) => types
            .iter()
            .filter_map(Value::as_str)
            .collect::<Vec<_>>()
            .join(" | "),
        _ => "any".into(),
    };
    let base = match (base.as_str(), schema.get("items")) {
        (t, Some(items)) if t.starts_with("array") => {
            format!(
                "{}[]{}",
                type_of(items),
                t.strip_prefix("array").unwrap_or("")
            )
        }
        _ => base,
    };
    match schema.get("format").and_then(Value::as_str) {
        Some(format) => format!("{base} ({format})"),
        None => base,
    }
}

fn render(doc: &Value) -> String {
    let mut out = String::new();
    let info = &doc["info"];
    let title = info["title"].as_str().unwrap_or("API");
    let _ = write!(
        out,
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title} reference</title><link rel=\"stylesheet\" href=\"/pkg/hype.css\">\
         <style>{STYLE}</style></head><body><main class=\"api-docs\">\
         <p><a href=\"/\">hype</a> · <a href=\"/admin/api-keys\">API keys</a></p>\
         <h1>{title}</h1><p>{}</p><p>The machine-readable document: \
         <a href=\"/api/v1/openapi.json\">/api/v1/openapi.json</a> (OpenAPI {}).</p><nav><ul>",
        prose(info["description"].as_str().unwrap_or("")),
        esc(doc["openapi"].as_str().unwrap_or("3.1")),
    );
    let empty = serde_json::Map::new();
    let paths = doc["paths"].as_object().unwrap_or(&empty);
    let mut operations = Vec::new();
    for (path, item) in paths {
        for (method, operation) in item.as_object().unwrap_or(&empty) {
            operations.push((path.as_str(), method.as_str(), operation));
        }
    }
    for (path, method, operation) in &operations {
        let _ = write!(
            out,
            "<li><a href=\"#{}\"><code>{} {}</code></a> {}</li>",
            anchor(method, path),
            method.to_uppercase(),
            esc(path),
            esc(operation["summary"].as_str().unwrap_or(""))
        );
    }
    out.push_str("</ul></nav>");
    for (path, method, operation) in &operations {
        render_operation(&mut out, path, method, operation);
    }
    out.push_str("<h2>Schemas</h2>");
    let schemas = doc["components"]["schemas"].as_object().unwrap_or(&empty);
    for (name, schema) in schemas {
        let _ = write!(
            out,
            "<section class=\"card\" id=\"schema-{name}\"><h3>{name}</h3>"
        );
        if let Some(description) = schema["description"].as_str() {
            let _ = write!(out, "<p>{}</p>", prose(description));
        }
        let required: Vec<&str> = schema["required"]
            .as_array()
            .map(|r| r.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        if let Some(properties) = schema["properties"].as_object() {
            out.push_str(
                "<div class=\"table-scroll\"><table><thead><tr><th>Field</th><th>Type</th>\
                 <th>Required</th><th>Meaning</th></tr></thead><tbody>",
            );
            for (field, property) in properties {
                let _ = write!(
                    out,
                    "<tr><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td></tr>",
                    esc(field),
                    type_of(property),
                    if required.contains(&field.as_str()) {
                        "yes"
                    } else {
                        "no"
                    },
                    prose(property["description"].as_str().unwrap_or(""))
                );
            }
            out.push_str("</tbody></table></div>");
        }
        out.push_str("</section>");
    }
    out.push_str("</main></body></html>");
    out
}

fn anchor(method: &str, path: &str) -> String {
    let slug: String = path
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    format!("{method}{slug}")
}

fn render_operation(out: &mut String, path: &str, method: &str, operation: &Value) {
    let _ = write!(
        out,
        "<section class=\"card\" id=\"{}\"><h2><code>{} {}</code></h2><p><strong>{}</strong></p>",
        anchor(method, path),
        method.to_uppercase(),
        esc(path),
        esc(operation["summary"].as_str().unwrap_or(""))
    );
    if let Some(description) = operation["description"].as_str() {
        let _ = write!(out, "<p>{}</p>", prose(description));
    }
    if let Some(parameters) = operation["parameters"].as_array() {
        out.push_str(
            "<h4>Parameters</h4><div class=\"table-scroll\"><table><thead><tr><th>Name</th>\
             <th>In</th><th>Type</th><th>Required</th><th>Meaning</th></tr></thead><tbody>",
        );
        for parameter in parameters {
            let _ = write!(
                out,
                "<tr><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(parameter["name"].as_str().unwrap_or("")),
                esc(parameter["in"].as_str().unwrap_or("")),
                type_of(&parameter["schema"]),
                if parameter["required"].as_bool() == Some(true) {
                    "yes"
                } else {
                    "no"
                },
                prose(parameter["description"].as_str().unwrap_or(""))
            );
        }
        out.push_str("</tbody></table></div>");
    }
    if let Some(body) = operation.get("requestBody") {
        let schema = &body["content"]["application/json"]["schema"];
        let _ = write!(
            out,
            "<h4>Body</h4><p>{} {}</p>",
            type_of(schema),
            prose(body["description"].as_str().unwrap_or(""))
        );
    }
    out.push_str("<h4>Responses</h4><ul>");
    if let Some(responses) = operation["responses"].as_object() {
        for (status, response) in responses {
            let content = response["content"].as_object();
            let schema = content
                .and_then(|c| c.values().next())
                .map(|media| type_of(&media["schema"]))
                .unwrap_or_default();
            let _ = write!(
                out,
                "<li><code>{status}</code> {} {schema}</li>",
                prose(response["description"].as_str().unwrap_or(""))
            );
        }
    }
    out.push_str("</ul></section>");
}

const STYLE: &str = "\
.api-docs{box-sizing:border-box;width:100%;min-width:0;max-width:60rem;margin:0 auto;padding:1rem}\
.api-docs nav ul{list-style:none;padding:0}\
.api-docs nav li{margin:.25rem 0}\
.api-docs .card{margin:1rem 0}\
.api-docs code{overflow-wrap:anywhere}\
.api-docs .table-scroll{overflow-x:auto}\
.api-docs table{border-collapse:collapse;width:100%}\
.api-docs th,.api-docs td{text-align:left;padding:.3rem .5rem;border-bottom:1px solid #ddd;vertical-align:top}";
