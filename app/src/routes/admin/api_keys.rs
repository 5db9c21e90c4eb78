//! `/admin/api-keys`: the keys the product's servers call `/api/v1` with.
use crate::api::admin::api_keys::{list_api_keys, CreateApiKey, RevokeApiKey};
use crate::components::admin_nav::AdminNav;
use crate::components::form_error::{form_error, FormError};
use crate::components::notice::ErrorNotice;
use crate::components::post_form::PostForm;
use crate::models::ApiKeyView;
use leptos::prelude::*;
use leptos_meta::Title;

lazy_page!(ApiKeysPage => ApiKeysBody);

#[component]
fn ApiKeysBody() -> impl IntoView {
    let create = ServerAction::<CreateApiKey>::new();
    let revoke = ServerAction::<RevokeApiKey>::new();
    let keys = Resource::new(
        move || (create.version().get(), revoke.version().get()),
        |_| list_api_keys(),
    );
    let create_error = form_error(create.value());
    let revoke_error = Signal::derive(move || {
        revoke
            .value()
            .get()
            .and_then(Result::err)
            .map(|e| e.to_string())
    });
    let created = Signal::derive(move || match create.value().get() {
        Some(Ok(key)) => Some(key),
        _ => None,
    });
    view! {
        <Title text="API keys — hype admin"/>
        <AdminNav current="/admin/api-keys"/>
        <section class="card">
            <h1>"API keys"</h1>
            <p class="muted">
                "Your product's servers call " <code>"/api/v1"</code> " with "
                <code>"Authorization: Bearer <key>"</code> ". A key is shown once, stored hashed, and
                 can do only what its scopes allow. The reference: "
                <a href="/api/docs" rel="external">"/api/docs"</a> "."
            </p>
            <h2>"Create a key"</h2>
            <PostForm action=create class="create-webhook">
                <label>"Name" <input type="text" name="name" required maxlength="100" placeholder="Shop backend"/></label>
                <label>"Scopes " <span class="hint">"(comma-separated; blank: all)"</span>
                    <input type="text" name="scopes" placeholder="conversions:write, referrals:read"/>
                </label>
                <button type="submit" class="button">"Create key"</button>
            </PostForm>
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    keys.await.ok().map(|page| view! {
                        <p class="hint">"Scopes: " {page.scopes.join(", ")}</p>
                        // Created without JavaScript: the page was loaded again to show it.
                        {page.new_key.map(|key| view! { <NewKey key/> })}
                    })
                })}
            </Transition>
            <FormError message=create_error/>
            {move || created.get().map(|key| view! { <NewKey key/> })}
        </section>
        <FormError message=revoke_error/>
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match keys.await {
                    Ok(page) if page.keys.is_empty() => view! {
                        <section class="card empty"><p>"No keys yet."</p></section>
                    }.into_any(),
                    Ok(page) => view! { <KeyTable keys=page.keys revoke/> }.into_any(),
                    Err(error) => view! { <ErrorNotice error/> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn KeyTable(keys: Vec<ApiKeyView>, revoke: ServerAction<RevokeApiKey>) -> impl IntoView {
    view! {
        <section class="card scroll">
            <table class="data">
                <thead>
                    <tr>
                        <th>"Name"</th>
                        <th>"Key"</th>
                        <th>"Scopes"</th>
                        <th>"Created"</th>
                        <th>"Last used"</th>
                        <th>"State"</th>
                        <th></th>
                    </tr>
                </thead>
                <tbody>
                    {keys
                        .into_iter()
                        .map(|key| {
                            let revoked = key.revoked_at.is_some();
                            view! {
                                <tr class:disabled=revoked>
                                    <td>{key.name.clone()}</td>
                                    <td class="mono nowrap">{format!("{}…", key.prefix)}</td>
                                    <td>{key.scopes}</td>
                                    <td class="nowrap">{key.created_at}</td>
                                    <td class="nowrap">{key.last_used_at.unwrap_or_else(|| "never".into())}</td>
                                    <td>
                                        {match key.revoked_at {
                                            Some(at) => view! { <span class="badge off">{format!("Revoked {at}")}</span> }.into_any(),
                                            None => view! { <span class="badge on">"Active"</span> }.into_any(),
                                        }}
                                    </td>
                                    <td class="actions">
                                        {(!revoked).then(|| view! {
                                            <PostForm action=revoke class="inline">
                                                <input type="hidden" name="id" value=key.id/>
                                                <button type="submit" class="button ghost danger small"
                                                    aria-label=format!("Revoke {}", key.name)>
                                                    "Revoke"
                                                </button>
                                            </PostForm>
                                        })}
                                    </td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
        </section>
    }
}

/// A key just created, with the warning that it is shown once.
#[component]
fn NewKey(key: String) -> impl IntoView {
    view! {
        <div class="notice secret" role="status">
            <p>"Key created. Shown only this once — copy it into your product's settings now:"</p>
            <p><code class="mono" data-testid="new-api-key">{key}</code></p>
        </div>
    }
}
