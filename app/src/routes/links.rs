//! `/links`: the signed-in user's links — create, copy, disable — with their counts.
use crate::api::links::{link_destinations, list_links, CreateLink, SetLinkDisabled};
use crate::components::copy::CopyableUrl;
use crate::components::form_error::{form_error, FormError};
use crate::components::post_form::PostForm;
use crate::components::share::ShareLink;
use crate::error::AppError;
use crate::models::{LinkListView, LinkView};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

lazy_page!(LinksPage => LinksBody);

#[component]
fn LinksBody() -> impl IntoView {
    let query = use_query_map();
    // A malformed page number is the first page; one past the last, the last.
    let page = Memo::new(move |_| {
        query
            .read()
            .get("page")
            .and_then(|p| p.parse::<u64>().ok())
            .unwrap_or(1)
    });
    let create = ServerAction::<CreateLink>::new();
    let toggle = ServerAction::<SetLinkDisabled>::new();
    let links = Resource::new(
        move || (page.get(), create.version().get(), toggle.version().get()),
        |(page, _, _)| list_links(Some(page)),
    );
    // A new link is the newest: from a later page, go to the first, where it is.
    Effect::new(move |_| {
        if matches!(create.value().get(), Some(Ok(()))) && page.get_untracked() > 1 {
            go_to_first_page();
        }
    });
    let destinations = Resource::new(|| (), |_| link_destinations());
    let create_error = form_error(create.value());
    let toggle_error = Signal::derive(move || match toggle.value().get() {
        Some(Err(e)) => Some(e.to_string()),
        _ => None,
    });

    view! {
        <Title text="My links — hype"/>
        <Transition fallback=|| view! { <p class="muted">"Loading your links…"</p> }>
            {move || Suspend::new(async move {
                let hosts = destinations.await.unwrap_or_default();
                match links.await {
                    Err(AppError::Unauthorized) => {
                        view! {
                            <section class="card narrow">
                                <h1>"My links"</h1>
                                <p>
                                    <a href="/login">"Log in"</a>
                                    " to create and follow your referral links."
                                </p>
                            </section>
                        }
                            .into_any()
                    }
                    Err(e) => {
                        view! {
                            <section class="card narrow">
                                <h1>"My links"</h1>
                                <p class="form-error" role="alert">{e.to_string()}</p>
                            </section>
                        }
                            .into_any()
                    }
                    Ok(list) => {
                        view! {
                            <section class="card">
                                <h1>"My links"</h1>
                                <PostForm action=create class="create-link">
                                    <label>
                                        "Identifier "
                                        <span class="hint">"(optional: blank for a random one)"</span>
                                        <input
                                            type="text"
                                            name="identifier"
                                            maxlength="50"
                                            pattern="[A-Za-z0-9_\\-]{1,50}"
                                            placeholder="e.g. summer-sale"
                                        />
                                    </label>
                                    <label>
                                        "Label " <span class="hint">"(optional)"</span>
                                        <input
                                            type="text"
                                            name="label"
                                            maxlength="100"
                                            placeholder="Where you'll share it"
                                        />
                                    </label>
                                    {(!hosts.is_empty()).then(|| view! {
                                        <label>
                                            "Destination "
                                            <span class="hint">
                                                "(optional: a page on " {hosts.join(", ")} ")"
                                            </span>
                                            <input
                                                type="url"
                                                name="destination"
                                                maxlength="2000"
                                                placeholder=format!("{}/…", hosts[0])
                                            />
                                        </label>
                                    })}
                                    <button type="submit" class="button">
                                        "Create link"
                                    </button>
                                </PostForm>
                                <FormError message=create_error/>
                                <FormError message=toggle_error/>
                            </section>
                            <LinkTable list toggle/>
                        }
                            .into_any()
                    }
                }
            })}
        </Transition>
    }
}

