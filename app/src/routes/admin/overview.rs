//! `/admin`: totals, hits per day, top referrers.
use crate::api::admin::overview::get_overview;
use crate::components::admin_nav::AdminNav;
use crate::components::chart::HitsChart;
use crate::components::notice::ErrorNotice;
use crate::models::OverviewView;
use leptos::prelude::*;
use leptos_meta::Title;

lazy_page!(OverviewPage => OverviewBody);

#[component]
fn OverviewBody() -> impl IntoView {
    let overview = Resource::new(|| (), |_| get_overview());
    view! {
        <Title text="Admin — hype"/>
        <AdminNav current="/admin"/>
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match overview.await {
                    Ok(o) => view! { <Overview o/> }.into_any(),
                    Err(error) => view! { <ErrorNotice error/> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn Overview(o: OverviewView) -> impl IntoView {
    let stats = [
        ("Users", o.users.to_string()),
        ("Links", o.links.to_string()),
        ("Hits today", o.hits_today.to_string()),
        ("Hits, 7 days", o.hits_7d.to_string()),
        ("Hits, 30 days", o.hits_30d.to_string()),
        ("Unique visitors", o.unique_visitors.to_string()),
        ("Referred sign-ups", o.referred_signups.to_string()),
        ("Pending", o.pending.to_string()),
        ("Confirmed", o.confirmed.to_string()),
        ("Conversion", format!("{:.1} %", o.conversion_percent)),
    ];
    let top = if o.top_referrers.is_empty() {
        view! { <p class="muted">"No confirmed referrals yet."</p> }.into_any()
    } else {
        view! {
            <ol class="top">
                {o
                    .top_referrers
                    .into_iter()
                    .map(|(name, n)| view! { <li><span>{name}</span><strong>{n}</strong></li> })
                    .collect_view()}
            </ol>
        }
        .into_any()
    };
    view! {
        <section class="stat-grid" aria-label="Totals">
            {stats
                .into_iter()
                .map(|(label, value)| {
                    view! {
                        <div class="stat">
                            <div class="stat-value">{value}</div>
                            <div class="stat-label">{label}</div>
                        </div>
                    }
                })
                .collect_view()}
        </section>
        <div class="two-col">
            <section class="card">
                <h2>"Hits per day"</h2>
                <HitsChart days=o.daily/>
            </section>
            <section class="card">
                <h2>"Top referrers"</h2>
                {top}
            </section>
        </div>
    }
}
