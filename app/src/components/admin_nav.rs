//! The admin section's tabs.
use leptos::prelude::*;

#[component]
pub fn AdminNav(current: &'static str) -> impl IntoView {
    let tabs = [
        ("/admin", "Overview"),
        ("/admin/hits", "Hits"),
        ("/admin/referrals", "Referrals"),
        ("/admin/what-if", "What-if"),
        ("/admin/links", "Links"),
        ("/admin/users", "Users"),
        ("/admin/webhooks", "Webhooks"),
        ("/admin/api-keys", "API keys"),
        ("/admin/audit", "Audit log"),
    ];
    view! {
        <nav class="tabs" aria-label="Admin">
            {tabs
                .into_iter()
                .map(|(href, label)| {
                    let active = href == current;
                    view! {
                        <a
                            href=href
                            class=if active { "tab active" } else { "tab" }
                            aria-current=if active { Some("page") } else { None }
                        >
                            {label}
                        </a>
                    }
                })
                .collect_view()}
        </nav>
    }
}
