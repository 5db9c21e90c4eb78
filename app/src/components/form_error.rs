//! The message under a form: from the action (hydrated) or from `?error=` (plain HTML forms).
use crate::error::AppError;
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

/// The error to show for `action`: the last result when it failed, else the `?error=` that a
/// plain form post was redirected back with.
pub fn form_error<T, S>(value: S) -> Signal<Option<String>>
where
    S: Get<Value = Option<Result<T, AppError>>> + Send + Sync + 'static,
    T: 'static,
{
    let query = use_query_map();
    Signal::derive(move || match value.get() {
        Some(Err(e)) => Some(e.to_string()),
        Some(Ok(_)) => None,
        None => query.read().get("error"),
    })
}

/// Like [`form_error`], on a page with several forms: a `?error=` is shown only under the form
/// whose server function (`endpoint`, its URL) it came from.
pub fn form_error_at<T, S>(value: S, endpoint: &'static str) -> Signal<Option<String>>
where
    S: Get<Value = Option<Result<T, AppError>>> + Send + Sync + 'static,
    T: 'static,
{
    let query = use_query_map();
    Signal::derive(move || match value.get() {
        Some(Err(e)) => Some(e.to_string()),
        Some(Ok(_)) => None,
        None => {
            let query = query.read();
            match query.get("error_for") {
                Some(from) if from != endpoint => None,
                _ => query.get("error"),
            }
        }
    })
}

#[component]
pub fn FormError(#[prop(into)] message: Signal<Option<String>>) -> impl IntoView {
    move || {
        message.get().map(|m| {
            view! { <p class="form-error" role="alert">{m}</p> }
        })
    }
}