#[component]
fn LinkTable(list: LinkListView, toggle: ServerAction<SetLinkDisabled>) -> impl IntoView {
    if list.links.is_empty() {
        return view! {
            <section class="card empty">
                <p>"You have no links yet. Create one above and share it."</p>
            </section>
        }
        .into_any();
    }
    let pager = (list.pages > 1).then(|| view! { <Pager page=list.page pages=list.pages/> });
    let summary = summary(&list);
    view! {
        <section class="card">
            <p class="muted small" data-testid="link-count">{summary}</p>
            <table class="links">
                <thead>
                    <tr>
                        <th scope="col">"Link"</th>
                        <th scope="col">"Share"</th>
                        <th scope="col" class="num">"Hits"</th>
                        <th scope="col" class="num">"Visitors"</th>
                        <th scope="col" class="num">"Sign-ups"</th>
                        <th scope="col" class="num">"Confirmed"</th>
                        <th scope="col">"Status"</th>
                    </tr>
                </thead>
                <tbody>
                    {list
                        .links
                        .into_iter()
                        .map(|link| view! { <LinkRow link toggle/> })
                        .collect_view()}
                </tbody>
            </table>
            {pager}
        </section>
    }
    .into_any()
}

/// "1 link", "42 links · page 2 of 3".
fn summary(list: &LinkListView) -> String {
    let count = if list.total == 1 {
        "1 link".to_owned()
    } else {
        format!("{} links", list.total)
    };
    if list.pages > 1 {
        format!("{count} · page {} of {}", list.page, list.pages)
    } else {
        count
    }
}

/// Newest, newer, older and oldest pages. The links load whole pages (`rel="external"`): the
/// page's data is keyed on its URL.
#[component]
fn Pager(page: u64, pages: u64) -> impl IntoView {
    let href = |n: u64| {
        if n <= 1 {
            "/links".to_owned()
        } else {
            format!("/links?page={n}")
        }
    };
    view! {
        <nav class="pager" aria-label="Pages">
            {(page > 1).then(|| view! {
                <a href=href(1) rel="external">"« Newest"</a>
                <a href=href(page - 1) rel="external">"‹ Newer"</a>
            })}
            {(page < pages).then(|| view! {
                <a href=href(page + 1) rel="external">"Older ›"</a>
                <a href=href(pages) rel="external">"Oldest »"</a>
            })}
        </nav>
    }
}

/// Loads `/links` whole.
fn go_to_first_page() {
    #[cfg(feature = "hydrate")]
    if let Some(window) = web_sys::window() {
        // Nothing to do when the browser refuses: the link is made, on the first page.
        let _ = window.location().set_href("/links");
    }
}

#[component]
fn LinkRow(link: LinkView, toggle: ServerAction<SetLinkDisabled>) -> impl IntoView {
    let name = if link.label.is_empty() {
        link.identifier.clone()
    } else {
        link.label.clone()
    };
    let row_class = if link.disabled { "disabled" } else { "" };
    view! {
        <tr class=row_class data-identifier=link.identifier.clone()>
            <td>
                <a class="link-name" href=format!("/links/{}", link.identifier)>{name.clone()}</a>
                <div class="muted small">"/ref/" {link.identifier.clone()} " · " {link.created}</div>
                {link.destination.map(|to| view! {
                    <div class="muted small destination">"→ " {to}</div>
                })}
            </td>
            <td>
                <CopyableUrl url=link.url.clone() label=name.clone()/>
                <ShareLink url=link.url identifier=link.identifier.clone() label=name.clone()/>
            </td>
            <td class="num" data-stat="hits" data-label="Hits">{link.hits}</td>
            <td class="num" data-stat="visitors" data-label="Visitors">{link.visitors}</td>
            <td class="num" data-stat="signups" data-label="Sign-ups">{link.signups}</td>
            <td class="num" data-stat="confirmed" data-label="Confirmed">{link.confirmed}</td>
            <td>
                {if link.disabled_by_admin {
                    view! {
                        <span class="badge off">"Disabled"</span>
                        <span class="muted small">" by an admin"</span>
                    }
                        .into_any()
                } else {
                    view! { <ToggleForm link_id=link.id disabled=link.disabled name toggle/> }
                        .into_any()
                }}
            </td>
        </tr>
    }
}

/// Enable or disable one link, with its state beside the button.
#[component]
fn ToggleForm(
    link_id: i32,
    disabled: bool,
    name: String,
    toggle: ServerAction<SetLinkDisabled>,
) -> impl IntoView {
    let verb = if disabled { "Enable" } else { "Disable" };
    view! {
        <PostForm action=toggle class="inline">
            <input type="hidden" name="id" value=link_id/>
            <input type="hidden" name="disabled" value=(!disabled).to_string()/>
            <span class=if disabled { "badge off" } else { "badge on" }>
                {if disabled { "Disabled" } else { "Active" }}
            </span>
            <button type="submit" class="button small ghost" aria-label=format!("{verb} {name}")>
                {verb}
            </button>
        </PostForm>
    }
}
