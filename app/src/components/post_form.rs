//! A `POST` form for a server function. Without JavaScript the browser posts it as any form;
//! once hydrated it reads the arguments from the fields itself ([`FromFields`]) and dispatches
//! the action, so the page updates in place. (Leptos' `<ActionForm>` does the same through a
//! generic query-string deserializer: about 6 KB gzipped in the wasm that every visitor loads,
//! and more on each page, one instance per form's type.)
use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use std::str::FromStr;

/// A server function's arguments, read from the fields of the form that was submitted.
///
/// `None` when a field is missing or not what the function takes: the form is then left to
/// the browser, which posts it as is, and the server answers with its own message.
pub trait FromFields: Sized {
    fn from_fields(fields: &Fields) -> Option<Self>;
}

/// The fields of a submitted form, by name, as the browser would have sent them.
pub struct Fields {
    #[cfg(feature = "hydrate")]
    params: web_sys::UrlSearchParams,
    #[cfg(feature = "hydrate")]
    controls: u32,
}

impl Fields {
    /// The field's text; `None` when the form has no such field.
    #[cfg(feature = "hydrate")]
    pub fn text(&self, name: &str) -> Option<String> {
        self.params.get(name)
    }

    /// The field's text; `None` when the form has no such field.
    #[cfg(not(feature = "hydrate"))]
    pub fn text(&self, _name: &str) -> Option<String> {
        None
    }

    /// The field, parsed; `None` when it is missing or malformed.
    pub fn parse<T: FromStr>(&self, name: &str) -> Option<T> {
        self.text(name)?.parse().ok()
    }

    /// The checked ones of the fields `name[0]`, `name[1]`, … (`None` when one is malformed).
    pub fn indexed<T: FromStr>(&self, name: &str) -> Option<Vec<T>> {
        #[cfg(feature = "hydrate")]
        let controls = self.controls;
        #[cfg(not(feature = "hydrate"))]
        let controls = 0;
        (0..controls)
            .filter_map(|i| self.text(&format!("{name}[{i}]")))
            .map(|value| value.parse().ok())
            .collect()
    }
}

#[component]
pub fn PostForm<S>(
    action: ServerAction<S>,
    #[prop(optional)] class: Option<&'static str>,
    /// For fields outside the form that join it with `form="…"`.
    #[prop(optional)]
    id: Option<&'static str>,
    children: Children,
) -> impl IntoView
where
    S: FromFields + ServerFn + Clone + Send + Sync + 'static,
    S::Output: Send + Sync + 'static,
    S::Error: Send + Sync + 'static,
{
    let submit = move |ev: SubmitEvent| {
        if let Some(args) = fields(&ev).as_ref().and_then(S::from_fields) {
            ev.prevent_default();
            action.dispatch(args);
        }
    };
    view! {
        <form method="post" action=S::url() class=class id=id on:submit=submit>
            {children()}
        </form>
    }
}

#[cfg(feature = "hydrate")]
fn fields(ev: &SubmitEvent) -> Option<Fields> {
    use wasm_bindgen::JsCast;
    let form = ev.target()?.dyn_into::<web_sys::HtmlFormElement>().ok()?;
    let data = web_sys::FormData::new_with_form(&form).ok()?;
    let params = web_sys::UrlSearchParams::new_with_str_sequence_sequence(&data).ok()?;
    Some(Fields {
        params,
        controls: u32::try_from(form.length()).unwrap_or(0),
    })
}

/// On the server nothing is submitted.
#[cfg(not(feature = "hydrate"))]
fn fields(_ev: &SubmitEvent) -> Option<Fields> {
    None
}
