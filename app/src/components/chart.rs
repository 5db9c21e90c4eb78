//! A bar chart of hits per day, drawn as SVG on the server (it shows without JavaScript).
use leptos::prelude::*;

#[component]
pub fn HitsChart(days: Vec<(String, i64)>) -> impl IntoView {
    let width = 720.0_f64;
    let height = 160.0_f64;
    let peak = days.iter().map(|(_, n)| *n).max().unwrap_or(0);
    let max = peak.max(1) as f64;
    let slot = width / days.len().max(1) as f64;
    let total: i64 = days.iter().map(|(_, n)| n).sum();
    let first = days.first().map(|(d, _)| d.clone()).unwrap_or_default();
    let last = days.last().map(|(d, _)| d.clone()).unwrap_or_default();
    let bars = days
        .into_iter()
        .enumerate()
        .map(|(i, (day, n))| {
            let h = (n as f64 / max) * (height - 20.0);
            let x = i as f64 * slot + 2.0;
            let y = height - h;
            view! {
                <rect x=format!("{x:.1}") y=format!("{y:.1}") width=format!("{:.1}", slot - 4.0) height=format!("{h:.1}") rx="2">
                    <title>{format!("{day}: {}", hits(n))}</title>
                </rect>
            }
        })
        .collect_view();
    view! {
        <figure class="chart">
            <svg
                viewBox=format!("0 0 {width} {height}")
                role="img"
                aria-label=format!("Hits per day, last 30 days: {total} in all")
                preserveAspectRatio="none"
            >
                {bars}
            </svg>
            <figcaption>
                <span>{first}</span>
                <span>{format!("{} in 30 days (peak {peak})", hits(total))}</span>
                <span>{last}</span>
            </figcaption>
        </figure>
    }
}

/// "1 hit", "2 hits".
fn hits(n: i64) -> String {
    if n == 1 {
        "1 hit".to_owned()
    } else {
        format!("{n} hits")
    }
}

/// Visits and sign-ups per day, side by side, drawn as SVG on the server: the link page's chart.
/// Every bar has a `<title>`, and the figure says the totals in words.
#[component]
pub fn VisitsChart(days: Vec<(String, i64, i64)>, period: u32) -> impl IntoView {
    let width = 720.0_f64;
    let height = 160.0_f64;
    let peak = days.iter().map(|(_, v, s)| (*v).max(*s)).max().unwrap_or(0);
    let max = peak.max(1) as f64;
    let slot = width / days.len().max(1) as f64;
    let bar = ((slot - 2.0) / 2.0).max(0.5);
    let visits: i64 = days.iter().map(|(_, v, _)| v).sum();
    let signups: i64 = days.iter().map(|(_, _, s)| s).sum();
    let first = days.first().map(|(d, _, _)| d.clone()).unwrap_or_default();
    let last = days.last().map(|(d, _, _)| d.clone()).unwrap_or_default();
    let bars = days
        .into_iter()
        .enumerate()
        .map(|(i, (day, v, s))| {
            let x = i as f64 * slot + 1.0;
            let hv = (v as f64 / max) * (height - 20.0);
            let hs = (s as f64 / max) * (height - 20.0);
            view! {
                <g>
                    <title>{format!("{day}: {v} visits, {s} sign-ups")}</title>
                    <rect class="visits" x=format!("{x:.1}") y=format!("{:.1}", height - hv)
                        width=format!("{bar:.1}") height=format!("{hv:.1}")/>
                    <rect class="signups" x=format!("{:.1}", x + bar) y=format!("{:.1}", height - hs)
                        width=format!("{bar:.1}") height=format!("{hs:.1}")/>
                </g>
            }
        })
        .collect_view();
    let summary = format!("{visits} visits and {signups} sign-ups in {period} days");
    view! {
        <figure class="chart two-series">
            <svg
                viewBox=format!("0 0 {width} {height}")
                role="img"
                aria-label=format!("Visits and sign-ups per day: {summary}")
                preserveAspectRatio="none"
            >
                {bars}
            </svg>
            <figcaption>
                <span>{first}</span>
                <span>
                    <span class="key visits">"visits"</span>
                    " "
                    <span class="key signups">"sign-ups"</span>
                    " · "
                    {summary}
                </span>
                <span>{last}</span>
            </figcaption>
        </figure>
    }
}
