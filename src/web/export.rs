//! `GET /admin/hits.csv?<hits browser filters>`: the filtered hits as CSV, streamed in batches
//! so a million rows never sit in memory. Admins only.
use super::auth::AuthSession;
use super::HypeState;
use crate::services::browse::{self, Cursor, HitFilter, HitRow};
use axum::body::{Body, Bytes};
use axum::extract::{RawQuery, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};

const BATCH: u64 = 1000;

pub async fn export_hits(
    State(state): State<HypeState>,
    auth: AuthSession,
    RawQuery(query): RawQuery,
) -> Response {
    match &auth.user {
        None => return (StatusCode::UNAUTHORIZED, "Please log in first.").into_response(),
        Some(user) if !user.is_admin => {
            return (StatusCode::FORBIDDEN, "You are not allowed to do that.").into_response()
        }
        Some(_) => {}
    }
    let pairs: Vec<(String, String)> =
        url::form_urlencoded::parse(query.unwrap_or_default().as_bytes())
            .into_owned()
            .collect();
    let (filter, _) = match browse::parse_query(|key| {
        pairs.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone())
    }) {
        Ok(parsed) => parsed,
        Err(error) => return (StatusCode::BAD_REQUEST, error.to_string()).into_response(),
    };
    let header_row = Bytes::from_static(
        b"id,created_at,link,referrer,hit_user,authenticated,visitor_id,ip,user_agent,referer,next,confirmed\r\n",
    );
    let body =
        futures_util::stream::unfold(Some((state, filter, None::<Cursor>, true)), move |step| {
            let header_row = header_row.clone();
            async move {
                let (state, filter, cursor, first) = step?;
                if first {
                    return Some((Ok(header_row), Some((state, filter, cursor, false))));
                }
                match batch(&state, &filter, cursor).await {
                    Ok((bytes, Some(next))) => {
                        Some((Ok(bytes), Some((state, filter, Some(next), false))))
                    }
                    Ok((bytes, None)) if !bytes.is_empty() => Some((Ok(bytes), None)),
                    Ok((_, None)) => None,
                    Err(error) => {
                        tracing::error!(%error, "hits export failed part-way");
                        // An error ends the body abruptly: the client sees a failed download,
                        // not a file that looks complete.
                        Some((Err(std::io::Error::other(error.to_string())), None))
                    }
                }
            }
        });
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"hits.csv\"",
            ),
            (header::CACHE_CONTROL, "no-store"),
        ],
        Body::from_stream(body),
    )
        .into_response()
}

async fn batch(
    state: &HypeState,
    filter: &HitFilter,
    cursor: Option<Cursor>,
) -> crate::Result<(Bytes, Option<Cursor>)> {
    let (rows, next) = browse::hits_batch(&state.db, filter, cursor, BATCH).await?;
    let mut out = String::with_capacity(rows.len() * 200);
    for row in &rows {
        write_row(&mut out, row);
    }
    Ok((Bytes::from(out), next))
}

fn write_row(out: &mut String, row: &HitRow) {
    let fields = [
        row.id.to_string(),
        row.created_at.to_rfc3339(),
        row.identifier.clone(),
        row.referrer.clone().unwrap_or_default(),
        row.hit_user.clone().unwrap_or_default(),
        row.authenticated.to_string(),
        row.visitor_id.map(|v| v.to_string()).unwrap_or_default(),
        row.ip.clone().unwrap_or_default(),
        row.user_agent.clone(),
        row.http_referer.clone(),
        row.next.clone(),
        row.confirmed.map(|c| c.to_rfc3339()).unwrap_or_default(),
    ];
    for (i, field) in fields.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(&csv_field(field));
    }
    out.push_str("\r\n");
}

/// Quotes a field when needed, and defuses values a spreadsheet would run as a formula.
fn csv_field(value: &str) -> String {
    let value = if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{value}")
    } else {
        value.to_owned()
    };
    if value.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value
    }
}

#[cfg(test)]
mod tests {
    use super::csv_field;

    #[test]
    fn fields_are_quoted_and_formulas_defused() {
        assert_eq!(csv_field("plain"), "plain");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_field("=HYPERLINK(1)"), "'=HYPERLINK(1)");
    }
}
