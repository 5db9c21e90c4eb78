//! `/admin/hits`: every hit, newest first, filtered by the URL's query; keyset pages; new hits
//! appear on their own while the first page is open.
use crate::api::admin::hits::{list_hits, ConfirmHit};
use crate::components::admin_nav::AdminNav;
use crate::components::form_error::FormError;
use crate::components::notice::ErrorNotice;
use crate::components::post_form::PostForm;
use crate::components::search_form::SearchForm;
use crate::models::{HitPageView, HitQuery, HitView};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

lazy_page!(HitsPage => HitsBody);

#[component]
fn HitsBody() -> impl IntoView {
    let params = use_query_map();
    let query = Memo::new(move |_| HitQuery::from_pairs(|k| params.read().get(k)));
    let confirm = ServerAction::<ConfirmHit>::new();
    // While the first page is open, look again every few seconds (hydrated only).
    let tick = RwSignal::new(0u64);
    Effect::new(move |_| {
        if let Ok(handle) = set_interval_with_handle(
            move || tick.update(|t| *t += 1),
            std::time::Duration::from_secs(3),
        ) {
            on_cleanup(move || handle.clear());
        }
    });
    let page = Resource::new(
        move || {
            let q = query.get();
            let live = q.before.is_none() && q.after.is_none() && q.last.is_none();
            (
                q,
                if live { tick.get() } else { 0 },
                confirm.version().get(),
            )
        },
        |(q, _, _)| list_hits(q),
    );
    let message = Signal::derive(move || match confirm.value().get() {
        Some(Ok(m)) => Some(m),
        _ => None,
    });
    let error = Signal::derive(move || match confirm.value().get() {
        Some(Err(e)) => Some(e.to_string()),
        _ => params.read().get("error"),
    });

    view! {
        <Title text="Hits — hype admin"/>
        <AdminNav current="/admin/hits"/>
        <section class="card">
            <h1>"Hits"</h1>
            {move || view! { <HitFilters q=query.get()/> }}
            <FormError message=error/>
            {move || message.get().map(|m| view! { <p class="notice" role="status">{m}</p> })}
        </section>
        <Transition fallback=|| view! { <p class="muted">"Loading hits…"</p> }>
            {move || Suspend::new(async move {
                match page.await {
                    Ok(found) => view! { <HitTable found q=query.get_untracked() confirm/> }.into_any(),
                    Err(error) => view! { <ErrorNotice error/> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn HitFilters(q: HitQuery) -> impl IntoView {
    let v = |o: &Option<String>| o.clone().unwrap_or_default();
    let selected = |o: &Option<String>, value: &str| o.as_deref() == Some(value);
    let csv = format!("/admin/hits.csv?{}", q.first_page().to_query_string(None));
    view! {
        <SearchForm action="/admin/hits" class="filters">
            <label>"Link" <input type="text" name="link" value=v(&q.link) placeholder="identifier"/></label>
            <label>"Referrer" <input type="text" name="referrer" value=v(&q.referrer) placeholder="username"/></label>
            <label>"Hit user" <input type="text" name="hit_user" value=v(&q.hit_user) placeholder="username"/></label>
            <label>
                "Visitor"
                <select name="auth">
                    <option value="">"any"</option>
                    <option value="anonymous" selected=selected(&q.auth, "anonymous")>"anonymous"</option>
                    <option value="authenticated" selected=selected(&q.auth, "authenticated")>"signed in"</option>
                </select>
            </label>
            <label>
                "Claimed"
                <select name="claimed">
                    <option value="">"any"</option>
                    <option value="yes" selected=selected(&q.claimed, "yes")>"yes"</option>
                    <option value="no" selected=selected(&q.claimed, "no")>"no"</option>
                </select>
            </label>
            <label>
                "Confirmed"
                <select name="confirmed">
                    <option value="">"any"</option>
                    <option value="yes" selected=selected(&q.confirmed, "yes")>"yes"</option>
                    <option value="no" selected=selected(&q.confirmed, "no")>"no"</option>
                </select>
            </label>
            <label>
                "Bots"
                <select name="bots">
                    <option value="">"show"</option>
                    <option value="hide" selected=selected(&q.bots, "hide")>"hide"</option>
                    <option value="only" selected=selected(&q.bots, "only")>"only"</option>
                </select>
            </label>
            <label>"From" <input type="date" name="from" value=v(&q.from)/></label>
            <label>"To" <input type="date" name="to" value=v(&q.to)/></label>
            <label class="wide">"Search" <input type="search" name="q" value=v(&q.q) placeholder="ip, browser, referer, next"/></label>
            <div class="filter-actions">
                <button type="submit" class="button">"Filter"</button>
                <a class="button ghost" href="/admin/hits">"Clear"</a>
                <a class="button ghost" href=csv download="hits.csv">"Export CSV"</a>
            </div>
        </SearchForm>
    }
}

#[component]
fn HitTable(found: HitPageView, q: HitQuery, confirm: ServerAction<ConfirmHit>) -> impl IntoView {
    let link = |page: Option<(&str, &str)>| format!("/admin/hits?{}", q.to_query_string(page));
    let newest = link(None);
    let oldest = link(Some(("last", "1")));
    let newer = found.newer.as_deref().map(|c| link(Some(("after", c))));
    let older = found.older.as_deref().map(|c| link(Some(("before", c))));
    if found.rows.is_empty() {
        return view! { <section class="card empty"><p>"No hits match these filters."</p></section> }
            .into_any();
    }
    view! {
        <section class="card scroll">
            <table class="data">
                <thead>
                    <tr>
                        <th scope="col">"When (UTC)"</th>
                        <th scope="col">"Link"</th>
                        <th scope="col">"Referrer"</th>
                        <th scope="col">"Visitor"</th>
                        <th scope="col">"IP"</th>
                        <th scope="col">"Browser"</th>
                        <th scope="col">"From"</th>
                        <th scope="col">"Next"</th>
                        <th scope="col">"Confirmed"</th>
                    </tr>
                </thead>
                <tbody>
                    {found.rows.into_iter().map(|hit| view! { <HitRow hit confirm/> }).collect_view()}
                </tbody>
            </table>
            <nav class="pager" aria-label="Pages">
                <a href=newest>"« Newest"</a>
                {newer.map(|href| view! { <a href=href rel="prev">"‹ Newer"</a> })}
                {older.map(|href| view! { <a href=href rel="next">"Older ›"</a> })}
                <a href=oldest>"Oldest »"</a>
            </nav>
        </section>
    }
    .into_any()
}

#[component]
fn HitRow(hit: HitView, confirm: ServerAction<ConfirmHit>) -> impl IntoView {
    let who = match (&hit.hit_user, hit.authenticated) {
        _ if hit.is_bot => "bot (counted nowhere)".to_owned(),
        (Some(user), true) => format!("{user} (signed in)"),
        (Some(user), false) => format!("{user} (claimed)"),
        (None, _) => format!("anonymous {}", hit.visitor.clone().unwrap_or_default()),
    };
    let confirmed = match (&hit.confirmed, &hit.hit_user) {
        (Some(at), _) => view! { <span class="badge on">{at.clone()}</span> }.into_any(),
        (None, Some(_)) => view! {
            <PostForm action=confirm class="inline">
                <input type="hidden" name="id" value=hit.id.clone()/>
                <button type="submit" class="button small ghost">"Confirm"</button>
            </PostForm>
        }
        .into_any(),
        (None, None) => view! { <span class="muted">"—"</span> }.into_any(),
    };
    view! {
        <tr>
            <td class="nowrap">{hit.at}</td>
            <td>{hit.identifier}</td>
            <td>{hit.referrer.unwrap_or_default()}</td>
            <td>{who}</td>
            <td class="mono">{hit.ip}</td>
            <td class="clip" title=hit.user_agent.clone()>{hit.user_agent.clone()}</td>
            <td class="clip" title=hit.referer.clone()>{hit.referer.clone()}</td>
            <td class="clip mono" title=hit.next.clone()>{hit.next.clone()}</td>
            <td>{confirmed}</td>
        </tr>
    }
}
