//! What a page shows instead of its content when its data could not be had.
use crate::error::AppError;
use leptos::prelude::*;

#[component]
pub fn ErrorNotice(error: AppError) -> impl IntoView {
    match error {
        AppError::Unauthorized => view! {
            <section class="card narrow">
                <p>"Please " <a href="/login">"log in"</a> " to see this page."</p>
            </section>
        }
        .into_any(),
        AppError::Forbidden => view! {
            <section class="card narrow">
                <h1>"Admins only"</h1>
                <p>"This page is for the site's administrators."</p>
            </section>
        }
        .into_any(),
        other => view! {
            <section class="card narrow">
                <p class="form-error" role="alert">{other.to_string()}</p>
            </section>
        }
        .into_any(),
    }
}
