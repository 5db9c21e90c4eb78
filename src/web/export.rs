//! `GET /admin/hits.csv?<hits browser filters>`: the filtered hits as CSV, streamed in batches
//! so a million rows never sit in memory. Admins only.
use super::auth::AuthSession;
use super::HypeState;
use crate::services::hit_browser::{self, Cursor, HitFilter, HitRow};
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
    let (filter, _) = match hit_browser::parse_query(|key| {
        pairs.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone())
    }) {
        Ok(parsed) => parsed,
        Err(error) => return (StatusCode::BAD_REQUEST, error.to_string()).into_response(),
    };
    let header_row = match csv_rows(std::iter::once(HEADER.map(String::from))) {
        Ok(bytes) => bytes,
        Err(error) => {
            tracing::error!(%error, "writing the CSV header failed");
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
    };
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

const HEADER: [&str; 13] = [
    "id",
    "created_at",
    "link",
    "referrer",
    "hit_user",
    "authenticated",
    "visitor_id",
    "ip",
    "user_agent",
    "referer",
    "next",
    "confirmed",
    "bot",
];

async fn batch(
    state: &HypeState,
    filter: &HitFilter,
    cursor: Option<Cursor>,
) -> crate::Result<(Bytes, Option<Cursor>)> {
    let (rows, next) = hit_browser::hits_batch(&state.db, filter, cursor, BATCH).await?;
    let bytes = csv_rows(rows.iter().map(fields))
        .map_err(|e| crate::Error::Internal(format!("writing CSV: {e}")))?;
    Ok((bytes, next))
}

fn fields(row: &HitRow) -> [String; 13] {
    [
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
        row.is_bot.to_string(),
    ]
}

/// Rows as CSV (RFC 4180: quoted where needed, CRLF line ends), each field defused first.
fn csv_rows(rows: impl Iterator<Item = [String; 13]>) -> Result<Bytes, csv::Error> {
    let mut writer = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::with_capacity(BATCH as usize * 200));
    for row in rows {
        writer.write_record(
            row.iter()
                .map(|field| defuse(field).into_owned().into_bytes()),
        )?;
    }
    let bytes = writer
        .into_inner()
        .map_err(|e| csv::Error::from(e.into_error()))?;
    Ok(Bytes::from(bytes))
}

/// A value a spreadsheet would run as a formula gets a leading `'`, which shows it as text.
fn defuse(value: &str) -> std::borrow::Cow<'_, str> {
    if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        std::borrow::Cow::Owned(format!("'{value}"))
    } else {
        std::borrow::Cow::Borrowed(value)
    }
}

#[cfg(test)]
mod tests {
    use super::csv_rows;

    fn row(first: &str) -> [String; 13] {
        std::array::from_fn(|i| {
            if i == 0 {
                first.to_owned()
            } else {
                String::new()
            }
        })
    }

    fn line(first: &str) -> String {
        let bytes = csv_rows(std::iter::once(row(first))).unwrap();
        String::from_utf8(bytes.to_vec()).unwrap()
    }

    #[test]
    fn fields_are_quoted_and_formulas_defused() {
        assert_eq!(line("plain"), "plain,,,,,,,,,,,,\r\n");
        assert_eq!(line("a,b"), "\"a,b\",,,,,,,,,,,,\r\n");
        assert_eq!(line("say \"hi\""), "\"say \"\"hi\"\"\",,,,,,,,,,,,\r\n");
        assert_eq!(line("=HYPERLINK(1)"), "'=HYPERLINK(1),,,,,,,,,,,,\r\n");
        assert_eq!(line("-1+2"), "'-1+2,,,,,,,,,,,,\r\n");
        assert_eq!(line("two\nlines"), "\"two\nlines\",,,,,,,,,,,,\r\n");
    }
}
