//! `/admin/webhooks`: the endpoints events are sent to, each with its recent deliveries.
use crate::api::admin::webhooks::{
    list_webhooks, CreateWebhook, DeleteWebhook, Redeliver, SendTestEvent, SetWebhookEnabled,
};
use crate::components::admin_nav::AdminNav;
use crate::components::form_error::{form_error, FormError};
use crate::components::notice::ErrorNotice;
use crate::components::post_form::PostForm;
use crate::models::{DeliveryView, WebhookView};
use leptos::prelude::*;
use leptos_meta::Title;

lazy_page!(WebhooksPage => WebhooksBody);

#[derive(Clone, Copy)]
struct Actions {
    toggle: ServerAction<SetWebhookEnabled>,
    delete: ServerAction<DeleteWebhook>,
    test: ServerAction<SendTestEvent>,
    redeliver: ServerAction<Redeliver>,
}

#[component]
fn WebhooksBody() -> impl IntoView {
    let create = ServerAction::<CreateWebhook>::new();
    let actions = Actions {
        toggle: ServerAction::new(),
        delete: ServerAction::new(),
        test: ServerAction::new(),
        redeliver: ServerAction::new(),
    };
    let endpoints = Resource::new(
        move || {
            (
                create.version().get(),
                actions.toggle.version().get(),
                actions.delete.version().get(),
                actions.test.version().get(),
                actions.redeliver.version().get(),
            )
        },
        |_| list_webhooks(),
    );
    let create_error = form_error(create.value());
    let secret = Signal::derive(move || match create.value().get() {
        Some(Ok(secret)) => Some(secret),
        _ => None,
    });
    // A plain form's failure comes back as `?error=`, which `create_error` shows already.
    let action_error = Signal::derive(move || {
        [
            actions.toggle.value().get().and_then(Result::err),
            actions.delete.value().get().and_then(Result::err),
            actions.test.value().get().and_then(|r| r.err()),
            actions.redeliver.value().get().and_then(Result::err),
        ]
        .into_iter()
        .flatten()
        .next()
        .map(|e| e.to_string())
    });
    let tested = Signal::derive(move || match actions.test.value().get() {
        Some(Ok(message)) => Some(message),
        _ => None,
    });
    view! {
        <Title text="Webhooks — hype admin"/>
        <AdminNav current="/admin/webhooks"/>
        <section class="card">
            <h1>"Webhooks"</h1>
            <p class="muted">
                "Each event is sent as a signed POST (Standard Webhooks: headers "
                <code>"webhook-id"</code>", "<code>"webhook-timestamp"</code>", "
                <code>"webhook-signature"</code>"), retried for about a day until the endpoint answers 2xx."
            </p>
            <h2>"Add an endpoint"</h2>
            <PostForm action=create class="create-webhook">
                <label>"URL" <input type="url" name="url" required placeholder="https://example.com/hooks/hype"/></label>
                <label>"Events " <span class="hint">"(comma-separated; blank: all)"</span>
                    <input type="text" name="events" placeholder="referral.confirmed, reward.credited"/>
                </label>
                <button type="submit" class="button">"Add"</button>
            </PostForm>
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    endpoints.await.ok().map(|page| view! {
                        <p class="hint">"Events: " {page.event_types.join(", ")}</p>
                    })
                })}
            </Transition>
            <FormError message=create_error/>
            {move || secret.get().map(|secret| view! {
                <div class="notice secret" role="status">
                    <p>"Endpoint added. Its signing secret, shown only this once — copy it into the receiver now:"</p>
                    <p><code class="mono">{secret}</code></p>
                </div>
            })}
        </section>
        <FormError message=action_error/>
        {move || tested.get().map(|m| view! { <p class="notice" role="status">{m}</p> })}
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match endpoints.await {
                    Ok(page) if page.endpoints.is_empty() => view! {
                        <section class="card empty"><p>"No endpoints yet."</p></section>
                    }.into_any(),
                    Ok(page) => page
                        .endpoints
                        .into_iter()
                        .map(|endpoint| view! { <Endpoint endpoint actions/> })
                        .collect_view()
                        .into_any(),
                    Err(error) => view! { <ErrorNotice error/> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn Endpoint(endpoint: WebhookView, actions: Actions) -> impl IntoView {
    let verb = if endpoint.enabled {
        "Disable"
    } else {
        "Enable"
    };
    view! {
        <section class="card webhook">
            <h2 class="mono wrap">{endpoint.url.clone()}</h2>
            <p>
                <span class=if endpoint.enabled { "badge on" } else { "badge off" }>
                    {if endpoint.enabled { "Enabled" } else { "Disabled" }}
                </span>
                " " {endpoint.events}
            </p>
            {endpoint.disabled_reason.map(|reason| view! { <p class="error" role="alert">{reason}</p> })}
            <div class="actions">
                <PostForm action=actions.test class="inline">
                    <input type="hidden" name="id" value=endpoint.id/>
                    <button type="submit" class="button small">"Send test event"</button>
                </PostForm>
                <PostForm action=actions.toggle class="inline">
                    <input type="hidden" name="id" value=endpoint.id/>
                    <input type="hidden" name="enabled" value=(!endpoint.enabled).to_string()/>
                    <button type="submit" class="button small ghost">{verb}</button>
                </PostForm>
                <PostForm action=actions.delete class="inline">
                    <input type="hidden" name="id" value=endpoint.id/>
                    <button type="submit" class="button small ghost danger">"Delete"</button>
                </PostForm>
            </div>
            <Deliveries rows=endpoint.deliveries redeliver=actions.redeliver/>
        </section>
    }
}

#[component]
fn Deliveries(rows: Vec<DeliveryView>, redeliver: ServerAction<Redeliver>) -> impl IntoView {
    if rows.is_empty() {
        return view! { <p class="muted">"No deliveries yet."</p> }.into_any();
    }
    view! {
        <div class="scroll">
            <table class="data">
                <caption class="sr-only">"Recent deliveries"</caption>
                <thead>
                    <tr>
                        <th scope="col">"Event"</th>
                        <th scope="col">"Created"</th>
                        <th scope="col">"State"</th>
                        <th scope="col">"Status"</th>
                        <th scope="col">"Attempts"</th>
                        <th scope="col">"Next attempt"</th>
                        <th scope="col">"Answer"</th>
                        <th scope="col"></th>
                    </tr>
                </thead>
                <tbody>
                    {rows
                        .into_iter()
                        .map(|d| view! {
                            <tr>
                                <td class="mono">{d.event}</td>
                                <td class="nowrap">{d.created}</td>
                                <td><span class=format!("badge {}", d.state)>{d.state.clone()}</span></td>
                                <td>{d.status.map(|s| s.to_string()).unwrap_or_else(|| "—".into())}</td>
                                <td>{d.attempts}</td>
                                <td class="nowrap">{d.next_attempt.unwrap_or_else(|| "—".into())}</td>
                                <td class="excerpt">{d.result}</td>
                                <td>
                                    <PostForm action=redeliver class="inline">
                                        <input type="hidden" name="id" value=d.id/>
                                        <button type="submit" class="button small ghost">"Redeliver"</button>
                                    </PostForm>
                                </td>
                            </tr>
                        })
                        .collect_view()}
                </tbody>
            </table>
        </div>
    }
    .into_any()
}
