//! "Share" for one link: the device's share sheet (Web Share API) where the browser has one,
//! plain share links (e-mail, X, WhatsApp, LinkedIn, Telegram) everywhere, and the link's QR
//! code drawn by the server, downloadable as SVG and PNG. A `<details>`, so it opens without
//! JavaScript; no script or pixel from elsewhere.
use leptos::prelude::*;
use percent_encoding::{utf8_percent_encode, NON_ALPHANUMERIC};

/// The plain share links for `url`: (network, address).
pub fn share_links(url: &str, title: &str) -> Vec<(&'static str, String)> {
    let u = utf8_percent_encode(url, NON_ALPHANUMERIC).to_string();
    let text = utf8_percent_encode(&format!("{title} {url}"), NON_ALPHANUMERIC).to_string();
    let t = utf8_percent_encode(title, NON_ALPHANUMERIC).to_string();
    vec![
        ("E-mail", format!("mailto:?subject={t}&body={text}")),
        ("X", format!("https://x.com/intent/post?url={u}&text={t}")),
        ("WhatsApp", format!("https://wa.me/?text={text}")),
        (
            "LinkedIn",
            format!("https://www.linkedin.com/sharing/share-offsite/?url={u}"),
        ),
        (
            "Telegram",
            format!("https://t.me/share/url?url={u}&text={t}"),
        ),
    ]
}

#[component]
pub fn ShareLink(url: String, identifier: String, #[prop(into)] label: String) -> impl IntoView {
    let can_share = RwSignal::new(false);
    Effect::new(move |_| can_share.set(share_sheet_available()));
    let title = "Join me on hype".to_owned();
    let open_sheet = {
        let (url, title) = (url.clone(), title.clone());
        move |_| open_share_sheet(&url, &title)
    };
    let qr = format!("/links/{identifier}/qr");
    view! {
        <details class="share">
            <summary aria-label=format!("Share {label}")>"Share"</summary>
            <div class="share-panel">
                <button
                    type="button"
                    class="button small"
                    hidden=move || !can_share.get()
                    on:click=open_sheet
                >
                    "Share…"
                </button>
                <ul class="share-links">
                    {share_links(&url, &title)
                        .into_iter()
                        .map(|(network, href)| view! {
                            <li>
                                <a href=href rel="external noopener" target="_blank">{network}</a>
                            </li>
                        })
                        .collect_view()}
                </ul>
                <img
                    class="qr"
                    src=format!("{qr}.svg")
                    alt=format!("QR code of {url}")
                    width="160"
                    height="160"
                    loading="lazy"
                />
                <p class="small">
                    "QR code: "
                    <a href=format!("{qr}.svg") rel="external" download=format!("hype-{identifier}.svg")>"SVG"</a>
                    " · "
                    <a href=format!("{qr}.png") rel="external" download=format!("hype-{identifier}.png")>"PNG"</a>
                </p>
            </div>
        </details>
    }
}

#[cfg(feature = "hydrate")]
fn share_sheet_available() -> bool {
    web_sys::window()
        .and_then(|w| js_sys::Reflect::has(w.navigator().as_ref(), &"share".into()).ok())
        .unwrap_or(false)
}

#[cfg(not(feature = "hydrate"))]
fn share_sheet_available() -> bool {
    false
}

#[cfg(feature = "hydrate")]
fn open_share_sheet(url: &str, title: &str) {
    let Some(window) = web_sys::window() else {
        return;
    };
    let data = web_sys::ShareData::new();
    data.set_url(url);
    data.set_title(title);
    let promise = window.navigator().share_with_data(&data);
    // A dismissed sheet rejects the promise: nothing to report.
    leptos::task::spawn_local(async move {
        let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
    });
}

#[cfg(not(feature = "hydrate"))]
fn open_share_sheet(_url: &str, _title: &str) {}

#[cfg(test)]
mod tests {
    use super::share_links;

    #[test]
    fn every_share_link_carries_the_whole_url() {
        let url = "https://refer.example.com/ref/summer-sale";
        for (network, href) in share_links(url, "Join me") {
            assert!(
                href.contains("https%3A%2F%2Frefer%2Eexample%2Ecom%2Fref%2Fsummer%2Dsale"),
                "{network}: {href}"
            );
        }
    }
}
