//! A `GET` form that filters the page it is on. Without JavaScript the browser submits it as
//! any form; once hydrated it moves to the new query in place, so the page's resources reload
//! without a full page load. (The router's `<Form>` does the same for every method and
//! encoding, and brings Unicode case tables into the wasm for it: about 20 KB gzipped on each
//! page that shows one.)
use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos_router::hooks::use_navigate;

#[component]
pub fn SearchForm(
    /// The page's path: the query replaces its own.
    action: &'static str,
    class: &'static str,
    children: Children,
) -> impl IntoView {
    let navigate = use_navigate();
    let submit = move |ev: SubmitEvent| {
        if let Some(query) = form_query(&ev) {
            ev.prevent_default();
            navigate(&format!("{action}?{query}"), Default::default());
        }
    };
    view! {
        <form method="get" action=action class=class on:submit=submit>
            {children()}
        </form>
    }
}

/// The submitted form's fields as a URL query, as the browser would have sent them.
#[cfg(feature = "hydrate")]
fn form_query(ev: &SubmitEvent) -> Option<String> {
    use wasm_bindgen::JsCast;
    let form = ev.target()?.dyn_into::<web_sys::HtmlFormElement>().ok()?;
    let data = web_sys::FormData::new_with_form(&form).ok()?;
    let params = web_sys::UrlSearchParams::new_with_str_sequence_sequence(&data).ok()?;
    params.to_string().as_string()
}

/// On the server nothing is submitted.
#[cfg(not(feature = "hydrate"))]
fn form_query(_ev: &SubmitEvent) -> Option<String> {
    None
}
