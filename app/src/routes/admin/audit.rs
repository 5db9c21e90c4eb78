//! `/admin/audit`: every admin action, newest first.
use crate::api::admin::audit::list_audit;
use crate::components::admin_nav::AdminNav;
use crate::components::notice::ErrorNotice;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

lazy_page!(AuditPage => AuditBody);

#[component]
fn AuditBody() -> impl IntoView {
    let params = use_query_map();
    let before = Memo::new(move |_| {
        params
            .read()
            .get("before")
            .and_then(|b| b.parse::<i32>().ok())
    });
    let rows = Resource::new(move || before.get(), list_audit);
    view! {
        <Title text="Audit log — hype admin"/>
        <AdminNav current="/admin/audit"/>
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match rows.await {
                    Ok(rows) if rows.is_empty() => view! {
                        <section class="card empty"><h1>"Audit log"</h1><p>"No admin actions recorded yet."</p></section>
                    }.into_any(),
                    Ok(rows) => {
                        let older = (rows.len() == 100)
                            .then(|| rows.last().map(|r| format!("/admin/audit?before={}", r.id)))
                            .flatten();
                        view! {
                            <section class="card scroll">
                                <h1>"Audit log"</h1>
                                <table class="data">
                                    <thead>
                                        <tr>
                                            <th scope="col">"When (UTC)"</th>
                                            <th scope="col">"Who"</th>
                                            <th scope="col">"Did"</th>
                                            <th scope="col">"To"</th>
                                            <th scope="col">"Detail"</th>
                                        </tr>
                                    </thead>
                                    <tbody>
                                        {rows
                                            .into_iter()
                                            .map(|r| view! {
                                                <tr>
                                                    <td class="nowrap">{r.at}</td>
                                                    <td>{r.actor.unwrap_or_else(|| "(deleted)".into())}</td>
                                                    <td>{r.action.replace('_', " ")}</td>
                                                    <td class="mono">{r.target}</td>
                                                    <td>{r.detail}</td>
                                                </tr>
                                            })
                                            .collect_view()}
                                    </tbody>
                                </table>
                                <nav class="pager">
                                    <a href="/admin/audit">"« Newest"</a>
                                    {older.map(|href| view! { <a href=href rel="next">"Older ›"</a> })}
                                </nav>
                            </section>
                        }.into_any()
                    }
                    Err(error) => view! { <ErrorNotice error/> }.into_any(),
                }
            })}
        </Transition>
    }
}
