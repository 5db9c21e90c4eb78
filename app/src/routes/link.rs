//! `/links/{identifier}`: one link's own page — its counts, visits and sign-ups per day over 30
//! or 90 days, the sites that sent visitors, the points it earned, and (for its owner) its
//! label, destination and state.
use crate::api::links::{link_detail, EditLink, SetLinkDisabled};
use crate::components::chart::VisitsChart;
use crate::components::copy::CopyableUrl;
use crate::components::form_error::{form_error_at, FormError};
use crate::components::share::ShareLink;
use crate::models::LinkDetailView;
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

lazy_page!(LinkPage => LinkBody);

#[component]
fn LinkBody() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let detail = Resource::new(
        move || {
            (
                params.read().get("identifier").unwrap_or_default(),
                query.read().get("days").and_then(|d| d.parse::<u32>().ok()),
            )
        },
        |(identifier, days)| link_detail(identifier, days),
    );
    // The edit form is plain: the page reloads whole with the saved link, or with `?error=`.
    let edit_error = form_error_at(
        Signal::derive(|| None::<Result<(), crate::error::AppError>>),
        EditLink::url(),
    );
    let toggle_error = form_error_at(
        Signal::derive(|| None::<Result<(), crate::error::AppError>>),
        SetLinkDisabled::url(),
    );
    view! {
        <Title text="Link — hype"/>
        <Transition fallback=|| view! { <p class="muted">"Loading the link…"</p> }>
            {move || Suspend::new(async move {
                match detail.await {
                    Ok(detail) => view! { <LinkDetail detail edit_error toggle_error/> }.into_any(),
                    Err(e) => view! {
                        <section class="card narrow">
                            <h1>"Link"</h1>
                            <p class="form-error" role="alert">{e.to_string()}</p>
                            <p><a href="/links">"Back to my links"</a></p>
                        </section>
                    }
                    .into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn LinkDetail(
    detail: LinkDetailView,
    edit_error: Signal<Option<String>>,
    toggle_error: Signal<Option<String>>,
) -> impl IntoView {
    let link = detail.link;
    let name = if link.label.is_empty() {
        link.identifier.clone()
    } else {
        link.label.clone()
    };
    let stats = [
        ("Hits", link.hits),
        ("Visitors", link.visitors),
        ("Sign-ups", link.signups),
        ("Confirmed", link.confirmed),
        ("Points earned", detail.points),
    ];
    let period = detail.period;
    let pill = move |days: u32| {
        let class = if days == period {
            "pill active"
        } else {
            "pill"
        };
        view! { <a class=class href=format!("?days={days}") rel="external">{format!("{days} days")}</a> }
    };
    let referers = if detail.referers.is_empty() {
        view! { <p class="muted">"No visit in this period came with a Referer (apps and typed links send none)."</p> }
            .into_any()
    } else {
        view! {
            <table class="data">
                <thead><tr><th scope="col">"Site"</th><th scope="col" class="num">"Visits"</th></tr></thead>
                <tbody>
                    {detail
                        .referers
                        .into_iter()
                        .map(|(host, n)| view! { <tr><td>{host}</td><td class="num">{n}</td></tr> })
                        .collect_view()}
                </tbody>
            </table>
        }
        .into_any()
    };
    let hosts = detail.destination_hosts;
    let settings = detail.own.then(|| {
        let destination_field = (!hosts.is_empty()).then(|| view! {
            <label>
                "Destination "
                <span class="hint">"(a page on " {hosts.join(", ")} "; blank: this site)"</span>
                <input type="url" name="destination" maxlength="2000" value=link.destination.clone().unwrap_or_default()/>
            </label>
        });
        let state = if link.disabled_by_admin {
            view! {
                <span class="badge off">"Disabled"</span>
                <span class="muted small">" by an admin"</span>
            }
            .into_any()
        } else {
            let verb = if link.disabled { "Enable" } else { "Disable" };
            view! {
                <form method="post" action=SetLinkDisabled::url() class="inline">
                    <input type="hidden" name="id" value=link.id/>
                    <input type="hidden" name="disabled" value=(!link.disabled).to_string()/>
                    <span class=if link.disabled { "badge off" } else { "badge on" }>
                        {if link.disabled { "Disabled" } else { "Active" }}
                    </span>
                    " "
                    <button type="submit" class="button small ghost" aria-label=format!("{verb} {name}")>
                        {verb}
                    </button>
                </form>
            }
            .into_any()
        };
        view! {
            <section class="card">
                <h2>"Settings"</h2>
                <form method="post" action=EditLink::url() class="create-link">
                    <input type="hidden" name="id" value=link.id/>
                    <label>
                        "Label " <span class="hint">"(optional)"</span>
                        <input type="text" name="label" maxlength="100" value=link.label.clone()/>
                    </label>
                    {destination_field}
                    <button type="submit" class="button">"Save"</button>
                </form>
                <FormError message=edit_error/>
                <p class="link-state">{state}</p>
                <FormError message=toggle_error/>
            </section>
        }
    });
    view! {
        <Title text=format!("{name} — hype")/>
        <section class="card">
            <p class="small"><a href="/links">"← My links"</a></p>
            <h1>{name.clone()}</h1>
            <p class="muted small">
                "/ref/" {link.identifier.clone()} " · created " {link.created.clone()}
                {link.destination.clone().map(|to| view! { " · → " <span class="destination">{to}</span> })}
            </p>
            <CopyableUrl url=link.url.clone() label=name.clone()/>
            <ShareLink url=link.url.clone() identifier=link.identifier.clone() label=name.clone()/>
        </section>
        <section class="stat-grid" aria-label="Totals">
            {stats
                .into_iter()
                .map(|(label, value)| view! {
                    <div class="stat">
                        <div class="stat-value" data-stat=label>{value}</div>
                        <div class="stat-label">{label}</div>
                    </div>
                })
                .collect_view()}
        </section>
        <section class="card">
            <h2>"Visits and sign-ups per day"</h2>
            <nav class="pills" aria-label="Period">{pill(30)} {pill(90)}</nav>
            <VisitsChart days=detail.days period/>
        </section>
        <section class="card">
            <h2>"Where visitors came from"</h2>
            {referers}
        </section>
        {settings}
    }
}
