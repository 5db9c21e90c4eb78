//! `/admin/links`: every link, searchable; disable/enable any; create one for any user.
use crate::api::admin::links::{list_all_links, CreateLinkForUser, SetAnyLinkDisabled};
use crate::components::admin_nav::AdminNav;
use crate::components::form_error::{form_error, FormError};
use crate::components::notice::ErrorNotice;
use crate::components::post_form::PostForm;
use crate::components::search_form::SearchForm;
use crate::models::AdminLinkView;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

lazy_page!(AdminLinksPage => AdminLinksBody);

#[component]
fn AdminLinksBody() -> impl IntoView {
    let params = use_query_map();
    let q = Memo::new(move |_| params.read().get("q").unwrap_or_default());
    let create = ServerAction::<CreateLinkForUser>::new();
    let toggle = ServerAction::<SetAnyLinkDisabled>::new();
    let links = Resource::new(
        move || (q.get(), create.version().get(), toggle.version().get()),
        |(q, _, _)| list_all_links(Some(q)),
    );
    let create_error = form_error(create.value());
    let created = Signal::derive(move || match create.value().get() {
        Some(Ok(m)) => Some(m),
        _ => None,
    });
    view! {
        <Title text="Links — hype admin"/>
        <AdminNav current="/admin/links"/>
        <section class="card">
            <h1>"Links"</h1>
            <SearchForm action="/admin/links" class="search">
                <input type="search" name="q" value=move || q.get() aria-label="Search links" placeholder="identifier, label or owner"/>
                <button type="submit" class="button">"Search"</button>
            </SearchForm>
            <h2>"Create a link for a user"</h2>
            <PostForm action=create class="create-link three">
                <label>"Username" <input type="text" name="username" required/></label>
                <label>"Identifier " <span class="hint">"(blank: random)"</span> <input type="text" name="identifier" maxlength="50"/></label>
                <label>"Label" <input type="text" name="label" maxlength="100"/></label>
                <button type="submit" class="button">"Create"</button>
            </PostForm>
            <FormError message=create_error/>
            {move || created.get().map(|m| view! { <p class="notice" role="status">{m}</p> })}
        </section>
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match links.await {
                    Ok(rows) => view! { <LinkTable rows toggle/> }.into_any(),
                    Err(error) => view! { <ErrorNotice error/> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn LinkTable(rows: Vec<AdminLinkView>, toggle: ServerAction<SetAnyLinkDisabled>) -> impl IntoView {
    if rows.is_empty() {
        return view! { <section class="card empty"><p>"No links match."</p></section> }.into_any();
    }
    view! {
        <section class="card scroll">
            <table class="data">
                <thead>
                    <tr>
                        <th scope="col">"Identifier"</th>
                        <th scope="col">"Label"</th>
                        <th scope="col">"Owner"</th>
                        <th scope="col">"Created"</th>
                        <th scope="col">"Status"</th>
                    </tr>
                </thead>
                <tbody>
                    {rows
                        .into_iter()
                        .map(|link| {
                            let verb = if link.disabled { "Enable" } else { "Disable" };
                            view! {
                                <tr class=if link.disabled { "disabled" } else { "" }>
                                    <td class="mono">{link.identifier.clone()}</td>
                                    <td>{link.label}</td>
                                    <td>{link.owner.unwrap_or_else(|| "(deleted)".into())}</td>
                                    <td class="nowrap">{link.created}</td>
                                    <td>
                                        <PostForm action=toggle class="inline">
                                            <input type="hidden" name="id" value=link.id/>
                                            <input type="hidden" name="disabled" value=(!link.disabled).to_string()/>
                                            <span class=if link.disabled { "badge off" } else { "badge on" }>
                                                {if link.disabled { "Disabled" } else { "Active" }}
                                            </span>
                                            <button type="submit" class="button small ghost" aria-label=format!("{verb} {}", link.identifier)>
                                                {verb}
                                            </button>
                                        </PostForm>
                                    </td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
        </section>
    }
    .into_any()
}
