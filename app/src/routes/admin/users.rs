//! `/admin/users`: search users, grant or revoke admin (never the last one), see a ledger.
use crate::api::admin::users::{get_user_ledger, list_users, SetUserAdmin};
use crate::components::admin_nav::AdminNav;
use crate::components::form_error::{form_error, FormError};
use crate::components::ledger_table::LedgerTable;
use crate::components::notice::ErrorNotice;
use crate::components::post_form::PostForm;
use crate::components::search_form::SearchForm;
use crate::models::{encode, AdminUserView, LedgerView};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

lazy_page!(AdminUsersPage => AdminUsersBody);

#[component]
fn AdminUsersBody() -> impl IntoView {
    let params = use_query_map();
    let q = Memo::new(move |_| params.read().get("q").unwrap_or_default());
    let selected = Memo::new(move |_| {
        params
            .read()
            .get("user")
            .and_then(|u| u.parse::<i32>().ok())
    });
    let set_admin = ServerAction::<SetUserAdmin>::new();
    let users = Resource::new(
        move || (q.get(), set_admin.version().get()),
        |(q, _)| list_users(Some(q)),
    );
    let ledger = Resource::new(
        move || selected.get(),
        |id| async move {
            match id {
                Some(id) => get_user_ledger(id).await.map(Some),
                None => Ok(None),
            }
        },
    );
    let error = form_error(set_admin.value());
    view! {
        <Title text="Users — hype admin"/>
        <AdminNav current="/admin/users"/>
        <section class="card">
            <h1>"Users"</h1>
            <SearchForm action="/admin/users" class="search">
                <input type="search" name="q" value=move || q.get() aria-label="Search users" placeholder="username or email"/>
                <button type="submit" class="button">"Search"</button>
            </SearchForm>
            <FormError message=error/>
        </section>
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match ledger.await {
                    Ok(Some(view)) => view! { <Ledger ledger=view/> }.into_any(),
                    Ok(None) => ().into_any(),
                    Err(error) => view! { <ErrorNotice error/> }.into_any(),
                }
            })}
            {move || Suspend::new(async move {
                match users.await {
                    Ok(rows) => view! { <UserTable rows set_admin q=q.get_untracked()/> }.into_any(),
                    Err(error) => view! { <ErrorNotice error/> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn UserTable(
    rows: Vec<AdminUserView>,
    set_admin: ServerAction<SetUserAdmin>,
    q: String,
) -> impl IntoView {
    if rows.is_empty() {
        return view! { <section class="card empty"><p>"No users match."</p></section> }.into_any();
    }
    view! {
        <section class="card scroll">
            <table class="data">
                <thead>
                    <tr>
                        <th scope="col">"Username"</th>
                        <th scope="col">"Email"</th>
                        <th scope="col">"Joined"</th>
                        <th scope="col" class="num">"Balance"</th>
                        <th scope="col">"Role"</th>
                    </tr>
                </thead>
                <tbody>
                    {rows
                        .into_iter()
                        .map(|user| {
                            let ledger_href = format!("/admin/users?q={}&user={}", encode(&q), user.id);
                            let verb = if user.is_admin { "Revoke admin" } else { "Make admin" };
                            view! {
                                <tr>
                                    <td><a href=ledger_href>{user.username.clone()}</a></td>
                                    <td>{user.email.unwrap_or_default()}</td>
                                    <td class="nowrap">{user.joined}</td>
                                    <td class="num">{user.balance}</td>
                                    <td>
                                        <PostForm action=set_admin class="inline">
                                            <input type="hidden" name="id" value=user.id/>
                                            <input type="hidden" name="is_admin" value=(!user.is_admin).to_string()/>
                                            {user.is_admin.then(|| view! { <span class="badge on">"admin"</span> })}
                                            <button type="submit" class="button small ghost" aria-label=format!("{verb}: {}", user.username)>
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

#[component]
pub fn Ledger(ledger: LedgerView) -> impl IntoView {
    view! {
        <section class="card">
            <h2>{format!("Ledger of {}", ledger.username)}</h2>
            <p class="balance">"Balance: " <strong>{ledger.balance}</strong> " points"</p>
            <LedgerTable entries=ledger.entries/>
        </section>
    }
}
