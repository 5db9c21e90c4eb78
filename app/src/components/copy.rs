//! A full link shown as selectable text, with a one-click copy button once the page is hydrated.
use leptos::prelude::*;

#[component]
pub fn CopyableUrl(url: String, #[prop(into)] label: String) -> impl IntoView {
    let hydrated = RwSignal::new(false);
    Effect::new(move |_| hydrated.set(true));
    let status = RwSignal::new(None::<&'static str>);
    let copy = {
        let url = url.clone();
        move |_| copy_to_clipboard(url.clone(), status)
    };
    view! {
        <div class="copyable">
            <input
                class="url"
                type="text"
                readonly
                value=url.clone()
                aria-label=format!("Link for {label}")
                onfocus="this.select()"
            />
            <button
                type="button"
                class="button small"
                hidden=move || !hydrated.get()
                on:click=copy
                aria-label=format!("Copy link for {label}")
            >
                {move || status.get().unwrap_or("Copy")}
            </button>
        </div>
    }
}

#[cfg(feature = "hydrate")]
fn copy_to_clipboard(url: String, status: RwSignal<Option<&'static str>>) {
    let Some(window) = web_sys::window() else {
        return;
    };
    let promise = window.navigator().clipboard().write_text(&url);
    leptos::task::spawn_local(async move {
        let copied = wasm_bindgen_futures::JsFuture::from(promise).await.is_ok();
        status.set(Some(if copied { "Copied!" } else { "Copy failed" }));
    });
}

#[cfg(not(feature = "hydrate"))]
fn copy_to_clipboard(_url: String, _status: RwSignal<Option<&'static str>>) {}
