//! `/admin/what-if`: replay attribution over the recorded hits under another model or window,
//! and list the referrals whose referrer would change, with counts and the points that would
//! move. It changes nothing. The form is a plain `GET`: the page loads whole with the result.
use crate::api::admin::what_if::what_if;
use crate::components::admin_nav::AdminNav;
use crate::components::notice::ErrorNotice;
use crate::models::{WhatIfResult, WhatIfView};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

lazy_page!(WhatIfPage => WhatIfBody);

#[component]
fn WhatIfBody() -> impl IntoView {
    let query = use_query_map();
    let replay = Resource::new(
        move || {
            let q = query.read();
            (
                q.get("model"),
                q.get("days").and_then(|d| d.parse::<u32>().ok()),
            )
        },
        |(model, days)| what_if(model, days),
    );
    view! {
        <Title text="What-if — hype admin"/>
        <AdminNav current="/admin/what-if"/>
        <Transition fallback=|| view! { <p class="muted">"Replaying…"</p> }>
            {move || Suspend::new(async move {
                match replay.await {
                    Ok(v) => view! { <WhatIf v/> }.into_any(),
                    Err(error) => view! {
                        <section class="card">
                            <h1>"What-if"</h1>
                            <ErrorNotice error/>
                            <p><a href="/admin/what-if" rel="external">"Start again"</a></p>
                        </section>
                    }
                    .into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn WhatIf(v: WhatIfView) -> impl IntoView {
    let (model, days) = match &v.result {
        Some(r) => (r.model.clone(), r.days),
        None => (
            if v.current_model == "last-click" {
                "first-click"
            } else {
                "last-click"
            }
            .to_owned(),
            v.current_days,
        ),
    };
    view! {
        <section class="card">
            <h1>"What-if"</h1>
            <p class="muted">
                {format!(
                    "Attribution now: {}, {}-day window. Replay the recorded hits under another \
                     rule to see whose referrals would change. Nothing is changed; a new setting \
                     (HYPE_ATTRIBUTION_MODEL, HYPE_ATTRIBUTION_WINDOW_DAYS) applies to new \
                     referrals only.",
                    v.current_model, v.current_days
                )}
            </p>
            <form method="get" action="/admin/what-if" class="row">
                <label>
                    "Model"
                    <select name="model">
                        <option value="first-click" selected=model == "first-click">"First click"</option>
                        <option value="last-click" selected=model == "last-click">"Last click"</option>
                    </select>
                </label>
                <label>
                    "Window (days)"
                    <input type="number" name="days" min="0" max="3650" required value=days.to_string()/>
                </label>
                <button type="submit" class="button">"Replay"</button>
            </form>
        </section>
        {v.result.map(|r| view! { <Outcome r/> })}
    }
}

#[component]
fn Outcome(r: WhatIfResult) -> impl IntoView {
    let summary = format!(
        "Under {}, {}-day window: {} of {} referrals would go to someone else or to nobody; {} \
         of them confirmed, with {} points credited that would move. {} hits read in {} ms{}.",
        r.model,
        r.days,
        r.changed,
        r.replayed,
        r.changed_confirmed,
        r.points_moved,
        r.hits_read,
        r.took_ms,
        if r.admin_picked > 0 {
            format!(
                "; {} referrals an admin confirmed from a chosen hit are left out",
                r.admin_picked
            )
        } else {
            String::new()
        }
    );
    let listed = r.changes.len() as u64;
    view! {
        <section class="card scroll">
            <h2>"What would change"</h2>
            <p data-testid="what-if-summary">{summary}</p>
            {if r.changes.is_empty() {
                view! { <p class="muted">"No referral would change."</p> }.into_any()
            } else {
                view! {
                    <table class="data" data-testid="what-if-changes">
                        <thead>
                            <tr>
                                <th scope="col">"Referral"</th>
                                <th scope="col">"Referred"</th>
                                <th scope="col">"Status"</th>
                                <th scope="col">"Referrer now"</th>
                                <th scope="col">"Would be"</th>
                                <th scope="col" class="num">"Points credited"</th>
                            </tr>
                        </thead>
                        <tbody>
                            {r.changes
                                .into_iter()
                                .map(|c| view! {
                                    <tr>
                                        <td><a href=format!("/referrals/{}", c.referral_id)>{format!("#{}", c.referral_id)}</a></td>
                                        <td>{c.referred}</td>
                                        <td>{c.status}</td>
                                        <td>{c.referrer}</td>
                                        <td>{c.would_be.unwrap_or_else(|| "nobody".into())}</td>
                                        <td class="num">{c.points}</td>
                                    </tr>
                                })
                                .collect_view()}
                        </tbody>
                    </table>
                }
                .into_any()
            }}
            {(r.changed > listed).then(|| view! {
                <p class="muted small">{format!("The first {listed} of {} are listed.", r.changed)}</p>
            })}
        </section>
    }
}
